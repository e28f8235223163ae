/**
 * Kong's target health endpoints: `GET /upstreams/{upstream}/health` lists the upstream's targets with
 * what the health checks found, and `PUT /upstreams/{upstream}/targets/{target}/healthy` (or `unhealthy`)
 * sets a target's state by hand, for every worker at once. They describe the configuration being proxied.
 */
import { normalizeTarget } from '../entities/index.ts';
import { splitTargetString, targetKey } from '../balancer/target-address.ts';
import { reply, type Handler, type RequestContext } from './endpoint-types.ts';
import { badRequest, notFound } from './errors.ts';
import type { RouteTable } from './route-table.ts';
import type { TargetHealthView } from './context.ts';
import { healthThreshold, healthyWeightPercent } from '../health/settings.ts';

type Served = ReturnType<RequestContext['api']['node']['currentConfig']>['config'];

function healthView(ctx: RequestContext): TargetHealthView {
  const view = ctx.api.node.health ?? null;
  if (view === null) throw badRequest('this node runs no proxy workers, so it keeps no target health');
  return view;
}

function upstreamOf(config: Served, param: string): Served['upstreams'][number] {
  const upstream = config.upstreams.find((u) => u.id === param || u.name === param);
  if (upstream === undefined) throw notFound();
  return upstream;
}

const HEALTH_WORDS = { true: 'HEALTHY', false: 'UNHEALTHY', null: 'HEALTHCHECKS_OFF' } as const;

type ServedTarget = Served['targets'][number];

/** The upstream as a whole (`?balancer_health=1`): healthy while its healthy weight reaches the threshold. */
function balancerHealth(upstream: Served['upstreams'][number], targets: readonly ServedTarget[], states: ReadonlyMap<string, boolean | null>) {
  const weights = targets.map((t) => t.weight);
  const down = targets.map((t) => {
    const { host, port } = splitTargetString(t.target);
    return states.get(targetKey(host, port)) === false ? 1 : 0;
  });
  const total = weights.reduce((a, b) => a + b, 0);
  const unavailable = weights.reduce((sum, w, i) => sum + (down[i] === 1 ? w : 0), 0);
  const checking = [...states.values()].some((s) => s !== null);
  const healthy = total - unavailable > 0 && healthyWeightPercent(weights, down) >= healthThreshold(upstream.healthchecks);
  return {
    id: upstream.id,
    health: checking ? (healthy ? 'HEALTHY' : 'UNHEALTHY') : 'HEALTHCHECKS_OFF',
    details: { healthy, weight: { total, available: total - unavailable, unavailable } },
  };
}

/** How long a health change waits for a target that is in the database to reach the served configuration. */
const STORED_TARGET_WAIT_MS = 10_000;

/** Sets a target's state in the served configuration; 'unknown' when it is not (yet) served there. */
function trySet(ctx: RequestContext, view: TargetHealthView, healthy: boolean): 'set' | 'unknown' | 'no-address' {
  const config = ctx.api.node.currentConfig().config;
  const upstream = config.upstreams.find((u) => u.id === ctx.params.upstreams || u.name === ctx.params.upstreams);
  if (upstream === undefined) return 'unknown';
  const param = ctx.params.targets;
  const target = config.targets.find((t) => t.upstream.id === upstream.id && (t.id === param || t.target === normalizeTarget(param)));
  if (target === undefined) return 'unknown';
  const { host, port } = splitTargetString(target.target);
  const key = targetKey(host, port);
  // A target is one address here (no DNS expansion yet): its own address is the only one it has.
  if (ctx.params.address !== undefined && normalizeTarget(ctx.params.address) !== key) return 'no-address';
  return view.set(upstream.id, key, healthy) ? 'set' : 'unknown';
}

/** Whether the database (not only the served configuration) has the upstream and its target. */
async function isStored(ctx: RequestContext): Promise<boolean> {
  if ((ctx.api.node.store ?? null) === null) return false;
  const ops = ctx.api.source.ops;
  const param = ctx.params.upstreams;
  const upstream = (UUID.test(param) ? await ops.get('upstreams', param) : null) ?? (await ops.getBy('upstreams', 'name', param));
  if (upstream === null) return false;
  const upstreamId = String(upstream.id);
  const targetParam = ctx.params.targets;
  if (UUID.test(targetParam)) {
    const target = await ops.get('targets', targetParam);
    if (target !== null) return (target.upstream as { id?: unknown } | null)?.id === upstreamId;
  }
  return (await ops.getByCacheKey('targets', { upstream: { id: upstreamId }, target: normalizeTarget(targetParam) })) !== null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function addHealthEndpoints(table: RouteTable): void {
  table.set('/upstreams/{upstreams}/health', 'GET', async (ctx) => {
    const view = healthView(ctx);
    const config = ctx.api.node.currentConfig().config;
    const upstream = upstreamOf(config, ctx.params.upstreams);
    const known = view.targetsOf(upstream.id);
    const states = new Map(known.map((t) => [t.key, t.healthy]));
    const dnsErrors = new Set(known.filter((t) => t.dnsError === true).map((t) => t.key));
    const targets = config.targets.filter((t) => t.upstream.id === upstream.id);
    if (ctx.url.searchParams.get('balancer_health') === '1') {
      return reply(200, { data: balancerHealth(upstream, targets, states), next: null, node_id: ctx.api.node.nodeId });
    }
    const data = targets
      .map((t) => {
        const { host, port } = splitTargetString(t.target);
        // A checked target whose name does not resolve has no address to show (Kong's DNS_ERROR).
        if (dnsErrors.has(targetKey(host, port))) return { ...t, health: 'DNS_ERROR', data: { addresses: [] } };
        const health = HEALTH_WORDS[String(states.get(targetKey(host, port)) ?? null) as 'true' | 'false' | 'null'];
        return { ...t, health, data: { addresses: [{ ip: host, port, health, weight: t.weight }] } };
      });
    return reply(200, { data, total: data.length, node_id: ctx.api.node.nodeId, next: null });
  });
  const setter = (healthy: boolean): Handler => async (ctx) => {
    const view = healthView(ctx);
    let outcome = trySet(ctx, view, healthy);
    // Kong answers from its database; here a target written a moment ago reaches the configuration being
    // served (and so the health checker) only after the change debounce, so wait for it instead of a 404.
    if (outcome === 'unknown' && (await isStored(ctx))) {
      const deadline = Date.now() + STORED_TARGET_WAIT_MS;
      while (outcome === 'unknown' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        outcome = trySet(ctx, view, healthy);
      }
    }
    if (outcome !== 'set') throw notFound();
    return { status: 204, body: null };
  };
  for (const [word, healthy] of [['healthy', true], ['unhealthy', false]] as const) {
    for (const path of [`/upstreams/{upstreams}/targets/{targets}/${word}`, `/upstreams/{upstreams}/targets/{targets}/{address}/${word}`]) {
      // Kong 3 uses PUT; Kong 2 used POST, which scripts still send.
      table.set(path, 'PUT', setter(healthy));
      table.set(path, 'POST', setter(healthy));
    }
  }
}
