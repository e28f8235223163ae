/**
 * The `Authorization` header values that have already proven a credential, so that a client repeating the
 * same header (every client does) costs one Map lookup instead of parsing, base64 decoding, a keyed digest and
 * a password check per request.
 *
 * Why this is safe:
 * - Only successes are ever added, after the password was verified; a wrong password is never remembered.
 * - One instance belongs to one snapshot's credential index and holds that index's entries: a configuration
 *   change (credential, password, consumer) builds a new index with an empty instance, so nothing outlives the
 *   configuration it was proven against.
 * - The outcome of a header value depends only on that value and the index, so a hit answers exactly what the
 *   full check would.
 * - Timing: a lookup hashes the whole value and compares strings only on equal hashes, so its time reveals no
 *   prefix of a secret; and a hit only ever happens for a value that authenticates anyway.
 * - Memory: at most `capacity` values of at most `maxLength` characters; longer values are checked in full
 *   every time, and the oldest value is dropped first when full.
 * The values are the clients' headers, i.e. their passwords in base64, kept in this worker's memory for as long
 * as the snapshot lives (at most until the next configuration change). Anyone who can read a worker's heap also
 * reads the requests in flight, so this widens the window, not who can see them.
 */

/** How many distinct header values one snapshot remembers per worker. */
export const PROVEN_HEADERS_CAPACITY = 10_000;
/** Longer header values are not remembered (a bound on memory: capacity x length). */
export const PROVEN_HEADER_MAX_LENGTH = 256;

export class ProvenHeaders<T> {
  readonly #capacity: number;
  readonly #maxLength: number;
  readonly #entries = new Map<string, T>();

  constructor(capacity: number = PROVEN_HEADERS_CAPACITY, maxLength: number = PROVEN_HEADER_MAX_LENGTH) {
    this.#capacity = capacity;
    this.#maxLength = maxLength;
  }

  /** What `value` proved, or undefined when it has not (yet) proven anything. */
  get(value: string): T | undefined {
    return this.#entries.get(value);
  }

  /** Remembers that `value` proved `proven`; call only after a successful verification. */
  add(value: string, proven: T): void {
    if (value.length > this.#maxLength || this.#entries.has(value)) return;
    // No refresh on hits (that would cost a delete and a set per request): oldest first is enough, since an
    // evicted value only costs one full check (the scrypt result itself is remembered by VerifiedCache).
    if (this.#entries.size >= this.#capacity) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(value, proven);
  }

  get size(): number {
    return this.#entries.size;
  }
}
