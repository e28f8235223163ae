import type { NodeDatabaseKind } from '../pdk/index.ts';
import type { PostgresSettings } from '../store/index.ts';
import type { PluginDbRequest } from '../pdk/index.ts';
import type { DownstreamHeaders } from '../proxy/options.ts';
import type { RouterFlavor } from '../router/types.ts';
import type { RouteMatchCalculation } from '../router/index.ts';
import type { SnapshotInput } from '../snapshot/types.ts';
import type { ServiceTelemetry } from '../proxy/traffic.ts';
import type { WorkerConfigPatch } from './config-patch.ts';
import type { HealthOutcome } from '../health/target-health.ts';
import type { StreamListenerSpec } from '../stream/listeners.ts';
import type { ListenerTlsPolicy } from '../tls/listener-tls.ts';
import type { DnsSettings } from '../balancer/dns-lookup.ts';

/** IPC between the supervisor and its proxy workers. Plain JSON values only. */

export interface ListenerSpec {
  ip: string;
  port: number;
  ssl: boolean;
  http2: boolean;
  reuseport: boolean;
  backlog: number | null;
  /** Connections open with a PROXY protocol header (read before HTTP or TLS). */
  proxy_protocol: boolean;
}

export interface WorkerInit {
  type: 'init';
  workerIndex: number;
  logLevel: string;
  flavor: RouterFlavor;
  routeMatchCalculation: RouteMatchCalculation;
  listeners: ListenerSpec[];
  /** `stream_listen` entries (TCP, TLS and UDP stream proxy). */
  streamListeners: StreamListenerSpec[];
  /** proxy_stream_access_log: `<path> [basic]` or `off`. */
  streamAccessLog: string;
  /** PEM certificate and key for `ssl` listeners (the node's default certificate), and the TLS policy they serve with. */
  tls: { cert: string; key: string; policy: ListenerTlsPolicy } | null;
  trustedIps: string[];
  realIpHeader: string;
  realIpRecursive: boolean;
  downstream: DownstreamHeaders;
  upstreamRequestId: boolean;
  /** The contents of the error_template_* files that are set. */
  errorTemplates: { html?: string; json?: string; xml?: string; plain?: string };
  /** lua_max_*: the PDK getters' default bounds. */
  argLimits: { requestHeaders: number; responseHeaders: number; uriArgs: number; postArgs: number };
  /** port_maps as `[listener port, host port]` pairs. */
  hostPorts: [number, number][];
  /** allow_debug_header: a `Kong-Debug` request header gets the route and service named in the response. */
  allowDebugHeader: boolean;
  /** error_default_type: the format of nginx-made errors when the request has neither Accept nor Content-Type. */
  errorDefaultType: string;
  pool: {
    poolSize: number;
    keepAliveTimeout: number;
    maxRequestsPerConnection: number;
    /** `client_ssl`: the certificate presented to TLS upstreams without their own client certificate. */
    defaultClientCertificate: { cert: string; key: string } | null;
  };
  /** `dns_resolver`/`resolver_address` and their cache rules; null keeps the system resolver. */
  dns: DnsSettings | null;
  shutdownTimeout: number;
  prefix: string;
  /** proxy_access_log and proxy_error_log settings (`off`, a path, relative to the prefix). */
  accessLog: string;
  /** proxy_access_log_format: `kong` (nginx's combined line) or `json`. */
  accessLogFormat: 'kong' | 'json';
  /** syslog_socket: the local syslog daemon's socket (the syslog plugin). */
  syslogSocket: string;
  errorLog: string;
  /** The `plugins` setting: workers run only the handlers of enabled plugins. */
  plugins: string[];
  /** `plugin_paths` and Kong plugin server directories: workers load external plugins from them themselves. */
  pluginPaths: string[];
  pluginServers: { name: string; pluginsDirectory: string }[];
  /** The node's id and host name (`kong.node.get_id()`, `get_hostname()`). */
  nodeId: string;
  hostname: string;
  /** Count traffic per service for the control plane (data planes only). */
  countTraffic: boolean;
  /** `tracing_instrumentations` and `tracing_sampling_rate`. */
  tracing: { instrumentations: string[]; samplingRate: number };
  /**
   * The node's shared state (counters, cache, metrics): its Unix socket and the token to present, and whether
   * this worker is the node's only one (it then holds the counters itself).
   */
  sharedState: { path: string; token: string; soleWorker: boolean } | null;
  /** What the node offers plugins needing a database, and its PostgreSQL settings when it has one. */
  databaseKind: NodeDatabaseKind;
  pluginDatabase: PostgresSettings | null;
  /** `vaults` (as the backends it enables) and `vault_env_prefix`, for references in plugin configurations. */
  vaults: { enabled: string[]; envPrefix: string | null };
}

export interface WorkerConfig {
  type: 'config';
  hash: string;
  config: SnapshotInput;
  /** Routes to refuse with 503 and why (a data plane lacking a plugin they use). */
  refusals?: Record<string, string>;
}

/** The change from configuration `base` (which the worker serves) to `hash`; see config-patch.ts. */
export interface WorkerConfigPatchMessage {
  type: 'config-patch';
  base: string;
  hash: string;
  patch: WorkerConfigPatch;
  refusals: Record<string, string>;
}

export interface WorkerTrafficRequest {
  type: 'traffic';
  id: number;
}

/** The error log's level, changed at run time (Kong's dynamic log level). */
export interface WorkerLogLevel {
  type: 'log-level';
  level: string;
}

export interface WorkerShutdown {
  type: 'shutdown';
}

export interface WorkerStatsRequest {
  type: 'stats';
  id: number;
}

export interface WorkerCounters {
  accepted: number;
  active: number;
  requests: number;
  inFlight: number;
  pid: number;
  /** Bytes of JavaScript heap in use. */
  heapUsed: number;
  /** Timers waiting to fire. */
  timers: number;
}

/** Every target the health checks find unhealthy (`healthKey(upstream id, host:port)`); sent on each change. */
export interface WorkerHealth {
  type: 'health';
  unhealthy: string[];
}

/** The answer to a worker's `kong.db` request: the result, or the error's message. */
export interface WorkerDbReply {
  type: 'db-reply';
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export type SupervisorMessage =
  | WorkerDbReply
  | WorkerInit
  | WorkerConfig
  | WorkerConfigPatchMessage
  | WorkerShutdown
  | WorkerLogLevel
  | WorkerStatsRequest
  | WorkerTrafficRequest
  | WorkerHealth;

export type WorkerMessage =
  | { type: 'listening' }
  | { type: 'applied'; hash: string; ms: number }
  | { type: 'apply-failed'; hash: string; error: string }
  | { type: 'listen-failed'; error: string }
  /** A patch arrived for a configuration this worker does not serve: it needs the whole one. */
  | { type: 'need-full'; hash: string }
  | { type: 'stats'; id: number; counters: WorkerCounters }
  | { type: 'traffic'; id: number; services: Record<string, ServiceTelemetry> }
  /** Outcomes of proxied requests to upstreams with passive health checks: [upstream id, host:port, outcome]. */
  | { type: 'health-report'; reports: [string, string, HealthOutcome][] }
  /** A plugin's `kong.db` call, run by the supervisor against the node's store. */
  | { type: 'db-request'; id: number; request: PluginDbRequest };
