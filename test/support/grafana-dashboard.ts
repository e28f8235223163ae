/**
 * Reads the PromQL of a Grafana dashboard: every panel target's `expr` (rows' nested panels included) and every
 * `label_values(metric, label)` template variable. Run it to (re)write the fixture the Prometheus test uses:
 * `node test/support/grafana-dashboard.ts DASHBOARD.json > test/support/kong-dashboard-queries.json`.
 */
import { readFileSync } from 'node:fs';

export interface DashboardQuery {
  /** Where it came from: panel title and target. */
  readonly where: string;
  readonly expr: string;
}

export interface DashboardVariable {
  readonly name: string;
  readonly metric: string;
  readonly label: string;
}

export interface DashboardQueries {
  readonly queries: DashboardQuery[];
  readonly variables: DashboardVariable[];
}

interface Panel {
  title?: string;
  targets?: { expr?: string; refId?: string }[];
  panels?: Panel[];
}

export function readDashboard(text: string): DashboardQueries {
  const doc = JSON.parse(text) as {
    panels?: Panel[];
    rows?: { panels?: Panel[] }[];
    templating?: { list?: { name: string; type: string; query?: unknown; definition?: string }[] };
  };
  const queries: DashboardQuery[] = [];
  const visit = (panels: Panel[] | undefined): void => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) {
        if (typeof t.expr === 'string' && t.expr.trim() !== '') queries.push({ where: `panel '${p.title ?? ''}' target ${t.refId ?? '?'}`, expr: t.expr });
      }
      visit(p.panels);
    }
  };
  visit(doc.panels);
  for (const row of doc.rows ?? []) visit(row.panels);
  const variables: DashboardVariable[] = [];
  for (const v of doc.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : ((v.query as { query?: string } | undefined)?.query ?? v.definition ?? '');
    const m = /^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(q.trim());
    if (m === null) throw new Error(`template variable ${v.name}: not a label_values query: ${q}`);
    variables.push({ name: v.name, metric: m[1], label: m[2] });
  }
  return { queries, variables };
}

if (import.meta.main) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: node test/support/grafana-dashboard.ts DASHBOARD.json');
  process.stdout.write(`${JSON.stringify(readDashboard(readFileSync(file, 'utf8')), null, 2)}\n`);
}
