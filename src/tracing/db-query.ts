/**
 * `db_query`: a `kong.database.query` span per statement a request runs on the node's database (rate-limiting's
 * `cluster` counters, say), with Kong's `db.system` (the strategy, `postgres`) and `db.statement` (the SQL with
 * its `$n` placeholders; the values are never recorded). Queries outside a traced request record nothing.
 */
import type { PluginDatabase, SqlParam } from '../pdk/node-database.ts';
import { INSTRUMENT } from './instrumentations.ts';
import { scopedTrace } from './request-scope.ts';
import { STATUS_ERROR } from './span.ts';

/** `db` with its queries traced when the running request records `db_query`. */
export function traceQueries(db: PluginDatabase): PluginDatabase {
  return {
    strategy: db.strategy,
    async query(sql: string, params?: readonly SqlParam[]) {
      const trace = scopedTrace(INSTRUMENT.db_query);
      if (trace === null) return db.query(sql, params);
      const span = trace.startSpan('kong.database.query');
      span.setAttribute('db.system', db.strategy);
      span.setAttribute('db.statement', sql);
      try {
        return await db.query(sql, params);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        span.recordError(message);
        span.setStatus(STATUS_ERROR, message);
        throw err;
      } finally {
        trace.endSpan(span);
      }
    },
  };
}
