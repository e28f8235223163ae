/**
 * Per-service traffic counts a proxy worker keeps for hybrid-mode telemetry (only on data planes; other
 * nodes leave ProxyCore.traffic null and pay nothing). The control plane aggregates what data planes report.
 */
import type { TrafficRecorder } from './options.ts';

/** One service's traffic over one telemetry interval, as a DP reports it. */
export interface ServiceTelemetry {
  requests: number;
  /** Responses by class: `2xx`, `3xx`, `4xx`, `5xx`. */
  status: Record<string, number>;
  /** Requests the gateway itself could not complete (502/503/504 produced by the proxy). */
  errors: number;
  latency_ms_sum: number;
  latency_ms_max: number;
  upstream_latency_ms_sum: number;
}

export function emptyServiceTelemetry(): ServiceTelemetry {
  return { requests: 0, status: {}, errors: 0, latency_ms_sum: 0, latency_ms_max: 0, upstream_latency_ms_sum: 0 };
}

export function addServiceTelemetry(into: ServiceTelemetry, from: ServiceTelemetry): void {
  into.requests += from.requests;
  into.errors += from.errors;
  into.latency_ms_sum += from.latency_ms_sum;
  into.latency_ms_max = Math.max(into.latency_ms_max, from.latency_ms_max);
  into.upstream_latency_ms_sum += from.upstream_latency_ms_sum;
  for (const [cls, n] of Object.entries(from.status)) into.status[cls] = (into.status[cls] ?? 0) + n;
}

/** Per-service counters a proxy worker keeps between reports; `take()` hands them over and starts afresh. */
export class TrafficCounter implements TrafficRecorder {
  #services = new Map<string, ServiceTelemetry>();
  #from = Date.now();

  record(serviceId: string, status: number, latencyMs: number, upstreamLatencyMs: number, gatewayError: boolean): void {
    let s = this.#services.get(serviceId);
    if (s === undefined) {
      s = emptyServiceTelemetry();
      this.#services.set(serviceId, s);
    }
    s.requests++;
    const cls = status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
    s.status[cls] = (s.status[cls] ?? 0) + 1;
    if (gatewayError) s.errors++;
    s.latency_ms_sum += latencyMs;
    if (latencyMs > s.latency_ms_max) s.latency_ms_max = latencyMs;
    s.upstream_latency_ms_sum += upstreamLatencyMs;
  }

  take(): { from: number; to: number; services: Record<string, ServiceTelemetry> } {
    const out = { from: this.#from, to: Date.now(), services: Object.fromEntries(this.#services) };
    this.#services = new Map();
    this.#from = out.to;
    return out;
  }
}

