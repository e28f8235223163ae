/**
 * The node's PostgreSQL as proxy workers offer it to plugins (`pluginDatabase()` in the PDK): a small pool of
 * its own per worker, opened on first use, bounded by `pg_timeout` like the store's, so a plugin that counts
 * in the database (rate-limiting's `cluster` policy) neither waits on the supervisor nor hangs on a dead server.
 */
import pg from 'pg';
import type { Settings } from '../config/settings-types.ts';
import type { NodeDatabaseKind, PluginDatabase, SqlParam } from '../pdk/index.ts';
import { clientConfig } from '../store/postgres/driver.ts';
import type { PostgresSettings } from '../store/index.ts';

/** Connections per worker: plugin statements are short single round trips. */
const POOL_SIZE = 4;

/** What the node offers plugins needing a database, from its settings. */
export function nodeDatabaseKindOf(settings: Pick<Settings, 'database' | 'role'>): NodeDatabaseKind {
  if (settings.role === 'control_plane') return 'control_plane';
  if (settings.database === 'postgres') return 'postgres';
  if (settings.database === 'sqlite') return 'sqlite';
  return 'off';
}

/** A worker's handle on the node's PostgreSQL, connecting lazily; it lives as long as the worker. */
export function openPluginDatabase(settings: PostgresSettings): PluginDatabase {
  let pool: pg.Pool | null = null;
  const get = (): pg.Pool => {
    if (pool === null) {
      pool = new pg.Pool({ ...clientConfig(settings), max: POOL_SIZE, application_name: 'tollgate-plugins' });
      // A pooled connection that dies is replaced; without listeners its error would end the worker.
      pool.on('error', () => undefined);
      pool.on('connect', (client) => {
        client.on('error', () => undefined);
      });
    }
    return pool;
  };
  return {
    strategy: 'postgres',
    async query(sql: string, params: readonly SqlParam[] = []) {
      const result = await get().query(sql, [...params]);
      return result.rows as Readonly<Record<string, unknown>>[];
    },
  };
}
