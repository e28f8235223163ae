/**
 * Counters in the node's PostgreSQL (`policy = cluster`), in Kong's tables (`ratelimiting_metrics`,
 * `response_ratelimiting_metrics`): one row per identifier, period, window start, service and route. An
 * increment is one atomic upsert for every period at once that returns the new values, so concurrent requests
 * on any node see distinct counts. Rows carry their window's end (`ttl`); each worker deletes expired ones at
 * most once a minute, off the request's path.
 */
import { pluginDatabase, type PluginDatabase } from '../../pdk/index.ts';

/** One counter row of a request: its period name (`minute`, or `videos_minute`), window start and end (ms). */
export interface ClusterCounter {
  readonly period: string;
  readonly start: number;
  readonly expiresAt: number;
}

/** Where a plugin's counters are: its table and the plugin's route and service (Kong's all-zero UUID when none). */
export interface ClusterScope {
  readonly table: 'ratelimiting_metrics' | 'response_ratelimiting_metrics';
  readonly service: string;
  readonly route: string;
}

const PURGE_INTERVAL_MS = 60_000;
const lastPurge = new Map<string, number>();

function database(): PluginDatabase {
  const db = pluginDatabase();
  if (db === null) throw new Error("policy 'cluster' needs the node's PostgreSQL database, and this process has none");
  return db;
}

/** Deletes expired rows of `table`, at most once a minute per worker; failures wait for the next try. */
function maybePurge(db: PluginDatabase, table: string, now: number): void {
  if (now - (lastPurge.get(table) ?? 0) < PURGE_INTERVAL_MS) return;
  lastPurge.set(table, now);
  db.query(`DELETE FROM "${table}" WHERE "ttl" < now()`).catch(() => undefined);
}

/** Adds `by` to every counter; resolves to their new values, by period name. */
export async function clusterIncrement(scope: ClusterScope, identifier: string, counters: readonly ClusterCounter[], by: number, now: number): Promise<Map<string, number>> {
  const db = database();
  maybePurge(db, scope.table, now);
  const rows = await db.query(
    `INSERT INTO "${scope.table}" ("identifier", "period", "period_date", "service_id", "route_id", "value", "ttl")
     SELECT $1, u.p, to_timestamp(u.d / 1000.0), $2, $3, $4, to_timestamp(u.t / 1000.0)
       FROM unnest($5::text[], $6::float8[], $7::float8[]) AS u(p, d, t)
     ON CONFLICT ("identifier", "period", "period_date", "service_id", "route_id")
     DO UPDATE SET "value" = "${scope.table}"."value" + EXCLUDED."value"
     RETURNING "period", "value"`,
    [identifier, scope.service, scope.route, by, counters.map((c) => c.period), counters.map((c) => c.start), counters.map((c) => c.expiresAt)],
  );
  return valuesOf(rows);
}

/** The counters' current values by period name (absent rows are left out: 0). */
export async function clusterRead(scope: ClusterScope, identifier: string, counters: readonly Pick<ClusterCounter, 'period' | 'start'>[]): Promise<Map<string, number>> {
  if (counters.length === 0) return new Map();
  const rows = await database().query(
    `SELECT m."period", m."value" FROM "${scope.table}" m
       JOIN unnest($4::text[], $5::float8[]) AS u(p, d) ON m."period" = u.p AND m."period_date" = to_timestamp(u.d / 1000.0)
      WHERE m."identifier" = $1 AND m."service_id" = $2 AND m."route_id" = $3`,
    [identifier, scope.service, scope.route, counters.map((c) => c.period), counters.map((c) => c.start)],
  );
  return valuesOf(rows);
}

function valuesOf(rows: readonly Readonly<Record<string, unknown>>[]): Map<string, number> {
  const values = new Map<string, number>();
  for (const row of rows) values.set(String(row.period), Number(row.value));
  return values;
}

/** Kong's table layout, for a plugin's `000_base_*` migration (`ttl` is Tollgate's window end). */
export function metricsTableSql(table: string, dialect: 'sqlite' | 'postgres'): string {
  const time = dialect === 'postgres' ? 'TIMESTAMP WITH TIME ZONE' : 'INTEGER';
  const id = dialect === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
  return `CREATE TABLE IF NOT EXISTS "${table}" (
  "identifier" TEXT NOT NULL,
  "period" TEXT NOT NULL,
  "period_date" ${time} NOT NULL,
  "service_id" ${id} NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
  "route_id" ${id} NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
  "value" INTEGER,
  "ttl" ${time},
  PRIMARY KEY ("identifier", "period", "period_date", "service_id", "route_id")
);
CREATE INDEX IF NOT EXISTS "${table}_ttl_idx" ON "${table}" ("ttl");`;
}
