import { ensurePrivateDir } from '../core/private-files.ts';
import { join } from 'node:path';
import type { Settings } from '../config/settings-types.ts';
import { openPostgresStore, openSqliteStore, type MigrationTarget, type PostgresSettings, type Store } from '../store/index.ts';

/** The embedded database lives in the prefix, next to the pid file and logs. */
export function sqlitePath(settings: Settings): string {
  return join(settings.prefix, 'tollgate.db');
}

export function postgresSettings(settings: Settings): PostgresSettings {
  return {
    host: settings.pg_host,
    port: settings.pg_port,
    user: settings.pg_user,
    password: settings.pg_password,
    database: settings.pg_database,
    ssl: settings.pg_ssl,
    timeoutMs: settings.pg_timeout,
  };
}

/** Where `tollgate migrations ...` works, for the configured database. */
export function migrationTarget(settings: Settings): MigrationTarget {
  if (settings.database === 'sqlite') {
    ensurePrivateDir(settings.prefix);
    return { sqlite: sqlitePath(settings) };
  }
  if (settings.database === 'postgres') return { postgres: postgresSettings(settings) };
  throw new Error(`database = off has no migrations: the configuration lives in memory (set database = sqlite or postgres)`);
}

/** Opens the configured store; PostgreSQL is refused with the command to run when not bootstrapped or behind. */
export async function openConfiguredStore(settings: Settings): Promise<Store> {
  if (settings.database === 'sqlite') {
    ensurePrivateDir(settings.prefix);
    return openSqliteStore(sqlitePath(settings));
  }
  if (settings.database === 'postgres') return openPostgresStore(postgresSettings(settings));
  throw new Error('database = off has no store');
}
