/**
 * The worker side of shared state: `NodeServices` over one Unix-domain socket to the supervisor. Calls made
 * in one event-loop turn leave in one write; replies come back in order. Metrics stay in the worker and are
 * pushed every `pushIntervalMs`, and at once when the node asks before a scrape.
 */
import { createConnection, type Socket } from 'node:net';
import type { NodeServices, SharedCache, SharedCounters, SharedValue } from '../pdk/shared-state.ts';
import { LocalMetricsRegistry } from './metrics-registry.ts';
import { FrameReader, FrameWriter, MAX_FRAME, Op } from './protocol.ts';
import { SoleCounters, type CounterMirror } from './sole-counters.ts';

export interface SharedStateClientOptions {
  /** The node's socket (`SharedStateServer.path`). */
  path: string;
  /** The node's token, from the worker's init message. */
  token: string;
  /** How often metrics are pushed (default 1 s). */
  pushIntervalMs?: number;
  /** Runs just before each metrics push (to fold in values kept elsewhere, e.g. request totals). */
  beforePush?: () => void;
  /**
   * This is the node's only worker (`worker_processes` = 1): the counters live here and are mirrored to the
   * node (see sole-counters.ts) instead of costing a round trip each.
   */
  soleWorker?: boolean;
  /**
   * How often a sole worker mirrors its counters to the node (default 1 s, the metrics push's pace): what a
   * crash can lose. Not every turn, nor much more often: each write wakes the supervisor, which on a busy core
   * costs the worker measurably (every turn: about a quarter of its time; every 100 ms: about 2%).
   */
  mirrorIntervalMs?: number;
}

/** The error every call gets once the supervisor is gone. */
export class SharedStateUnavailableError extends Error {
  readonly code = 'SHARED_STATE_UNAVAILABLE';
  constructor(path: string, cause: string) {
    super(`node shared state is unavailable: the connection to the supervisor (${path}) ${cause}; counters and the shared cache cannot be reached from this worker until it is replaced`);
    this.name = 'SharedStateUnavailableError';
  }
}

interface Pending {
  resolve: (value: never) => void;
  reject: (err: Error) => void;
}

export class SharedStateClient implements NodeServices {
  readonly counters: SharedCounters;
  readonly cache: SharedCache;
  readonly metrics = new LocalMetricsRegistry();
  readonly #path: string;
  readonly #socket: Socket;
  readonly #writer = new FrameWriter();
  readonly #pending = new Map<number, Pending>();
  readonly #pushTimer: NodeJS.Timeout;
  readonly #beforePush: (() => void) | undefined;
  readonly #sole: SoleCounters | null = null;
  readonly #mirrorIntervalMs: number;
  #mirrorTimer: NodeJS.Timeout | null = null;
  #seq = 0;
  #flushScheduled = false;
  #failure: SharedStateUnavailableError | null = null;
  #refed = true;

  constructor(options: SharedStateClientOptions) {
    this.#path = options.path;
    this.#beforePush = options.beforePush;
    this.#mirrorIntervalMs = options.mirrorIntervalMs ?? 1000;
    this.#socket = createConnection(options.path);
    this.#socket.setNoDelay?.(true);
    this.#writer.text(Op.HELLO, 0, options.token);
    this.#scheduleFlush();
    const reader = new FrameReader((op, id, buf, start, end) => this.#reply(op, id, buf, start, end));
    this.#socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        this.#fail(`sent a bad frame (${(err as Error).message})`);
        this.#socket.destroy();
      }
    });
    this.#socket.on('error', (err: NodeJS.ErrnoException) => this.#fail(`failed (${err.code ?? err.message})`));
    this.#socket.on('close', () => this.#fail('closed: the supervisor is gone or stopping'));
    this.#setRef(false);
    this.#pushTimer = setInterval(() => this.pushMetrics(0), options.pushIntervalMs ?? 1000);
    this.#pushTimer.unref();

    if (options.soleWorker === true) {
      this.#sole = new SoleCounters(this.#mirror, this.#wait<string>(this.#writer.text(Op.COUNTER_DUMP, this.#nextId())).then((json) => JSON.parse(json) as [string, number, number][]));
      this.counters = this.#sole;
    } else {
      // Each call writes its frame, then waits: no closure per call on this path.
      this.counters = {
        incr: (key, by, ttlMs) => this.#ready(key) ?? this.#wait<number>(this.#writer.incr(this.#nextId(), by, ttlMs, key)),
        get: (key) => this.#ready(key) ?? this.#wait<number>(this.#writer.text(Op.COUNTER_GET, this.#nextId(), key)),
        delete: (key) => this.#ready(key) ?? this.#wait<void>(this.#writer.text(Op.COUNTER_DELETE, this.#nextId(), key)),
      };
    }
    this.cache = {
      get: (key) => this.#ready(key) ?? this.#wait<SharedValue | undefined>(this.#writer.text(Op.CACHE_GET, this.#nextId(), key)),
      set: (key, value, ttlMs) => {
        const size = typeof value === 'string' ? Buffer.byteLength(value) : value?.byteLength;
        if (typeof value !== 'string' && !(value instanceof Uint8Array)) return Promise.reject(new TypeError(`shared cache values are strings or Uint8Arrays, got ${typeof value}`));
        if (size > MAX_FRAME - 1024) return Promise.reject(new RangeError(`shared cache: a value of ${size} bytes is too large to send`));
        return this.#ready(key) ?? this.#wait<void>(this.#writer.cacheSet(this.#nextId(), key, value, ttlMs));
      },
      delete: (key) => this.#ready(key) ?? this.#wait<void>(this.#writer.text(Op.CACHE_DELETE, this.#nextId(), key)),
      purge: (prefix) => this.#ready(prefix) ?? this.#wait<void>(this.#writer.text(Op.CACHE_PURGE, this.#nextId(), prefix)),
    };
  }

  /** Calls waiting for a reply. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** A rejected promise when no call can be made (the node is gone, the key is not a string); else null. */
  #ready(key: string): Promise<never> | null {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (typeof key !== 'string') return Promise.reject(new TypeError(`shared state keys are strings, got ${typeof key}`));
    return null;
  }

  #nextId(): number {
    return (this.#seq = (this.#seq + 1) >>> 0 || 1);
  }

  /** Waits for the reply to the frame just written (the writers return its id). */
  #wait<T>(id: number): Promise<T> {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.#pending.set(id, { resolve: resolve as (v: never) => void, reject });
    if (!this.#refed) this.#setRef(true);
    this.#scheduleFlush();
    return promise;
  }

  /** The sole worker's counters reach the node as frames that get no reply (id 0). */
  readonly #mirror: CounterMirror = {
    add: (key, by, expiresAt) => {
      if (this.#failure === null) this.#writer.incr(0, by, expiresAt, key, Op.COUNTER_ADD);
    },
    delete: (key) => {
      if (this.#failure !== null) return;
      this.#writer.text(Op.COUNTER_DELETE, 0, key);
      this.#scheduleFlush();
    },
    schedule: () => {
      if (this.#mirrorTimer !== null || this.#failure !== null) return;
      this.#mirrorTimer = setTimeout(this.#mirrorNow, this.#mirrorIntervalMs);
      this.#mirrorTimer.unref();
    },
  };

  readonly #mirrorNow = (): void => {
    this.#mirrorTimer = null;
    this.#flush();
  };

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(this.#flush);
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    this.#sole?.flush();
    if (this.#writer.length === 0 || this.#failure !== null) return;
    this.#socket.write(this.#writer.take());
  };

  #reply(op: number, id: number, buf: Buffer, start: number, end: number): void {
    if (op === Op.FLUSH) {
      this.pushMetrics(id);
      return;
    }
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#setRef(false);
    switch (op) {
      case Op.NUMBER:
        p.resolve(buf.readDoubleLE(start) as never);
        return;
      case Op.OK:
      case Op.MISS:
        p.resolve(undefined as never);
        return;
      case Op.VALUE:
        p.resolve((buf[start] === 1 ? buf.toString('utf8', start + 1, end) : new Uint8Array(buf.subarray(start + 1, end))) as never);
        return;
      case Op.ERROR:
        p.reject(new Error(buf.toString('utf8', start, end)));
        return;
      default:
        p.reject(new Error(`shared state: unexpected reply ${op}`));
    }
  }

  /** Sends what the metrics registry collected (`flushId` answers the node's FLUSH; 0 for the timer). */
  pushMetrics(flushId: number): void {
    if (this.#failure !== null) return;
    this.#beforePush?.();
    const push = this.metrics.take();
    if (push === null && flushId === 0) return;
    this.#writer.text(Op.METRICS, flushId, push === null ? '' : JSON.stringify(push));
    // An answer to a scrape goes now rather than at the end of the turn.
    if (flushId !== 0) this.#flush();
    else this.#scheduleFlush();
  }

  /** The socket keeps the process alive only while calls wait for replies. */
  #setRef(on: boolean): void {
    this.#refed = on;
    if (on) this.#socket.ref();
    else this.#socket.unref();
  }

  #fail(cause: string): void {
    if (this.#failure !== null) return;
    this.#failure = new SharedStateUnavailableError(this.#path, cause);
    clearInterval(this.#pushTimer);
    if (this.#mirrorTimer !== null) clearTimeout(this.#mirrorTimer);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(this.#failure);
  }

  /** Pushes the metrics left and closes the connection; later calls fail. */
  close(): void {
    this.pushMetrics(0);
    this.#flush();
    this.#fail('was closed by this worker');
    this.#socket.end();
  }
}
