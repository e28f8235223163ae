import { ensurePrivateDir } from '../core/private-files.ts';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { readPem } from '../config/value-parsers.ts';
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
    sslVerify: settings.pg_ssl_verify,
    ...(settings.pg_ssl && settings.pg_ssl_verify ? trustedCas(settings.lua_ssl_trusted_certificate) : {}),
    timeoutMs: settings.pg_timeout,
    schema: settings.pg_schema,
    ...(settings.pg_pool_size !== null ? { poolSize: settings.pg_pool_size } : {}),
    ...(settings.pg_keepalive_timeout !== null ? { idleTimeoutMs: settings.pg_keepalive_timeout } : {}),
  };
}

/**
 * The CAs `pg_ssl_verify` checks PostgreSQL's certificate against, from `lua_ssl_trusted_certificate`: `system` is
 * Node's bundled CA list; files and PEM text are added to it. Only `system` leaves Node's default in place.
 */
function trustedCas(entries: readonly string[]): { sslCa?: string[] } {
  const own = entries.filter((entry) => entry !== 'system').map(readPem);
  if (own.length === 0) return {};
  return { sslCa: entries.includes('system') ? [...rootCertificates, ...own] : own };
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
