/**
 * Gathers the node-level metrics' inputs from a node (the supervisor): its workers' counters, shared memory,
 * datastore, target health and configuration. Kept apart from the rendering so that the rendering is testable
 * with plain values.
 */
import { VERSION } from '../../core/version.ts';
import type { FlatConfig } from '../../declarative/index.ts';
import { renderNodeMetrics, targetState, type PrometheusInstances, type TargetHealthSample } from './node-metrics.ts';

/** One worker's counters, as the worker reports them. */
export interface WorkerStats {
  readonly accepted: number;
  readonly active: number;
  readonly requests: number;
  readonly inFlight: number;
  readonly pid: number;
  readonly heapUsed: number;
  readonly timers: number;
}

/** What a node offers the exporter (the supervisor implements it). */
export interface NodeMetricsSource {
  readonly nodeId: string;
  readonly role: string;
  currentConfig(): { config: FlatConfig };
  workerStats(): Promise<readonly WorkerStats[]>;
  /** The node's own process (the supervisor): its heap and timers. */
  supervisorStats(): { pid: number; heapUsed: number; timers: number };
  /** Resolves when the database answers, rejects when it does not; null on a node without one. */
  readonly pingDatastore: (() => Promise<unknown>) | null;
  /** Each target's state by upstream id; null on a node that checks no health. */
  readonly targetsOf: ((upstreamId: string) => { key: string; healthy: boolean | null; dnsError?: true }[]) | null;
  readonly sharedDicts: () => { name: string; bytes: number; capacity: number }[];
  /** Metric definitions the node-wide registry refused. */
  readonly metricErrors: () => number;
}

/** How long a scrape waits for the database before calling it unreachable. */
const PING_TIMEOUT_MS = 2000;

async function reachable(ping: (() => Promise<unknown>) | null): Promise<boolean> {
  // DB-less nodes and data planes have no datastore to lose: Kong reports 1 for them.
  if (ping === null) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS)));
  try {
    return await Promise.race([ping().then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function targetHealth(source: NodeMetricsSource, config: FlatConfig): TargetHealthSample[] {
  const out: TargetHealthSample[] = [];
  const targetsOf = source.targetsOf;
  if (targetsOf === null) return out;
  for (const upstream of config.upstreams) {
    for (const t of targetsOf(upstream.id)) {
      // Tollgate connects to a target's host:port as configured, so the address is the target itself.
      out.push({ upstream: upstream.name, target: t.key, address: t.key, state: t.dnsError === true ? 'dns_error' : targetState(t.healthy) });
    }
  }
  return out;
}

function countEntities(config: FlatConfig): number {
  let n = 0;
  for (const list of Object.values(config)) if (Array.isArray(list)) n += list.length;
  return n;
}

/** The node-level families' text for one scrape. */
export async function nodeMetricsText(source: NodeMetricsSource, instances: PrometheusInstances): Promise<string> {
  const [workers, datastoreReachable] = await Promise.all([source.workerStats(), reachable(source.pingDatastore)]);
  const config = source.currentConfig().config;
  const own = source.supervisorStats();
  let accepted = 0, active = 0, requests = 0, inFlight = 0, timers = own.timers;
  for (const w of workers) {
    accepted += w.accepted;
    active += w.active;
    requests += w.requests;
    inFlight += w.inFlight;
    timers += w.timers;
  }
  return renderNodeMetrics({
    nodeId: source.nodeId,
    version: VERSION,
    connections: {
      accepted,
      // Node.js hands every accepted connection to the server; none is dropped for lack of resources.
      handled: accepted,
      active,
      // Headers are parsed before a request reaches the proxy, so no connection is seen reading them.
      reading: 0,
      writing: inFlight,
      waiting: Math.max(0, active - inFlight),
      requests,
    },
    timers: { running: 0, pending: timers },
    datastoreReachable,
    workers: [own, ...workers].map((w) => ({ pid: w.pid, heapBytes: w.heapUsed })),
    sharedDicts: source.sharedDicts(),
    // Kong exports target health only when an instance asks for it, and never on a control plane.
    targetHealth: instances.upstreamHealth && source.role !== 'control_plane' ? targetHealth(source, config) : null,
    entities: countEntities(config),
    entityCountErrors: 0,
    metricErrors: source.metricErrors(),
  });
}
