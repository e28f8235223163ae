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

export function addHealthEndpoints(table: RouteTable): void {
  table.set('/upstreams/{upstreams}/health', 'GET', async (ctx) => {
    const view = healthView(ctx);
    const config = ctx.api.node.currentConfig().config;
    const upstream = upstreamOf(config, ctx.params.upstreams);
    const states = new Map(view.targetsOf(upstream.id).map((t) => [t.key, t.healthy]));
    const targets = config.targets.filter((t) => t.upstream.id === upstream.id);
    if (ctx.url.searchParams.get('balancer_health') === '1') {
      return reply(200, { data: balancerHealth(upstream, targets, states), next: null, node_id: ctx.api.node.nodeId });
    }
    const data = targets
      .map((t) => {
        const { host, port } = splitTargetString(t.target);
        const health = HEALTH_WORDS[String(states.get(targetKey(host, port)) ?? null) as 'true' | 'false' | 'null'];
        return { ...t, health, data: { addresses: [{ ip: host, port, health, weight: t.weight }] } };
      });
    return reply(200, { data, total: data.length, node_id: ctx.api.node.nodeId, next: null });
  });
  const setter = (healthy: boolean): Handler => async (ctx) => {
    const view = healthView(ctx);
    const config = ctx.api.node.currentConfig().config;
    const upstream = upstreamOf(config, ctx.params.upstreams);
    const param = ctx.params.targets;
    const target = config.targets.find((t) => t.upstream.id === upstream.id && (t.id === param || t.target === normalizeTarget(param)));
    if (target === undefined) throw notFound();
    const { host, port } = splitTargetString(target.target);
    const key = targetKey(host, port);
    // A target is one address here (no DNS expansion yet): its own address is the only one it has.
    if (ctx.params.address !== undefined && normalizeTarget(ctx.params.address) !== key) throw notFound();
    if (!view.set(upstream.id, key, healthy)) throw notFound();
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
