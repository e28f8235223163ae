/**
 * Tokens whose signature was verified, so that a client sending the same token again costs no signature check
 * (RS256/ES256 verification is far dearer than the rest of a request). Bounded (least recently used out), an
 * entry lives no longer than its token's `exp`, and one cache belongs to one prepared configuration, so a new
 * configuration (a changed or deleted credential) starts from an empty one. Claims are still checked per
 * request by the caller.
 */

interface Slot<V> {
  readonly value: V;
  /** Seconds since the epoch at which the entry is gone (the token's `exp`), or Infinity. */
  readonly expiresAt: number;
}

export class VerifiedTokenCache<V> {
  readonly #slots = new Map<string, Slot<V>>();
  readonly #maxEntries: number;
  readonly #maxTokenLength: number;

  constructor(maxEntries = 10_000, maxTokenLength = 8192) {
    this.#maxEntries = maxEntries;
    this.#maxTokenLength = maxTokenLength;
  }

  get size(): number {
    return this.#slots.size;
  }

  get(token: string, nowSeconds: number): V | undefined {
    const slot = this.#slots.get(token);
    if (slot === undefined) return undefined;
    this.#slots.delete(token);
    if (slot.expiresAt <= nowSeconds) return undefined;
    // Re-inserted: Map order is the recency order evictions follow.
    this.#slots.set(token, slot);
    return slot.value;
  }

  /** Keeps `value` for `token` until `exp` (a number of seconds, as in the claim), if it is still ahead. */
  set(token: string, value: V, exp: unknown, nowSeconds: number): void {
    const expiresAt = typeof exp === 'number' ? exp : Infinity;
    if (expiresAt <= nowSeconds || token.length > this.#maxTokenLength) return;
    this.#slots.delete(token);
    if (this.#slots.size >= this.#maxEntries) {
      const oldest = this.#slots.keys().next();
      if (oldest.done !== true) this.#slots.delete(oldest.value);
    }
    this.#slots.set(token, { value, expiresAt });
  }
}
