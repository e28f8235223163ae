/**
 * Kong's `redis` configuration record (as rate-limiting and the Redis strategies of other plugins write it) and
 * the connection settings it gives. Plugins that keep state in Redis share both, so one server configured the
 * same way in two plugins is one connection per process.
 */
import { typedefs } from '../../../schema/index.ts';
import type { RedisSettings } from './connection.ts';

/** The fields of Kong's `redis` record. */
export const REDIS_RECORD_FIELDS = {
  host: typedefs.host,
  port: { ...typedefs.port, default: 6379 },
  timeout: { ...typedefs.timeout, default: 2000 },
  connect_timeout: { ...typedefs.timeout, description: 'Connect timeout in ms (default: timeout).' },
  send_timeout: { ...typedefs.timeout, description: 'Send timeout in ms (default: timeout).' },
  read_timeout: { ...typedefs.timeout, description: 'Read timeout in ms (default: timeout).' },
  username: { type: 'string', description: 'Redis ACL username (Redis 6+).' },
  password: { type: 'string', len_min: 0, description: 'Password for AUTH; unset sends none.' },
  database: { type: 'integer', default: 0, description: 'The Redis database number.' },
  ssl: { type: 'boolean', required: false, default: false, description: 'Connect with TLS.' },
  ssl_verify: { type: 'boolean', required: false, default: false, description: "Verify the server's certificate." },
  server_name: { ...typedefs.sni, required: false, description: 'SNI server name for TLS.' },
} as const;

/** The plugins' `redis` record as validated (every field optional: defaults are filled in here too). */
export interface RedisRecord {
  readonly host?: string | null;
  readonly port?: number | null;
  readonly timeout?: number | null;
  readonly connect_timeout?: number | null;
  readonly send_timeout?: number | null;
  readonly read_timeout?: number | null;
  readonly username?: string | null;
  readonly password?: string | null;
  readonly database?: number | null;
  readonly ssl?: boolean | null;
  readonly ssl_verify?: boolean | null;
  readonly server_name?: string | null;
  readonly sentinel_master?: string | null;
  readonly sentinel_role?: string | null;
  readonly sentinel_nodes?: readonly { readonly host?: string | null; readonly port?: number | null }[] | null;
  readonly sentinel_username?: string | null;
  readonly sentinel_password?: string | null;
  readonly cluster_nodes?: readonly { readonly ip?: string | null; readonly port?: number | null }[] | null;
  readonly cluster_max_redirections?: number | null;
}

/** Settings from a `redis` record, with Kong's defaults. */
export function redisSettings(r: RedisRecord): RedisSettings {
  const timeout = r.timeout ?? 2000;
  const sentinelNodes = r.sentinel_nodes ?? [];
  const clusterNodes = r.cluster_nodes ?? [];
  const role = r.sentinel_role === 'slave' || r.sentinel_role === 'any' ? r.sentinel_role : 'master';
  return {
    host: r.host ?? '127.0.0.1',
    port: r.port ?? 6379,
    username: r.username ?? null,
    password: r.password ?? null,
    database: r.database ?? 0,
    ssl: r.ssl === true,
    sslVerify: r.ssl_verify === true,
    serverName: r.server_name ?? null,
    connectTimeout: r.connect_timeout ?? timeout,
    commandTimeout: Math.max(r.read_timeout ?? timeout, r.send_timeout ?? timeout),
    sentinel:
      sentinelNodes.length > 0 && typeof r.sentinel_master === 'string'
        ? {
            master: r.sentinel_master,
            role,
            nodes: sentinelNodes.map((n) => ({ host: n.host ?? '127.0.0.1', port: n.port ?? 6379 })),
            username: r.sentinel_username ?? null,
            password: r.sentinel_password ?? null,
          }
        : null,
    cluster:
      clusterNodes.length > 0
        ? { nodes: clusterNodes.map((n) => ({ host: n.ip ?? '127.0.0.1', port: n.port ?? 6379 })), maxRedirections: r.cluster_max_redirections ?? 5 }
        : null,
  };
}

/** Connection settings from a `redis` record, and the key that identifies them (one connection per key). */
export function redisSettingsOf(record: RedisRecord | null | undefined): { key: string; settings: RedisSettings } {
  const settings = redisSettings(record ?? {});
  return { key: JSON.stringify(settings), settings };
}
