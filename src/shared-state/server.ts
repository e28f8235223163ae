/**
 * The node side of shared state, run by the supervisor: it owns the counters, the cache and the metrics,
 * listens on a Unix-domain socket in the prefix and serves each worker's connection. State lives here, so a
 * worker that crashes loses nothing but its own requests in flight, and its replacement connects again.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeServices, SharedCounters, SharedCache, SharedValue } from '../pdk/shared-state.ts';
import { CounterStore } from './counter-store.ts';
import { LruCache } from './lru-cache.ts';
import { LocalMetricsRegistry } from './metrics-registry.ts';
import { MetricsStore } from './metrics-store.ts';
import type { MetricsPush } from './metrics-types.ts';
import { FrameReader, FrameWriter, Op } from './protocol.ts';

export interface SharedStateServerOptions {
  /** The cache's bound in bytes (`mem_cache_size`). */
  cacheBytes: number;
  /** A secret every connection must present first (sent to workers with their init message). */
  token: string;
  /** How often expired counters and cache entries are removed (default 10 s). */
  sweepIntervalMs?: number;
  /** The clock, for tests. */
  now?: () => number;
  /** Problems worth a log line (a metric defined twice with different shapes, a bad connection). */
  warn?: (message: string) => void;
}

/** Longest Unix socket path Linux accepts is 107 bytes. */
const MAX_SOCKET_PATH = 100;

/** The socket path for a prefix; a short private temporary directory when the prefix is too long for one. */
export function socketPathFor(prefix: string): string {
  const inPrefix = join(prefix, 'shared-state.sock');
  if (Buffer.byteLength(inPrefix) <= MAX_SOCKET_PATH) return inPrefix;
  return join(mkdtempSync(join(tmpdir(), 'tollgate-')), 'shared-state.sock');
}

interface Connection {
  readonly socket: Socket;
  /** Assigned when the worker says hello with the right token; 0 until then. */
  id: number;
  readonly writer: FrameWriter;
  /** Flush requests this connection has not answered. */
  readonly flushes: Set<number>;
}

export class SharedStateServer {
  readonly counters = new CounterStore();
  readonly cache: LruCache;
  readonly metrics = new MetricsStore();
  /** The supervisor's own metrics, merged in (as worker 0) when a scrape renders. */
  readonly nodeMetrics = new LocalMetricsRegistry();
  readonly #token: string;
  readonly #now: () => number;
  readonly #warn: (message: string) => void;
  readonly #connections = new Set<Connection>();
  readonly #flushWaiters = new Map<number, { pending: Set<Connection>; done: () => void }>();
  #flushSeq = 0;
  #connSeq = 0;
  #server: Server | null = null;
  #path: string | null = null;
  readonly #sweepTimer: NodeJS.Timeout;
  readonly #warned = new Set<string>();

  constructor(options: SharedStateServerOptions) {
    this.cache = new LruCache(options.cacheBytes);
    this.#token = options.token;
    this.#now = options.now ?? Date.now;
    this.#warn = options.warn ?? (() => {});
    this.#sweepTimer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 10_000);
    this.#sweepTimer.unref();
    this.#defineNodeMetrics();
  }

  /** Removes expired counters and cache entries. */
  sweep(): void {
    const now = this.#now();
    this.counters.sweep(now);
    this.cache.sweep(now);
  }

  /** Listens on `path` (a stale socket file there is replaced); only this user may connect. */
  listen(path: string): Promise<void> {
    rmSync(path, { force: true });
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    this.#path = path;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        chmodSync(path, 0o600);
        resolve();
      });
    });
  }

  get path(): string | null {
    return this.#path;
  }

  /** Connected workers (those that said hello). */
  get workers(): number {
    let n = 0;
    for (const c of this.#connections) if (c.id !== 0) n++;
    return n;
  }

  /** Stops listening and cuts every connection (their pending calls fail in the workers). */
  async close(): Promise<void> {
    clearInterval(this.#sweepTimer);
    for (const c of this.#connections) c.socket.destroy();
    const server = this.#server;
    this.#server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.#path !== null) rmSync(this.#path, { force: true });
  }

  #accept(socket: Socket): void {
    const conn: Connection = { socket, id: 0, writer: new FrameWriter(4096), flushes: new Set() };
    this.#connections.add(conn);
    const reader = new FrameReader((op, id, buf, start, end) => this.#frame(conn, op, id, buf, start, end));
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        this.#warn(`shared state: dropping a worker connection: ${(err as Error).message}`);
        socket.destroy();
        return;
      }
      // Every reply to one read leaves in one write.
      if (conn.writer.length > 0 && !socket.destroyed) socket.write(conn.writer.take());
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#connections.delete(conn);
      if (conn.id !== 0) this.metrics.dropWorker(conn.id);
      for (const flushId of conn.flushes) this.#flushAnswered(flushId, conn);
    });
  }

  #frame(conn: Connection, op: number, id: number, buf: Buffer, start: number, end: number): void {
    if (conn.id === 0) {
      if (op === Op.HELLO && buf.toString('utf8', start, end) === this.#token) {
        conn.id = ++this.#connSeq;
        return;
      }
      this.#warn('shared state: refused a connection that did not present the node token');
      conn.socket.destroy();
      return;
    }
    const w = conn.writer;
    const now = this.#now();
    switch (op) {
      case Op.INCR:
        w.number(id, this.counters.incr(buf.toString('utf8', start + 16, end), buf.readDoubleLE(start), buf.readDoubleLE(start + 8), now));
        return;
      case Op.COUNTER_ADD: {
        // A sole worker mirroring its own counters: the expiry it sends is absolute, so the copy here ends
        // when the worker's does; one that ended already is of no use (the worker restarted it).
        const expiresAt = buf.readDoubleLE(start + 8);
        if (expiresAt === 0 || expiresAt > now) this.counters.incr(buf.toString('utf8', start + 16, end), buf.readDoubleLE(start), expiresAt === 0 ? 0 : expiresAt - now, now);
        return;
      }
      case Op.COUNTER_DUMP: {
        const dump = Buffer.from(JSON.stringify(this.counters.entries(now)), 'utf8');
        w.value(id, dump, true);
        return;
      }
      case Op.COUNTER_GET:
        w.number(id, this.counters.get(buf.toString('utf8', start, end), now));
        return;
      case Op.COUNTER_DELETE:
        this.counters.delete(buf.toString('utf8', start, end));
        w.text(Op.OK, id);
        return;
      case Op.CACHE_GET: {
        const hit = this.cache.get(buf.toString('utf8', start, end), now);
        if (hit === undefined) w.text(Op.MISS, id);
        else w.value(id, hit.bytes, hit.text);
        return;
      }
      case Op.CACHE_SET: {
        const ttl = buf.readDoubleLE(start);
        const text = buf[start + 8] === 1;
        const keyEnd = start + 13 + buf.readUInt32LE(start + 9);
        const key = buf.toString('utf8', start + 13, keyEnd);
        try {
          // A copy of exactly the value (not a view of the read chunk, nor a slice of Buffer's shared pool).
          this.cache.set(key, { bytes: new Uint8Array(buf.subarray(keyEnd, end)), text }, ttl, now);
          w.text(Op.OK, id);
        } catch (err) {
          w.text(Op.ERROR, id, (err as Error).message);
        }
        return;
      }
      case Op.CACHE_DELETE:
        this.cache.delete(buf.toString('utf8', start, end));
        w.text(Op.OK, id);
        return;
      case Op.CACHE_PURGE:
        this.cache.purge(buf.toString('utf8', start, end));
        w.text(Op.OK, id);
        return;
      case Op.METRICS:
        if (end > start) {
          try {
            this.#applyMetrics(conn.id, JSON.parse(buf.toString('utf8', start, end)) as MetricsPush);
          } catch (err) {
            this.#warn(`shared state: ignored unreadable metrics from a worker: ${(err as Error).message}`);
          }
        }
        if (id !== 0) this.#flushAnswered(id, conn);
        return;
      default:
        w.text(Op.ERROR, id, `shared state: unknown operation ${op}`);
    }
  }

  #applyMetrics(workerId: number, push: MetricsPush): void {
    this.metrics.apply(workerId, push);
    for (const name of this.metrics.conflicts) {
      if (this.#warned.has(name)) continue;
      this.#warned.add(name);
      this.#warn(`metric ${name} was defined again with another type, labels or buckets (or an invalid definition); its samples are dropped`);
    }
  }

  #flushAnswered(flushId: number, conn: Connection): void {
    conn.flushes.delete(flushId);
    const waiter = this.#flushWaiters.get(flushId);
    if (waiter === undefined) return;
    waiter.pending.delete(conn);
    if (waiter.pending.size === 0) waiter.done();
  }

  /** Asks every worker to push its metrics now; resolves when all answered, left, or `timeoutMs` passed. */
  flushMetrics(timeoutMs = 1000): Promise<void> {
    const conns = [...this.#connections].filter((c) => c.id !== 0 && !c.socket.destroyed);
    if (conns.length === 0) return Promise.resolve();
    const flushId = ++this.#flushSeq;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#flushWaiters.delete(flushId);
        for (const c of conns) c.flushes.delete(flushId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#flushWaiters.set(flushId, { pending: new Set(conns), done });
      for (const c of conns) {
        c.flushes.add(flushId);
        c.writer.text(Op.FLUSH, flushId);
        c.socket.write(c.writer.take());
      }
    });
  }

  #cacheBytes = this.nodeMetrics.gauge({ name: 'tollgate_shared_cache_bytes', help: 'Bytes the node-wide shared cache holds (keys, values and bookkeeping).' });
  #cacheLimit = this.nodeMetrics.gauge({ name: 'tollgate_shared_cache_limit_bytes', help: 'The bound of the node-wide shared cache (mem_cache_size).' });
  #cacheEntries = this.nodeMetrics.gauge({ name: 'tollgate_shared_cache_entries', help: 'Entries in the node-wide shared cache, expired ones not yet swept included.' });
  #cacheEvictions = this.nodeMetrics.gauge({ name: 'tollgate_shared_cache_evictions', help: 'Live entries evicted from the node-wide shared cache to make room, since the node started.' });
  #counterKeys = this.nodeMetrics.gauge({ name: 'tollgate_shared_counters', help: 'Node-wide shared counters held, expired ones not yet swept included.' });
  #workersConnected = this.nodeMetrics.gauge({ name: 'tollgate_shared_state_workers', help: 'Workers connected to the node-wide shared state.' });

  #defineNodeMetrics(): void {
    this.#cacheLimit.set([], this.cache.limit);
    // The node's own metrics come first in every scrape.
    this.metrics.apply(0, this.nodeMetrics.take()!);
  }

  /** Asks the workers to flush, then renders every metric of the node in the Prometheus text format. */
  async renderMetrics(timeoutMs = 1000, hide?: (name: string) => boolean): Promise<string> {
    await this.flushMetrics(timeoutMs);
    return this.renderNow(hide);
  }

  /** Renders what the node has now (no flush); `hide` leaves families out. */
  renderNow(hide?: (name: string) => boolean): string {
    this.#cacheBytes.set([], this.cache.bytes);
    this.#cacheEntries.set([], this.cache.size);
    this.#cacheEvictions.set([], this.cache.evictions);
    this.#counterKeys.set([], this.counters.size);
    this.#workersConnected.set([], this.workers);
    const own = this.nodeMetrics.take();
    if (own !== null) this.metrics.apply(0, own);
    return this.metrics.render(hide);
  }

  /** NodeServices for code that runs in the supervisor itself: direct calls, no socket. */
  localServices(): NodeServices {
    const now = this.#now;
    const counters: SharedCounters = {
      incr: async (key, by, ttlMs) => this.counters.incr(key, by, ttlMs, now()),
      get: async (key) => this.counters.get(key, now()),
      delete: async (key) => this.counters.delete(key),
    };
    const cache: SharedCache = {
      get: async (key): Promise<SharedValue | undefined> => {
        const hit = this.cache.get(key, now());
        if (hit === undefined) return undefined;
        return hit.text ? Buffer.from(hit.bytes.buffer, hit.bytes.byteOffset, hit.bytes.byteLength).toString('utf8') : hit.bytes.slice();
      },
      set: async (key, value, ttlMs) => {
        const bytes = typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'utf8')) : value.slice();
        this.cache.set(key, { bytes, text: typeof value === 'string' }, ttlMs, now());
      },
      delete: async (key) => this.cache.delete(key),
      purge: async (prefix) => {
        this.cache.purge(prefix);
      },
    };
    return { counters, cache, metrics: this.nodeMetrics };
  }
}
