/**
 * `db_query`: a `kong.database.query` span per statement a request runs on the node's database, with Kong's
 * `db.system` (the strategy) and `db.statement`:
 * - statements a worker runs itself (rate-limiting's `cluster` counters): the SQL with its `$n` placeholders
 *   (the values are never recorded);
 * - `kong.db` calls (oauth2's tokens and codes), which the supervisor runs for the worker: the DAO method in
 *   Kong's names and the table (`select_by_access_token oauth2_tokens`), since the worker never sees the SQL.
 * Queries outside a traced request record nothing.
 */
import type { PluginDatabase, SqlParam } from '../pdk/node-database.ts';
import type { PluginDb } from '../pdk/plugin-db.ts';
import { INSTRUMENT } from './instrumentations.ts';
import { scopedTrace } from './request-scope.ts';
import { STATUS_ERROR } from './span.ts';

/** Runs `query` inside a `kong.database.query` span when the running request records `db_query`. */
async function traced<T>(system: string, statement: string, query: () => Promise<T>): Promise<T> {
  const trace = scopedTrace(INSTRUMENT.db_query);
  if (trace === null) return query();
  const span = trace.startSpan('kong.database.query');
  span.setAttribute('db.system', system);
  span.setAttribute('db.statement', statement);
  try {
    return await query();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    span.recordError(message);
    span.setStatus(STATUS_ERROR, message);
    throw err;
  } finally {
    trace.endSpan(span);
  }
}

/** `db` (`kong.db`) with its calls traced, `system` being the node's database. */
export function traceDaoCalls(db: PluginDb, system: string): PluginDb {
  return {
    select: (entity, id) => traced(system, `select ${entity}`, () => db.select(entity, id)),
    selectBy: (entity, field, value) => traced(system, `select_by_${field} ${entity}`, () => db.selectBy(entity, field, value)),
    insert: (entity, row, options) => traced(system, `insert ${entity}`, () => db.insert(entity, row, options)),
    update: (entity, id, patch, options) => traced(system, `update ${entity}`, () => db.update(entity, id, patch, options)),
    delete: (entity, id) => traced(system, `delete ${entity}`, () => db.delete(entity, id)),
  };
}

/** `db` with its queries traced when the running request records `db_query`. */
export function traceQueries(db: PluginDatabase): PluginDatabase {
  return { strategy: db.strategy, query: (sql: string, params?: readonly SqlParam[]) => traced(db.strategy, sql, () => db.query(sql, params)) };
}
