/**
 * The node-level half of the prometheus plugin: Kong's LOCAL gauges (connections, requests, timers, memory,
 * datastore, node info, target health, entity counts), computed by the node at each scrape from what it knows.
 * Also decides which per-request families a scrape shows, from the plugin instances of the configuration.
 */
import { escapeHelp, escapeLabelValue, formatValue } from '../../shared-state/metrics-store.ts';
import type { MetricFamilyDef } from '../../shared-state/metrics-types.ts';
import { CONNECTION_STATES, NODE_FAMILIES, REQUEST_FAMILY_NAMES, TARGET_HEALTH_STATES, type TargetHealthState } from './catalogue.ts';

/** Kong's `ngx.config.subsystem`: Tollgate's proxy is the HTTP one. */
const SUBSYSTEM = 'http';

export interface ConnectionCounts {
  readonly accepted: number;
  readonly handled: number;
  readonly active: number;
  readonly reading: number;
  readonly writing: number;
  readonly waiting: number;
  /** Requests received in all (Kong's `state="total"` and `kong_nginx_requests_total`). */
  readonly requests: number;
}

export interface TargetHealthSample {
  readonly upstream: string;
  readonly target: string;
  readonly address: string;
  readonly state: TargetHealthState;
}

/** What the node knows at scrape time. */
export interface NodeMetricsInput {
  readonly nodeId: string;
  readonly version: string;
  readonly connections: ConnectionCounts;
  readonly timers: { readonly running: number; readonly pending: number };
  readonly datastoreReachable: boolean;
  /** Each proxy worker's JavaScript heap in use (Kong: each worker's Lua VM). */
  readonly workers: readonly { readonly pid: number; readonly heapBytes: number }[];
  /** The node's shared memory zones (Kong: lua_shared_dicts): bytes used and capacity. */
  readonly sharedDicts: readonly { readonly name: string; readonly bytes: number; readonly capacity: number }[];
  /** Target health; null leaves the family out (no instance asks for it, or a control plane). */
  readonly targetHealth: readonly TargetHealthSample[] | null;
  readonly entities: number;
  readonly entityCountErrors: number;
  /** Metric definitions the node's registry refused (a name defined twice with different shapes). */
  readonly metricErrors: number;
}

/** What the configuration's prometheus plugin instances ask of a scrape. */
export interface PrometheusInstances {
  /** At least one enabled instance: the per-request families are exported. */
  readonly enabled: boolean;
  /** Some enabled instance sets `upstream_health_metrics` (node-wide, as in Kong). */
  readonly upstreamHealth: boolean;
}

export function prometheusInstances(plugins: readonly { readonly name: string; readonly enabled?: boolean; readonly config?: unknown }[]): PrometheusInstances {
  let enabled = false;
  let upstreamHealth = false;
  for (const p of plugins) {
    if (p.name !== 'prometheus' || p.enabled === false) continue;
    enabled = true;
    const config = p.config as { upstream_health_metrics?: unknown } | null | undefined;
    if (config?.upstream_health_metrics === true) upstreamHealth = true;
  }
  return { enabled, upstreamHealth };
}

/** Whether a family of the node-wide registry is left out of a scrape (per-request ones without an instance). */
export function hiddenFamily(instances: PrometheusInstances): (name: string) => boolean {
  return (name) => !instances.enabled && REQUEST_FAMILY_NAMES.has(name);
}

class Exposition {
  readonly lines: string[] = [];

  family(def: MetricFamilyDef): this {
    this.lines.push(`# HELP ${def.name} ${escapeHelp(def.help)}`, `# TYPE ${def.name} ${def.type}`);
    return this;
  }

  sample(def: MetricFamilyDef, labels: readonly (string | number)[], value: number): this {
    let pairs = '';
    for (let i = 0; i < def.labelNames.length; i++) pairs += `${i === 0 ? '' : ','}${def.labelNames[i]}="${escapeLabelValue(String(labels[i]))}"`;
    this.lines.push(`${def.name}${pairs === '' ? '' : `{${pairs}}`} ${formatValue(value)}`);
    return this;
  }
}

/** The node-level families in the Prometheus text format (0.0.4), Kong's order. */
export function renderNodeMetrics(input: NodeMetricsInput): string {
  const f = NODE_FAMILIES;
  const out = new Exposition();
  const id = input.nodeId;
  const c = input.connections;
  const byState: Record<(typeof CONNECTION_STATES)[number], number> = {
    accepted: c.accepted,
    handled: c.handled,
    total: c.requests,
    active: c.active,
    reading: c.reading,
    writing: c.writing,
    waiting: c.waiting,
  };
  out.family(f.connections);
  for (const state of CONNECTION_STATES) out.sample(f.connections, [id, SUBSYSTEM, state], byState[state]);
  out.family(f.requests).sample(f.requests, [id, SUBSYSTEM], c.requests);
  out.family(f.timers).sample(f.timers, ['running'], input.timers.running).sample(f.timers, ['pending'], input.timers.pending);
  out.family(f.datastore).sample(f.datastore, [], input.datastoreReachable ? 1 : 0);
  out.family(f.nodeInfo).sample(f.nodeInfo, [id, input.version], 1);
  if (input.targetHealth !== null) {
    out.family(f.upstreamHealth);
    for (const t of input.targetHealth) {
      for (const state of TARGET_HEALTH_STATES) out.sample(f.upstreamHealth, [t.upstream, t.target, t.address, state, SUBSYSTEM], t.state === state ? 1 : 0);
    }
  }
  out.family(f.workerVms);
  for (const w of input.workers) out.sample(f.workerVms, [id, w.pid, SUBSYSTEM], w.heapBytes);
  out.family(f.sharedDict);
  for (const d of input.sharedDicts) out.sample(f.sharedDict, [id, d.name, SUBSYSTEM], d.bytes);
  out.family(f.sharedDictTotal);
  for (const d of input.sharedDicts) out.sample(f.sharedDictTotal, [id, d.name, SUBSYSTEM], d.capacity);
  out.family(f.dbEntities).sample(f.dbEntities, [], input.entities);
  out.family(f.dbEntityErrors).sample(f.dbEntityErrors, [], input.entityCountErrors);
  out.family(f.metricErrors).sample(f.metricErrors, [], input.metricErrors);
  return `${out.lines.join('\n')}\n`;
}

/** A target's state as Kong names it: null health means the upstream checks nothing. */
export function targetState(healthy: boolean | null): TargetHealthState {
  return healthy === null ? 'healthchecks_off' : healthy ? 'healthy' : 'unhealthy';
}
