/**
 * Traffic telemetry in hybrid mode, control plane side: data planes count requests per service between
 * reports (proxy/traffic.ts) and send them over the telemetry channel; the control plane adds them up per
 * service and per data plane, so that one place shows the whole cluster's traffic.
 */
import type { TelemetryReport } from './protocol.ts';
import { addServiceTelemetry, emptyServiceTelemetry, type ServiceTelemetry } from '../proxy/traffic.ts';

/** Merges several workers' (or reports') service maps into one. */
export function mergeServiceMaps(maps: readonly Record<string, ServiceTelemetry>[]): Record<string, ServiceTelemetry> {
  const out: Record<string, ServiceTelemetry> = {};
  for (const map of maps) {
    for (const [id, s] of Object.entries(map)) addServiceTelemetry((out[id] ??= emptyServiceTelemetry()), s);
  }
  return out;
}

export interface DataPlaneTraffic {
  node_id: string;
  first_report: number;
  last_report: number;
  reports: number;
  totals: ServiceTelemetry;
}

/** The control plane's running totals since it started. */
export class TelemetryAggregator {
  readonly #services = new Map<string, ServiceTelemetry>();
  readonly #dataPlanes = new Map<string, DataPlaneTraffic>();

  add(report: TelemetryReport): void {
    let dp = this.#dataPlanes.get(report.node_id);
    if (dp === undefined) {
      dp = { node_id: report.node_id, first_report: report.to, last_report: report.to, reports: 0, totals: emptyServiceTelemetry() };
      this.#dataPlanes.set(report.node_id, dp);
    }
    dp.reports++;
    dp.last_report = report.to;
    for (const [id, raw] of Object.entries(report.services)) {
      const s = sanitize(raw);
      if (s === null) continue;
      let total = this.#services.get(id);
      if (total === undefined) {
        total = emptyServiceTelemetry();
        this.#services.set(id, total);
      }
      addServiceTelemetry(total, s);
      addServiceTelemetry(dp.totals, s);
    }
  }

  services(): Record<string, ServiceTelemetry> {
    return Object.fromEntries(this.#services);
  }

  dataPlanes(): DataPlaneTraffic[] {
    return [...this.#dataPlanes.values()];
  }
}

/** Reports come from the network: keep only well-formed, non-negative numbers. */
function sanitize(raw: unknown): ServiceTelemetry | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  const status: Record<string, number> = {};
  if (typeof r.status === 'object' && r.status !== null) {
    for (const [k, v] of Object.entries(r.status as Record<string, unknown>)) if (/^[1-5]xx$|^other$/.test(k)) status[k] = num(v);
  }
  return {
    requests: num(r.requests),
    status,
    errors: num(r.errors),
    latency_ms_sum: num(r.latency_ms_sum),
    latency_ms_max: num(r.latency_ms_max),
    upstream_latency_ms_sum: num(r.upstream_latency_ms_sum),
  };
}
