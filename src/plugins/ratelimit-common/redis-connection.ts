/**
 * Redis connections for the rate-limiting plugins: one ioredis client per distinct Redis configuration per
 * worker, created on first use and shared by every plugin configuration (and every snapshot) naming the same
 * server, Sentinel set or Cluster.
 * A server that is down fails calls at once instead of queueing them, so `fault_tolerant` traffic is not held
 * up while the client reconnects in the background.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** What identifies a Redis server and how to talk to it (from the plugin's `redis` record). */
export interface RedisSettings {
  readonly host: string;
  readonly port: number;
  readonly username: string | null;
  readonly password: string | null;
  readonly database: number;
  readonly ssl: boolean;
  readonly sslVerify: boolean;
  readonly serverName: string | null;
  readonly connectTimeout: number;
  readonly commandTimeout: number;
  /** Sentinel: the master's name, the role to reach and the sentinels; null without Sentinel. */
  readonly sentinel: {
    readonly master: string;
    readonly role: 'master' | 'slave' | 'any';
    readonly nodes: readonly { readonly host: string; readonly port: number }[];
    readonly username: string | null;
    readonly password: string | null;
  } | null;
  /** Cluster: the seed nodes and redirections allowed; null without Cluster. */
  readonly cluster: { readonly nodes: readonly { readonly host: string; readonly port: number }[]; readonly maxRedirections: number } | null;
}

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

/** A name for logs: never the password. */
function describe(settings: RedisSettings): string {
  if (settings.sentinel !== null) return `sentinel master '${settings.sentinel.master}' (${settings.sentinel.nodes.map((n) => `${n.host}:${n.port}`).join(', ')})/${settings.database}`;
  if (settings.cluster !== null) return `cluster ${settings.cluster.nodes.map((n) => `${n.host}:${n.port}`).join(', ')}`;
  return `${settings.host}:${settings.port}/${settings.database}`;
}

/** One command: name and arguments, as sent in a pipeline. */
export type RedisCommand = readonly [string, ...(string | number)[]];

/** Errors are reported to the log at most once per this interval per server. */
const LOG_INTERVAL_MS = 10_000;

export class RedisConnection {
  readonly name: string;
  readonly #client: Redis | Cluster;
  /** A Cluster pipeline may only touch one slot: commands are grouped by key there. */
  #cluster = false;
  /** The last connection error, while the client is not ready; null when it is, or has not failed yet. */
  #failure: Error | null = null;
  #lastLogged = 0;

  constructor(settings: RedisSettings) {
    this.name = describe(settings);
    const tls = settings.ssl ? { rejectUnauthorized: settings.sslVerify, servername: settings.serverName ?? settings.host } : undefined;
    const common: RedisOptions = {
      username: settings.username ?? undefined,
      password: settings.password ?? undefined,
      tls,
      connectTimeout: settings.connectTimeout,
      commandTimeout: settings.commandTimeout,
      // Commands sent before the first connection wait for it; a failed attempt rejects them (no retries).
      maxRetriesPerRequest: 0,
      enableOfflineQueue: true,
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
    };
    if (settings.cluster !== null) {
      this.#cluster = true;
      this.#client = new Cluster(
        settings.cluster.nodes.map((n) => ({ host: n.host, port: n.port })),
        {
          redisOptions: common,
          maxRedirections: settings.cluster.maxRedirections,
          enableOfflineQueue: true,
          clusterRetryStrategy: (times: number) => Math.min(100 * times, 2000),
        },
      );
    } else if (settings.sentinel !== null) {
      const s = settings.sentinel;
      this.#client = new Redis({
        ...common,
        db: settings.database,
        name: s.master,
        role: s.role === 'slave' ? 'slave' : 'master',
        sentinels: s.nodes.map((n) => ({ host: n.host, port: n.port })),
        sentinelUsername: s.username ?? undefined,
        sentinelPassword: s.password ?? undefined,
        sentinelRetryStrategy: (times: number) => Math.min(100 * times, 2000),
        // After a failover the old master refuses writes (READONLY): reconnect to ask the sentinels again.
        reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
      });
    } else {
      this.#client = new Redis({ ...common, host: settings.host, port: settings.port, db: settings.database });
    }
    // Without a listener ioredis prints every connection error itself; the plugin logs them, rate-limited.
    this.#client.on('error', (err: Error) => {
      this.#failure = err;
    });
    this.#client.on('ready', () => {
      this.#failure = null;
    });
  }

  /**
   * Sends the commands as one transaction (MULTI/EXEC, in one round trip), so that a request's counters for
   * every period move together and concurrent requests never see them in different orders; resolves to their
   * replies, rejects on any error. In a Cluster, where keys of different slots cannot share a transaction, each
   * key gets a pipeline of its own.
   */
  async pipeline(commands: readonly RedisCommand[]): Promise<unknown[]> {
    if (this.#failure !== null && this.#client.status !== 'ready') throw this.#failure;
    if (this.#cluster) return this.#clusterPipeline(commands);
    const results = await this.#client.multi(commands.map((c) => [...c])).exec();
    if (results === null) throw new Error('Redis transaction was discarded');
    const replies: unknown[] = [];
    for (const [err, reply] of results) {
      if (err) throw err;
      replies.push(reply);
    }
    return replies;
  }

  /** One pipeline per key (each command's first argument), sent at once; replies in the commands' order. */
  async #clusterPipeline(commands: readonly RedisCommand[]): Promise<unknown[]> {
    const groups = new Map<string | number | undefined, number[]>();
    commands.forEach((c, i) => {
      const group = groups.get(c[1]);
      if (group === undefined) groups.set(c[1], [i]);
      else group.push(i);
    });
    const replies: unknown[] = new Array(commands.length);
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const results = await this.#client.pipeline(indexes.map((i) => [...commands[i]])).exec();
        if (results === null) throw new Error('Redis pipeline was discarded');
        results.forEach(([err, reply], j) => {
          if (err) throw err;
          replies[indexes[j]] = reply;
        });
      }),
    );
    return replies;
  }

  /** Closes the client (tests; workers keep theirs for their lifetime). */
  disconnect(): void {
    this.#client.disconnect();
  }

  /** Whether an error should be logged now (at most once per interval), recording that it was. */
  shouldLog(now: number): boolean {
    if (now - this.#lastLogged < LOG_INTERVAL_MS) return false;
    this.#lastLogged = now;
    return true;
  }
}

const connections = new Map<string, RedisConnection>();

/** The worker's connection for these settings, created on first use. */
export function redisConnection(key: string, settings: RedisSettings): RedisConnection {
  let conn = connections.get(key);
  if (conn === undefined) {
    conn = new RedisConnection(settings);
    connections.set(key, conn);
  }
  return conn;
}

/** Closes every connection of this process (tests; a worker keeps its connections for its lifetime). */
export function closeRedisConnections(): void {
  for (const conn of connections.values()) conn.disconnect();
  connections.clear();
}
