/**
 * Redis connections for the plugins that keep state in Redis (rate-limiting, proxy-cache): one ioredis client
 * per distinct Redis configuration per process, created on first use and shared by every plugin configuration
 * (and every snapshot) naming the same server.
 * A server that is down fails calls at once instead of queueing them, so `fault_tolerant` traffic is not held
 * up while the client reconnects in the background.
 */
import { Redis } from 'ioredis';

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
}

/** One command: name and arguments, as sent in a pipeline. */
export type RedisCommand = readonly [string, ...(string | number)[]];

/** Errors are reported to the log at most once per this interval per server. */
const LOG_INTERVAL_MS = 10_000;

export class RedisConnection {
  readonly name: string;
  readonly #client: Redis;
  /** The last connection error, while the client is not ready; null when it is, or has not failed yet. */
  #failure: Error | null = null;
  #lastLogged = 0;

  constructor(settings: RedisSettings) {
    this.name = `${settings.host}:${settings.port}/${settings.database}`;
    this.#client = new Redis({
      host: settings.host,
      port: settings.port,
      username: settings.username ?? undefined,
      password: settings.password ?? undefined,
      db: settings.database,
      tls: settings.ssl ? { rejectUnauthorized: settings.sslVerify, servername: settings.serverName ?? settings.host } : undefined,
      connectTimeout: settings.connectTimeout,
      commandTimeout: settings.commandTimeout,
      // Commands sent before the first connection wait for it; a failed attempt rejects them (no retries).
      maxRetriesPerRequest: 0,
      enableOfflineQueue: true,
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
    });
    // Without a listener ioredis prints every connection error itself; the plugin logs them, rate-limited.
    this.#client.on('error', (err: Error) => {
      this.#failure = err;
    });
    this.#client.on('ready', () => {
      this.#failure = null;
    });
    // A connection never keeps its process alive: the supervisor (whose Admin API may have opened one for a
    // plugin endpoint) stops by letting its event loop drain.
    this.#client.on('connect', () => this.#client.stream.unref());
  }

  /** Sends the commands in one pipeline; resolves to their replies, rejects on any error. */
  async pipeline(commands: readonly RedisCommand[]): Promise<unknown[]> {
    if (this.#failure !== null && this.#client.status !== 'ready') throw this.#failure;
    const results = await this.#client.pipeline(commands.map((c) => [...c])).exec();
    if (results === null) throw new Error('Redis pipeline was discarded');
    const replies: unknown[] = [];
    for (const [err, reply] of results) {
      if (err) throw err;
      replies.push(reply);
    }
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
   * server); resolves to how many went.
   */
  async deletePrefix(prefix: string): Promise<number> {
    this.#failFast();
    const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
    let cursor = '0';
    let removed = 0;
    do {
      const [next, keys] = await this.#client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) removed += await this.#client.del(...keys);
    } while (cursor !== '0');
    return removed;
  }

  #failFast(): void {
    if (this.#failure !== null && this.#client.status !== 'ready') throw this.#failure;
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
