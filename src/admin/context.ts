import type { FlatConfig, DeclarativeError } from '../declarative/index.ts';
import type { Settings } from '../config/settings-types.ts';
import type { PluginSchemaRegistry } from '../entities/index.ts';
import type { Store } from '../store/types.ts';
import type { LogLevel } from '../log/logger.ts';
import type { LogLevelOutcome } from '../runtime/log-level-control.ts';
import type { NodeServices, PluginApiEndpoint } from '../pdk/index.ts';

/** The outcome of loading a configuration through POST /config (or SIGHUP). */
export type ConfigLoadOutcome =
  /** `body`: the 201 body already serialized (when the document was validated off the event loop). */
  | { status: 'loaded'; config: FlatConfig; hash: string; body?: string }
  | { status: 'unchanged'; hash: string }
  | { status: 'invalid'; error: DeclarativeError }
  | { status: 'busy' }
  | { status: 'failed'; message: string }
  /** The node does not take configuration this way (a data plane). */
  | { status: 'refused'; message: string };

export interface ConfigLoadRequest {
  /** Text (YAML or JSON) or an already-parsed document. */
  input: string | Record<string, unknown>;
  filename?: string;
  flattenErrors: boolean;
  /** Answer `unchanged` when the text hashes to the current configuration's hash. */
  checkHash: boolean;
  /**
   * `input` is the text of a JSON `POST /config` body (the document, or `{"config": ...}` with flags), to be
   * decoded where it is validated; its flags apply unless these query values (as given, or null) are set.
   */
  jsonBody?: { flatten: string | null; checkHash: string | null };
}

export interface ServerCounters {
  connections_accepted: number;
  connections_active: number;
  connections_handled: number;
  connections_reading: number;
  connections_writing: number;
  connections_waiting: number;
  total_requests: number;
}

/**
 * Hybrid mode as the Admin and Status APIs see it (implemented in src/cluster/): plain JSON records, so
 * that the APIs need not know the protocol.
 */
export interface ClusterView {
  readonly role: 'control_plane' | 'data_plane';
  /** Control plane: every data plane it knows, connected or not. */
  dataPlanes?(): Promise<Record<string, unknown>[]>;
  /** Control plane: traffic reported by data planes, per service and per data plane. */
  telemetry?(): Promise<Record<string, unknown>>;
  /** Data plane: its link to the control plane and the configuration it serves. */
  status?(): Record<string, unknown>;
  /** Prometheus text lines for the Status API's `/metrics`. */
  metrics(): string | Promise<string>;
}

/**
 * What the Admin and Status APIs may ask of the node. The runtime implements it; the APIs never reach into
 * workers or configuration sources themselves.
 */
export interface NodeContext {
  readonly settings: Settings;
  readonly nodeId: string;
  readonly hostname: string;
  readonly startedAt: number;
  /** The configuration being served and its hash (zeros when none). */
  currentConfig(): { config: FlatConfig; hash: string };
  loadConfig(request: ConfigLoadRequest): Promise<ConfigLoadOutcome>;
  pids(): { master: number; workers: number[] };
  counters(): Promise<ServerCounters>;
  /** null when ready, else the reason it is not (`draining` once drained). */
  notReadyReason(): string | null;
  /**
   * Takes the node out of its load balancer's rotation: `/status/ready` answers 503 from now on while the node
   * keeps serving (Kong's `kong drain`, a POST of `{"status":"draining"}` to `/status/ready`).
   */
  drain(): void;
  /**
   * The node's shared cache (`mem_cache_size`: plugins' cached values, proxy-cache's memory strategy), for
   * Kong's `/cache` endpoints; absent where the node has none.
   */
  readonly sharedCache?: {
    probe(key: string): { readonly bytes: Uint8Array; readonly text: boolean } | undefined;
    invalidate(key: string): void;
    purge(): void;
  };
  /**
   * The database of a traditional node: the Admin API reads and writes entities there. Absent or null in
   * DB-less mode, where the Admin API reads the configuration being served and refuses writes.
   */
  readonly store?: Store | null;
  /** The enabled plugins and their schemas (plugin entities and `/schemas/plugins/{name}`); none when absent. */
  readonly plugins?: PluginSchemaRegistry;
  /** Admin API endpoints the enabled plugins add (Kong's `api.lua`), by plugin name; none when absent. */
  readonly pluginApis?: ReadonlyMap<string, readonly PluginApiEndpoint[]>;
  /** The node's shared state as code in this process reaches it (plugin endpoints use it); absent or null: none. */
  nodeServices?(): NodeServices | null;
  /** Hybrid mode, on a control plane or a data plane; absent or null otherwise. */
  readonly clustering?: ClusterView | null;
  /** Target health, on a node with proxy workers; absent or null otherwise. */
  readonly health?: TargetHealthView | null;
  /**
   * Every metric of the node in the Prometheus text format (the node-wide registry, summed over the workers
   * after each was asked to push, then hybrid mode's); absent on nodes without one.
   */
  metrics?(): Promise<string>;
  /** The error log's level now (the configured one unless changed at run time). */
  logLevel?(): string;
  /**
   * Changes the log level of this node's processes (`node`), or of every node on its database (`cluster`), for
   * `timeoutSeconds` (0: until changed again); absent on nodes that cannot (tests' stand-ins).
   */
  setLogLevel?(level: LogLevel, timeoutSeconds: number, scope: 'node' | 'cluster'): Promise<LogLevelOutcome>;
  /** Per process (the supervisor first, then each worker): pid, heap in use, pending timers. */
  workerReports?(): Promise<WorkerReport[]>;
  /** The node's shared dictionaries by Kong's name: capacity and bytes in use. */
  sharedDicts?(): Record<string, { capacity: number; allocated: number }>;
}

export interface WorkerReport {
  pid: number;
  /** Bytes of JavaScript heap in use. */
  heapUsed: number;
  /** Timers waiting to fire in that process. */
  timers: number;
}

/** The Prometheus text for `/metrics` (Status API and Admin API): the node's, or hybrid mode's alone. */
export async function nodeMetricsText(node: NodeContext): Promise<string> {
  if (node.metrics !== undefined) return node.metrics();
  return node.clustering ? await node.clustering.metrics() : '';
}

/** The content type of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What the Admin API reads and sets of the health checks (see HealthChecker). */
export interface TargetHealthView {
  /**
   * Each target's state by `host:port`: true, false, or null when the upstream checks nothing; `dnsError`
   * when it is checked and its host name does not resolve.
   */
  targetsOf(upstreamId: string): { key: string; healthy: boolean | null; dnsError?: true }[];
  /** Sets a target's state; false when the upstream has no such target. */
  set(upstreamId: string, key: string, healthy: boolean): boolean;
  /** A target host's addresses as the proxy resolves them, or null when it does not resolve. */
  resolve?(host: string): Promise<string[] | null>;
}
