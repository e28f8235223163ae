/**
 * Syslog severities as Kong's syslog and loggly plugins name them, and the choice of severity by response
 * status (server errors, client errors, the rest).
 */
import type { FieldDef } from '../../schema/index.ts';

export const SEVERITIES = ['debug', 'info', 'notice', 'warning', 'err', 'crit', 'alert', 'emerg'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** RFC 5424 severity numbers: lower is more severe. */
export const SEVERITY_CODE: Readonly<Record<Severity, number>> = { debug: 7, info: 6, notice: 5, warning: 4, err: 3, crit: 2, alert: 1, emerg: 0 };

export const severityField = { type: 'string', default: 'info', one_of: SEVERITIES } as const satisfies FieldDef;

export interface SeverityConf {
  /** The least severe severity sent (`log_level`). */
  readonly threshold: number;
  readonly successful: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
}

export function severityConf(c: { log_level: string; successful_severity: string; client_errors_severity: string; server_errors_severity: string }): SeverityConf {
  return {
    threshold: SEVERITY_CODE[c.log_level as Severity],
    successful: SEVERITY_CODE[c.successful_severity as Severity],
    clientErrors: SEVERITY_CODE[c.client_errors_severity as Severity],
    serverErrors: SEVERITY_CODE[c.server_errors_severity as Severity],
  };
}

/** The severity for a response status, or -1 when it is less severe than `log_level` (not sent). */
export function severityFor(s: SeverityConf, status: number): number {
  const severity = status >= 500 ? s.serverErrors : status >= 400 ? s.clientErrors : s.successful;
  return severity <= s.threshold ? severity : -1;
}
