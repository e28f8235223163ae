/**
 * The node's counters held by the node's only worker. With one worker there is nobody to be exact against,
 * so the round trip to the supervisor per increment buys nothing: the worker counts in its own memory and
 * answers at once. The supervisor keeps a mirror, sent as summed increments every so often (the client's
 * `mirrorIntervalMs`) without waiting for replies, and a replacement worker starts from that mirror: a crash
 * loses at most the increments of that last interval. Only valid while the node runs exactly one worker; the
 * supervisor never starts a replacement before the previous worker has exited.
 */
import type { ImmediateCounters, SharedCounters } from '../pdk/shared-state.ts';
import { CounterStore, type Counter } from './counter-store.ts';

/** Where the mirror goes: the client's frame writer. */
export interface CounterMirror {
  /** Adds `by` to the node's copy of `key`, which ends at `expiresAt` (epoch ms, 0: never). */
  add(key: string, by: number, expiresAt: number): void;
  delete(key: string): void;
  /** Asks for `flush()` to be called soon. */
  schedule(): void;
}

/** Increments not yet mirrored: the counter they went to (a new object after an expiry) and their sum. */
interface Unsent {
  counter: Counter;
  by: number;
}

export class SoleCounters implements SharedCounters, ImmediateCounters {
  readonly #store = new CounterStore();
  readonly #unsent = new Map<string, Unsent>();
  readonly #mirror: CounterMirror;
  readonly #now: () => number;
  /** Settles once the node's counters are loaded; null from then on. */
  #loading: Promise<void> | null;
  #sweepAt = 0;

  /** `initial` resolves to the node's counters as `[key, value, expiresAt]` (rejecting: start empty). */
  constructor(mirror: CounterMirror, initial: Promise<[string, number, number][]>, now: () => number = Date.now) {
    this.#mirror = mirror;
    this.#now = now;
    this.#loading = initial.then(
      (entries) => {
        const t = this.#now();
        for (const [key, value, expiresAt] of entries) this.#store.restore(key, value, expiresAt, t);
        this.#loading = null;
      },
      () => {
        this.#loading = null;
      },
    );
  }

  /** Whether calls are answered at once (the node's counters have been loaded). */
  get ready(): boolean {
    return this.#loading === null;
  }

  /** Itself once the node's counters are loaded: until then a call must wait for them. */
  immediate(): ImmediateCounters | null {
    return this.#loading === null ? this : null;
  }

  incr(key: string, by: number, ttlMs: number): Promise<number> {
    if (typeof key !== 'string') return Promise.reject(new TypeError(`shared state keys are strings, got ${typeof key}`));
    if (this.#loading !== null) return this.#loading.then(() => this.incrNow(key, by, ttlMs));
    return Promise.resolve(this.incrNow(key, by, ttlMs));
  }

  get(key: string): Promise<number> {
    if (typeof key !== 'string') return Promise.reject(new TypeError(`shared state keys are strings, got ${typeof key}`));
    if (this.#loading !== null) return this.#loading.then(() => this.getNow(key));
    return Promise.resolve(this.getNow(key));
  }

  delete(key: string): Promise<void> {
    if (typeof key !== 'string') return Promise.reject(new TypeError(`shared state keys are strings, got ${typeof key}`));
    if (this.#loading !== null) return this.#loading.then(() => this.deleteNow(key));
    this.deleteNow(key);
    return Promise.resolve();
  }

  /** `incr` answered synchronously; only once `ready`. */
  incrNow(key: string, by: number, ttlMs: number): number {
    const now = this.#now();
    const c = this.#store.incrCounter(key, by, ttlMs, now);
    const u = this.#unsent.get(key);
    if (u === undefined) {
      this.#unsent.set(key, { counter: c, by });
      this.#mirror.schedule();
    } else if (u.counter === c) u.by += by;
    else {
      // The counter expired and restarted since the last flush: the old life is over, only the new one is sent.
      u.counter = c;
      u.by = by;
    }
    if (now >= this.#sweepAt) this.#sweep(now);
    return c.value;
  }

  /** `get` answered synchronously; only once `ready`. */
  getNow(key: string): number {
    return this.#store.get(key, this.#now());
  }

  deleteNow(key: string): void {
    this.#store.delete(key);
    this.#unsent.delete(key);
    this.#mirror.delete(key);
  }

  /** Sends the increments summed since the last flush to the mirror. */
  flush(): void {
    if (this.#unsent.size === 0) return;
    for (const [key, u] of this.#unsent) this.#mirror.add(key, u.by, u.counter.expiresAt);
    this.#unsent.clear();
  }

  /** Expired counters go every 10 s, as the supervisor's do; no timer needed while nothing counts. */
  #sweep(now: number): void {
    this.#sweepAt = now + 10_000;
    this.#store.sweep(now);
  }

  /** Counters held, expired ones not yet swept included. */
  get size(): number {
    return this.#store.size;
  }
}
