/**
 * Redis connections for the plugins that keep state in Redis (rate-limiting, response-ratelimiting,
 * proxy-cache): one ioredis client per distinct Redis configuration per process, created on first use and
 * shared by every plugin configuration (and every snapshot) naming the same server, Sentinel set or Cluster.
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
    // A connection never keeps its process alive: the supervisor (whose Admin API may have opened one for a
    // plugin endpoint) stops by letting its event loop drain.
    const client = this.#client;
    if (client instanceof Redis) client.on('connect', () => client.stream.unref());
    else client.on('ready', () => client.nodes().forEach((n) => n.stream?.unref()));
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

  /** A value as bytes, or null when the key does not exist (binary-safe, unlike `pipeline`'s text replies). */
  async getBuffer(key: string): Promise<Buffer | null> {
    this.#failFast();
    return this.#client.getBuffer(key);
  }

  /** Stores bytes under `key` for `ttlMs` milliseconds (0: no expiry). */
  async setBuffer(key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    this.#failFast();
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (ttlMs > 0) await this.#client.set(key, bytes, 'PX', Math.ceil(ttlMs));
    else await this.#client.set(key, bytes);
  }

  /** Deletes a key; resolves to whether it existed. */
  async delete(key: string): Promise<boolean> {
    this.#failFast();
    return (await this.#client.del(key)) > 0;
  }

  /**
   * Deletes every key starting with `prefix`, walking the key space with SCAN (never KEYS, which blocks the
   * server) — on every master of a Cluster; resolves to how many went.
   */
  async deletePrefix(prefix: string): Promise<number> {
    this.#failFast();
    const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
    const servers = this.#client instanceof Cluster ? this.#client.nodes('master') : [this.#client];
    let removed = 0;
    for (const server of servers) {
      let cursor = '0';
      do {
        const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        // One DEL per key: in a Cluster the keys of one batch may sit in different slots.
        for (const key of keys) removed += await this.#client.del(key);
      } while (cursor !== '0');
    }
    return removed;
  }

  #failFast(): void {
    if (this.#failure !== null && this.#client.status !== 'ready') throw this.#failure;
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
