import type { HealthOutcome } from '../health/target-health.ts';
import type { DownstreamHeaders } from '../config/settings-types.ts';
import type { PdkEnvironment } from '../pdk/index.ts';
import type { TracingOptions } from '../tracing/instrumentations.ts';

/** Per-node proxy behaviour derived once from the settings; the hot path reads only these fields. */
export interface ProxyOptions {
  /** True when the connecting peer may set X-Forwarded-* and the real-IP header (trusted_ips). */
  isTrusted: (ip: string) => boolean;
  /** `port_maps`: listening port → the host port clients connected to; null when none is mapped. */
  hostPorts?: ReadonlyMap<number, number> | null;
  /** Lower-case name of real_ip_header, or null when it is `proxy_protocol` (not read from headers). */
  realIpHeader: string | null;
  realIpRecursive: boolean;
  downstream: DownstreamHeaders;
  /** Send X-Tollgate-Request-Id upstream (headers_upstream). */
  upstreamRequestId: boolean;
  /** Bound on how long a stopping worker waits for in-flight requests, in ms. */
  shutdownTimeout: number;
  /** Where a failed upstream call is reported (the error log), as nginx reports it. */
  logUpstreamError: (message: string) => void;
  /** Where a plugin's failure is reported (the error log), naming the plugin, route and request id. */
  logPluginError: (message: string) => void;
  /** What the PDK offers plugins in this worker: node-wide state, node identity, logging. */
  pdk: PdkEnvironment;
  /** Where a proxied outcome goes when the upstream has passive health checks (to the supervisor's checker). */
  reportHealth: (upstreamId: string, target: string, outcome: HealthOutcome) => void;
  /** `tracing_instrumentations` and `tracing_sampling_rate`; null (absent) when instrumentation is off. */
  tracing?: TracingOptions | null;
}

export type { DownstreamHeaders } from '../config/settings-types.ts';

export const HEADER_PROXY_LATENCY = 'X-Tollgate-Proxy-Latency';
export const HEADER_UPSTREAM_LATENCY = 'X-Tollgate-Upstream-Latency';
export const HEADER_RESPONSE_LATENCY = 'X-Tollgate-Response-Latency';
export const HEADER_UPSTREAM_STATUS = 'X-Tollgate-Upstream-Status';
export const HEADER_REQUEST_ID = 'X-Tollgate-Request-Id';

/** Where the proxy reports each finished request's service, status and latencies (hybrid-mode telemetry). */
export interface TrafficRecorder {
  record(serviceId: string, status: number, latencyMs: number, upstreamLatencyMs: number, gatewayError: boolean): void;
}
