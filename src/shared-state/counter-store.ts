/**
 * The node's counters (the supervisor holds them): atomic increments with expiry. One process applies every
 * increment, one at a time, so the values returned are exact and distinct whatever the number of workers.
 */

export interface Counter {
  value: number;
  /** Epoch ms after which the counter reads 0 and restarts; 0 never expires. */
  expiresAt: number;
}

export class CounterStore {
  readonly #counters = new Map<string, Counter>();

  /** Adds `by`; a missing or expired counter starts at 0 and expires `ttlMs` from `now` (0: never). */
  incr(key: string, by: number, ttlMs: number, now: number): number {
    return this.incrCounter(key, by, ttlMs, now).value;
  }

  /**
   * `incr`, returning the live counter itself: a caller that mirrors increments elsewhere can tell a counter
   * re-created after expiry (a new object) from the one it saw before.
   */
  incrCounter(key: string, by: number, ttlMs: number, now: number): Counter {
    const c = this.#counters.get(key);
    if (c === undefined || (c.expiresAt !== 0 && c.expiresAt <= now)) {
      const fresh: Counter = { value: by, expiresAt: ttlMs > 0 ? now + ttlMs : 0 };
      // A re-created key moves to the end of the map, so the sweep's insertion order stays roughly by age.
      if (c !== undefined) this.#counters.delete(key);
      this.#counters.set(key, fresh);
      return fresh;
    }
    c.value += by;
    return c;
  }

  /** Sets a counter as another holder had it (its absolute expiry kept); an expired one is skipped. */
  restore(key: string, value: number, expiresAt: number, now: number): void {
    if (expiresAt !== 0 && expiresAt <= now) return;
    this.#counters.set(key, { value, expiresAt });
  }

  /** Every live counter as `[key, value, expiresAt]`, for handing the counters over to another holder. */
  entries(now: number): [string, number, number][] {
    const out: [string, number, number][] = [];
    for (const [key, c] of this.#counters) if (c.expiresAt === 0 || c.expiresAt > now) out.push([key, c.value, c.expiresAt]);
    return out;
  }

  /** The value, 0 when missing or expired (an expired counter is removed on the way). */
  get(key: string, now: number): number {
    const c = this.#counters.get(key);
    if (c === undefined) return 0;
    if (c.expiresAt !== 0 && c.expiresAt <= now) {
      this.#counters.delete(key);
      return 0;
    }
    return c.value;
  }

  delete(key: string): void {
    this.#counters.delete(key);
  }

  /** Removes every expired counter; returns how many went. */
  sweep(now: number): number {
    let removed = 0;
    for (const [key, c] of this.#counters) {
      if (c.expiresAt !== 0 && c.expiresAt <= now) {
        this.#counters.delete(key);
        removed++;
      }
    }
    return removed;
  }

  /** Counters held, expired ones not yet swept included. */
  get size(): number {
    return this.#counters.size;
  }

  /**
   * Roughly the memory the counters take: each key as UTF-16 plus a fixed cost per entry (map slot, counter
   * object). An estimate for reporting (`GET /status`), walked only when asked.
   */
  approximateBytes(): number {
    let bytes = 0;
    for (const key of this.#counters.keys()) bytes += key.length * 2 + COUNTER_ENTRY_BYTES;
    return bytes;
  }
}

/** Estimated fixed cost of one counter: its map entry and its `{value, expiresAt}` object. */
const COUNTER_ENTRY_BYTES = 80;
