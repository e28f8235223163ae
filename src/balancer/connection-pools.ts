import { Pool } from 'undici';

/**
 * Keep-alive connection pools to upstream origins, shared across configuration snapshots so that a reload
 * does not drop warm connections: a new snapshot asks for the pools it needs and gets the existing ones back.
 */

export interface PoolSettings {
  /** Idle keep-alive time in milliseconds (upstream_keepalive_idle_timeout). */
  keepAliveTimeout: number;
  /** Requests per connection before it is recycled (upstream_keepalive_max_requests); 0 = unlimited. */
  maxRequestsPerConnection: number;
  /** Most connections kept per origin (upstream_keepalive_pool_size); 0 disables keep-alive. */
  poolSize: number;
}

export interface OriginOptions {
  /** `http://host:port` or `https://host:port`. */
  origin: string;
  connectTimeout: number;
  /** Verify the upstream's certificate (https only). */
  tlsVerify: boolean;
  /** SNI sent on https connections. */
  servername: string | null;
}

export class ConnectionPools {
  readonly #pools = new Map<string, Pool>();
  readonly #settings: PoolSettings;

  constructor(settings: PoolSettings) {
    this.#settings = settings;
  }

  static key(o: OriginOptions): string {
    return `${o.origin}|${o.connectTimeout}|${o.tlsVerify ? 1 : 0}|${o.servername ?? ''}`;
  }

  /** Returns the pool for these options, creating it on first use. */
  get(o: OriginOptions): Pool {
    const key = ConnectionPools.key(o);
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      const s = this.#settings;
      const isHttps = o.origin.startsWith('https:');
      pool = new Pool(o.origin, {
        // Kong's pool size bounds idle connections, not concurrency; undici bounds connections, so allow a
        // generous number and let keepAliveTimeout retire the idle ones.
        connections: s.poolSize === 0 ? null : Math.max(s.poolSize, 1024),
        pipelining: 1,
        keepAliveTimeout: s.poolSize === 0 ? 1 : s.keepAliveTimeout,
        keepAliveMaxTimeout: Math.max(s.keepAliveTimeout, 1),
        maxRequestsPerClient: s.maxRequestsPerConnection > 0 ? s.maxRequestsPerConnection : undefined,
        connect: {
          timeout: o.connectTimeout,
          ...(isHttps ? { rejectUnauthorized: o.tlsVerify, servername: o.servername ?? undefined } : {}),
          noDelay: true,
        },
        // Per-request timeouts are set on each dispatch from the service's read_timeout.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Closes pools no longer used by the current snapshot, after in-flight requests on them finish. */
  retainOnly(keys: ReadonlySet<string>): void {
    for (const [key, pool] of this.#pools) {
      if (!keys.has(key)) {
        this.#pools.delete(key);
        pool.close().catch(() => {});
      }
    }
  }

  async closeAll(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(pools.map((p) => p.close()));
  }
}
