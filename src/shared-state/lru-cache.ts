/**
 * The node's shared cache (the supervisor holds it): values bounded by bytes, least recently used evicted
 * first, with TTLs. A Map keeps the recency order: a hit moves its entry to the end, eviction takes from the
 * front.
 */

/** Bytes counted for an entry beyond its key and value: the Map slot, the entry object, its fields. */
export const ENTRY_OVERHEAD_BYTES = 64;

/** Values are stored as bytes with a flag saying whether they were text, so that they come back as they went in. */
export interface CachedValue {
  readonly bytes: Uint8Array;
  readonly text: boolean;
}

interface Entry extends CachedValue {
  /** Epoch ms after which the entry is gone; 0: until evicted. */
  readonly expiresAt: number;
  readonly size: number;
}

export class CacheTooLargeError extends Error {
  constructor(key: string, size: number, limit: number) {
    super(`shared cache: the value for '${key.length > 64 ? `${key.slice(0, 64)}...` : key}' takes ${size} bytes, more than all of mem_cache_size (${limit} bytes); store less or raise mem_cache_size`);
    this.name = 'CacheTooLargeError';
  }
}

export class LruCache {
  readonly #entries = new Map<string, Entry>();
  readonly #limit: number;
  #bytes = 0;
  #evictions = 0;

  constructor(limitBytes: number) {
    if (!(limitBytes > 0)) throw new RangeError(`the shared cache needs a positive size in bytes, not ${limitBytes}`);
    this.#limit = limitBytes;
  }

  /** Bytes an entry is counted for. */
  static entrySize(key: string, bytes: Uint8Array): number {
    return Buffer.byteLength(key) + bytes.byteLength + ENTRY_OVERHEAD_BYTES;
  }

  get(key: string, now: number): CachedValue | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt !== 0 && e.expiresAt <= now) {
      this.#remove(key, e);
      return undefined;
    }
    // Most recently used goes last.
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e;
  }

  /** Stores a value; throws CacheTooLargeError (keeping nothing under `key`) when it alone exceeds the bound. */
  set(key: string, value: CachedValue, ttlMs: number, now: number): void {
    const size = LruCache.entrySize(key, value.bytes);
    const old = this.#entries.get(key);
    if (old !== undefined) this.#remove(key, old);
    if (size > this.#limit) throw new CacheTooLargeError(key, size, this.#limit);
    // Expired entries go before live ones are evicted.
    if (this.#bytes + size > this.#limit) this.sweep(now);
    for (const [k, e] of this.#entries) {
      if (this.#bytes + size <= this.#limit) break;
      this.#remove(k, e);
      this.#evictions++;
    }
    this.#entries.set(key, { bytes: value.bytes, text: value.text, expiresAt: ttlMs > 0 ? now + ttlMs : 0, size });
    this.#bytes += size;
  }

  delete(key: string): void {
    const e = this.#entries.get(key);
    if (e !== undefined) this.#remove(key, e);
  }

  /** Removes every entry whose key starts with `prefix` ('' removes everything); returns how many went. */
  purge(prefix: string): number {
    if (prefix === '') {
      const n = this.#entries.size;
      this.#entries.clear();
      this.#bytes = 0;
      return n;
    }
    let removed = 0;
    for (const [k, e] of this.#entries) {
      if (k.startsWith(prefix)) {
        this.#remove(k, e);
        removed++;
      }
    }
    return removed;
  }

  /** Removes every expired entry; returns how many went. */
  sweep(now: number): number {
    let removed = 0;
    for (const [k, e] of this.#entries) {
      if (e.expiresAt !== 0 && e.expiresAt <= now) {
        this.#remove(k, e);
        removed++;
      }
    }
    return removed;
  }

  #remove(key: string, e: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= e.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get limit(): number {
    return this.#limit;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Live entries evicted to make room, since start. */
  get evictions(): number {
    return this.#evictions;
  }
}
