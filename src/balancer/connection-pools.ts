import { createHash } from 'node:crypto';
import { UpstreamPool } from './upstream-pool.ts';
import type { LookupFunction } from './dns-lookup.ts';

/**
 * Keep-alive connection pools to upstream origins, shared across configuration snapshots so that a reload
 * does not drop warm connections: a new snapshot asks for the pools it needs and gets the existing ones back.
 */

export interface PoolSettings {
  /** Idle keep-alive time in milliseconds (upstream_keepalive_idle_timeout); 0 = no limit. */
  keepAliveTimeout: number;
  /** Requests per connection before it is recycled (upstream_keepalive_max_requests); 0 = unlimited. */
  maxRequestsPerConnection: number;
  /** Most idle connections kept per origin (upstream_keepalive_pool_size, as in Kong: concurrency is not bounded); 0 disables keep-alive. */
  poolSize: number;
  /** `client_ssl`: the certificate presented to TLS upstreams whose service and upstream set no client certificate. */
  defaultClientCertificate?: { cert: string; key: string } | null;
  /** Resolves upstream host names (`dns_resolver`); absent or null uses Node's `dns.lookup`. */
  lookup?: LookupFunction | null;
}

export interface OriginOptions {
  /** `http://host:port` or `https://host:port`. */
  origin: string;
  connectTimeout: number;
  /** Verify the upstream's certificate (https only). */
  tlsVerify: boolean;
  /** SNI sent on https connections. */
  servername: string | null;
  /** Trust anchors replacing Node's bundled roots when verifying (the service's `ca_certificates`), or null. */
  ca?: readonly string[] | null;
  /** Client certificate and key presented to the upstream (the service's `client_certificate`), or null. */
  clientCertificate?: { cert: string; key: string } | null;
  /** Most intermediate certificates allowed between the upstream's certificate and its trust anchor, or null. */
  verifyDepth?: number | null;
}

/** Most pools kept for peers plugins choose per request. */
const AD_HOC_POOLS = 64;

export class ConnectionPools {
  readonly #pools = new Map<string, UpstreamPool>();
  readonly #adHoc = new Map<string, UpstreamPool>();
  readonly #settings: PoolSettings;

  constructor(settings: PoolSettings) {
    this.#settings = settings;
  }

  static key(o: OriginOptions): string {
    const base = `${o.origin}|${o.connectTimeout}|${o.tlsVerify ? 1 : 0}|${o.servername ?? ''}`;
    if (!o.ca && !o.clientCertificate && (o.verifyDepth ?? null) === null) return base;
    // The PEM itself, not the entity ids, decides: a renewed certificate under the same id gets a new pool.
    const material = createHash('sha256')
      .update(JSON.stringify([o.ca ?? null, o.clientCertificate ?? null, o.verifyDepth ?? null]))
      .digest('hex')
      .slice(0, 32);
    return `${base}|${material}`;
  }

  /**
   * A pool for a peer a plugin chose per request (`kong.service.set_target`): kept apart from the snapshot's pools
   * (a configuration change does not close it), the least recently used closed past AD_HOC_POOLS.
   */
  adHoc(o: OriginOptions): UpstreamPool {
    const key = ConnectionPools.key(o);
    let pool = this.#adHoc.get(key);
    if (pool !== undefined) {
      // Re-inserted: a Map iterates in insertion order, so the first entry is the least recently used.
      this.#adHoc.delete(key);
      this.#adHoc.set(key, pool);
      return pool;
    }
    pool = this.#create(o);
    this.#adHoc.set(key, pool);
    if (this.#adHoc.size > AD_HOC_POOLS) {
      const [oldestKey, oldest] = this.#adHoc.entries().next().value as [string, UpstreamPool];
      this.#adHoc.delete(oldestKey);
      oldest.close().catch(() => {});
    }
    return pool;
  }

  /** Returns the pool for these options, creating it on first use. */
  get(o: OriginOptions): UpstreamPool {
    const key = ConnectionPools.key(o);
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = this.#create(o);
      this.#pools.set(key, pool);
    }
    return pool;
  }

  #create(o: OriginOptions): UpstreamPool {
    const s = this.#settings;
    const url = new URL(o.origin);
    const tls = url.protocol === 'https:';
    // URL keeps the brackets of an IPv6 literal; sockets want the bare address.
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    return new UpstreamPool({
      host,
      port: url.port === '' ? (tls ? 443 : 80) : Number(url.port),
      tls,
      servername: tls ? o.servername : null,
      rejectUnauthorized: o.tlsVerify,
      ca: o.ca ?? null,
      clientCertificate: tls ? (o.clientCertificate ?? s.defaultClientCertificate ?? null) : null,
      lookup: s.lookup ?? null,
      verifyDepth: o.verifyDepth ?? null,
      connectTimeout: o.connectTimeout,
      maxIdle: s.poolSize,
      idleTimeout: s.keepAliveTimeout === 0 ? Infinity : s.keepAliveTimeout,
      maxRequests: s.maxRequestsPerConnection,
    });
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
    const pools = [...this.#pools.values(), ...this.#adHoc.values()];
    this.#pools.clear();
    this.#adHoc.clear();
    await Promise.allSettled(pools.map((p) => p.close()));
  }
}
