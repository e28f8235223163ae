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
import { findEntity } from './crud-endpoints.ts';
import type { TargetHealthView } from './context.ts';
import { healthThreshold, healthyWeightPercent } from '../health/settings.ts';

type Served = ReturnType<RequestContext['api']['node']['currentConfig']>['config'];

function healthView(ctx: RequestContext): TargetHealthView {
  const view = ctx.api.node.health ?? null;
  if (view === null) throw badRequest('this node runs no proxy workers, so it keeps no target health');
  return view;
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

/** Every target of an upstream in the configuration source. */
async function storedTargets(ctx: RequestContext, upstreamId: string): Promise<ServedTarget[]> {
  const out: ServedTarget[] = [];
  let offset: string | null = null;
  do {
    const page = await ctx.api.source.ops.list('targets', { size: 1000, offset, foreign: { field: 'upstream', id: upstreamId } });
    out.push(...(page.data as unknown as ServedTarget[]));
    offset = page.offset;
  } while (offset !== null);
  return out;
}

/** Kong lists an upstream's targets newest first (by `created_at`, then id). */
function newestFirst(a: ServedTarget, b: ServedTarget): number {
  const byTime = Number(b.created_at ?? 0) - Number(a.created_at ?? 0);
  return byTime !== 0 ? byTime : String(b.id) < String(a.id) ? -1 : String(b.id) > String(a.id) ? 1 : 0;
}

/**
 * One target of the health listing, as Kong's balancer reports it: each address its host resolves to, with
 * the target's state; a host that does not resolve is DNS_ERROR (and has no addresses); a weight-0 target
 * takes no traffic, so nothing checks it (HEALTHCHECKS_OFF). The target is HEALTHY when an address is.
 */
async function withHealth(view: TargetHealthView, t: ServedTarget, states: ReadonlyMap<string, boolean | null>) {
  const { host, port } = splitTargetString(t.target);
  const ips = view.resolve === undefined ? [host] : await view.resolve(host);
  if (ips === null) return { ...t, health: 'DNS_ERROR' };
  const state = t.weight === 0 ? null : (states.get(targetKey(host, port)) ?? null);
  const health = HEALTH_WORDS[String(state) as 'true' | 'false' | 'null'];
  return { ...t, health, data: { addresses: ips.map((ip) => ({ ip, port, health, weight: t.weight })) } };
}

/** How long a health change waits for a target that is in the database to reach the served configuration. */
const STORED_TARGET_WAIT_MS = 10_000;

/**
 * Whether `address` (`ip[:port]`, the port defaulting as a target's does) is one of the addresses the health
 * listing shows for the target `host:port`: the target itself, or an address its host resolves to.
 */
async function isAddressOf(view: TargetHealthView, address: string, host: string, port: number): Promise<boolean> {
  const wanted = normalizeTarget(address);
  if (wanted === targetKey(host, port)) return true;
  if (view.resolve === undefined) return false;
  const ips = (await view.resolve(host)) ?? [];
  return ips.some((ip) => normalizeTarget(targetKey(ip, port)) === wanted);
}

/** Sets a target's state in the served configuration; 'unknown' when it is not (yet) served there. */
async function trySet(ctx: RequestContext, view: TargetHealthView, healthy: boolean): Promise<'set' | 'unknown' | 'no-address'> {
  const config = ctx.api.node.currentConfig().config;
  const upstream = config.upstreams.find((u) => u.id === ctx.params.upstreams || u.name === ctx.params.upstreams);
  if (upstream === undefined) return 'unknown';
  const param = ctx.params.targets;
  const target = config.targets.find((t) => t.upstream.id === upstream.id && (t.id === param || t.target === normalizeTarget(param)));
  if (target === undefined) return 'unknown';
  const { host, port } = splitTargetString(target.target);
  const key = targetKey(host, port);
  // The checks keep one state per target; an address of it (as the listing shows them) names that state.
  if (ctx.params.address !== undefined && !(await isAddressOf(view, ctx.params.address, host, port))) return 'no-address';
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
    // Like Kong, the upstream and its targets come from the database (or the DB-less configuration), so a
    // target added a moment ago is listed before the served configuration catches up.
    const upstream = await findEntity(ctx, ctx.api.dao('upstreams'), ctx.params.upstreams);
    if (upstream === null) throw notFound();
    const upstreamId = String(upstream.id);
    const states = new Map(view.targetsOf(upstreamId).map((t) => [t.key, t.healthy]));
    const targets = await storedTargets(ctx, upstreamId);
    if (ctx.url.searchParams.get('balancer_health') === '1') {
      // The stored row has the same shape as the served one (it is what the configuration is exported from).
      const row = upstream as unknown as Served['upstreams'][number];
      return reply(200, { data: balancerHealth(row, targets, states), next: null, node_id: ctx.api.node.nodeId });
    }
    const data = await Promise.all([...targets].sort(newestFirst).map((t) => withHealth(view, t, states)));
    return reply(200, { data, total: data.length, node_id: ctx.api.node.nodeId, next: null });
  });
  const setter = (healthy: boolean): Handler => async (ctx) => {
    const view = healthView(ctx);
    let outcome = await trySet(ctx, view, healthy);
    // Kong answers from its database; here a target written a moment ago reaches the configuration being
    // served (and so the health checker) only after the change debounce, so wait for it instead of a 404.
    if (outcome === 'unknown' && (await isStored(ctx))) {
      const deadline = Date.now() + STORED_TARGET_WAIT_MS;
      while (outcome === 'unknown' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        outcome = await trySet(ctx, view, healthy);
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
