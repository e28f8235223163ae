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

  /** The totals as one plain document (what a control plane shares with the others through the database). */
  snapshot(): ClusterTraffic {
    return { services: this.services(), data_planes: this.dataPlanes() };
  }
}

/** Traffic totals per service and per data plane. */
export interface ClusterTraffic {
  services: Record<string, ServiceTelemetry>;
  data_planes: DataPlaneTraffic[];
}

/**
 * Adds up several control planes' totals. Each report reaches exactly one control plane, so the sums are
 * the cluster's totals (a data plane that moved between control planes appears once, summed).
 */
export function mergeClusterTraffic(parts: readonly ClusterTraffic[]): ClusterTraffic {
  const services = mergeServiceMaps(parts.map((p) => p.services));
  const dataPlanes = new Map<string, DataPlaneTraffic>();
  for (const part of parts) {
    for (const dp of part.data_planes) {
      const seen = dataPlanes.get(dp.node_id);
      if (seen === undefined) {
        const totals = emptyServiceTelemetry();
        addServiceTelemetry(totals, dp.totals);
        dataPlanes.set(dp.node_id, { ...dp, totals });
        continue;
      }
      seen.first_report = Math.min(seen.first_report, dp.first_report);
      seen.last_report = Math.max(seen.last_report, dp.last_report);
      seen.reports += dp.reports;
      addServiceTelemetry(seen.totals, dp.totals);
    }
  }
  return { services, data_planes: [...dataPlanes.values()] };
}

/** A document from the database, checked: anything malformed is left out rather than trusted. */
export function clusterTrafficFrom(value: unknown): ClusterTraffic {
  const doc = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const services: Record<string, ServiceTelemetry> = {};
  if (typeof doc.services === 'object' && doc.services !== null) {
    for (const [id, raw] of Object.entries(doc.services as Record<string, unknown>)) {
      const s = sanitize(raw);
      if (s !== null) services[id] = s;
    }
  }
  const dataPlanes: DataPlaneTraffic[] = [];
  if (Array.isArray(doc.data_planes)) {
    for (const raw of doc.data_planes as unknown[]) {
      if (typeof raw !== 'object' || raw === null) continue;
      const d = raw as Record<string, unknown>;
      const totals = sanitize(d.totals);
      if (typeof d.node_id !== 'string' || totals === null) continue;
      const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
      dataPlanes.push({ node_id: d.node_id, first_report: num(d.first_report), last_report: num(d.last_report), reports: num(d.reports), totals });
    }
  }
  return { services, data_planes: dataPlanes };
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
