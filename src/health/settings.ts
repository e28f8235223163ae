/**
 * An upstream's `healthchecks` record, read into what the checkers need. Missing parts take the entity's
 * defaults (all checks off), so inputs that predate health checks read as "off".
 */
import type { HealthThresholds } from './target-health.ts';

export interface ActiveCheck {
  type: 'tcp' | 'http' | 'https';
  /** Seconds. */
  timeout: number;
  concurrency: number;
  httpPath: string;
  httpsSni: string | null;
  verifyCertificate: boolean;
  headers: Record<string, string[]>;
  /** Seconds between probes of healthy and of unhealthy targets; 0 = not probed. */
  healthyInterval: number;
  unhealthyInterval: number;
  healthyStatuses: ReadonlySet<number>;
  unhealthyStatuses: ReadonlySet<number>;
  thresholds: HealthThresholds;
}

export interface PassiveCheck {
  /** `tcp` counts only connection failures and timeouts. */
  type: 'tcp' | 'http';
  healthyStatuses: ReadonlySet<number>;
  unhealthyStatuses: ReadonlySet<number>;
  thresholds: HealthThresholds;
}

export interface HealthSettings {
  active: ActiveCheck | null;
  passive: PassiveCheck | null;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null ? (v as Rec) : {});
const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
const statuses = (v: unknown, d: number[]): ReadonlySet<number> => new Set(Array.isArray(v) ? (v as number[]) : d);

function thresholds(healthy: Rec, unhealthy: Rec): HealthThresholds {
  return {
    successes: num(healthy.successes, 0),
    tcp_failures: num(unhealthy.tcp_failures, 0),
    timeouts: num(unhealthy.timeouts, 0),
    http_failures: num(unhealthy.http_failures, 0),
  };
}

const anyFailureLimit = (t: HealthThresholds) => t.tcp_failures > 0 || t.timeouts > 0 || t.http_failures > 0;

export function readHealthSettings(healthchecks: unknown): HealthSettings {
  const hc = rec(healthchecks);
  const a = rec(hc.active);
  const ah = rec(a.healthy);
  const au = rec(a.unhealthy);
  const activeType = String(a.type ?? 'http');
  const healthyInterval = num(ah.interval, 0);
  const unhealthyInterval = num(au.interval, 0);
  const active: ActiveCheck | null =
    healthyInterval > 0 || unhealthyInterval > 0
      ? {
          // gRPC probes are HTTP probes here (no gRPC health protocol yet).
          type: activeType === 'tcp' ? 'tcp' : activeType === 'https' || activeType === 'grpcs' ? 'https' : 'http',
          timeout: num(a.timeout, 1),
          concurrency: num(a.concurrency, 10),
          httpPath: typeof a.http_path === 'string' ? a.http_path : '/',
          httpsSni: typeof a.https_sni === 'string' ? a.https_sni : null,
          verifyCertificate: a.https_verify_certificate !== false,
          headers: (rec(a.headers) as Record<string, string[]>) ?? {},
          healthyInterval,
          unhealthyInterval,
          healthyStatuses: statuses(ah.http_statuses, [200, 302]),
          unhealthyStatuses: statuses(au.http_statuses, [429, 404, 500, 501, 502, 503, 504, 505]),
          thresholds: thresholds(ah, au),
        }
      : null;
  const p = rec(hc.passive);
  const ph = rec(p.healthy);
  const pu = rec(p.unhealthy);
  const passiveThresholds = thresholds(ph, pu);
  const passive: PassiveCheck | null = anyFailureLimit(passiveThresholds)
    ? {
        type: p.type === 'tcp' ? 'tcp' : 'http',
        healthyStatuses: statuses(ph.http_statuses, [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308]),
        unhealthyStatuses: statuses(pu.http_statuses, [429, 500, 503]),
        thresholds: passiveThresholds,
      }
    : null;
  return { active, passive };
}

/** The outcome an HTTP status counts as, or null when it counts as neither. */
export function statusOutcome(status: number, healthy: ReadonlySet<number>, unhealthy: ReadonlySet<number>): 'success' | 'http_failure' | null {
  if (unhealthy.has(status)) return 'http_failure';
  if (healthy.has(status)) return 'success';
  return null;
}

/** `healthchecks.threshold` (0 when absent). */
export function healthThreshold(healthchecks: unknown): number {
  return num(rec(healthchecks).threshold, 0);
}

/** The share of the total weight on targets not marked down, in percent (100 when there is no weight). */
export function healthyWeightPercent(weights: readonly number[], down: ArrayLike<number>): number {
  let total = 0;
  let available = 0;
  for (let i = 0; i < weights.length; i++) {
    total += weights[i];
    if (down[i] === 0) available += weights[i];
  }
  return total === 0 ? 100 : (available / total) * 100;
}
