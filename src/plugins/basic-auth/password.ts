/**
 * basic-auth passwords at rest and their verification.
 *
 * New passwords are stored as scrypt hashes in a self-describing format, `$scrypt$N$r$p$SALT$HASH` (salt and
 * hash in unpadded base64), so the cost can be raised later without breaking stored credentials. Kong stores
 * the SHA-1 hex of `password .. consumer_id`; such hashes (from a Kong export) are accepted and verified as
 * Kong does. Deciding whether a written value is already a hash follows Kong's import: a declarative file with
 * `_transform: false` (what `db_export` writes) holds stored values, so a 40-character lower-case hex value is
 * kept as a Kong hash; everywhere else (the Admin API, files with `_transform: true`, the default) such a value
 * is a password like any other and is hashed. Our own `$scrypt$` format is recognised everywhere.
 *
 * Verification compares in constant time. scrypt is deliberately slow, so it runs off the event loop and
 * successful verifications are remembered in a bounded in-memory cache keyed by a keyed digest of the stored
 * hash and the password (never the password itself); a new password means a new stored hash (a new salt),
 * hence a new key, so nothing stale can match.
 */
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/** Cost parameters of new hashes: N = 2^14, r = 8, p = 1 (16 MiB, tens of milliseconds). */
export const SCRYPT_COST = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** The most memory a stored hash may ask scrypt for (128 * N * r bytes); larger parameters are refused. */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

const SCRYPT_FORMAT = /^\$scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/]{16,88})\$([A-Za-z0-9+/]{16,88})$/;
const KONG_SHA1 = /^[0-9a-f]{40}$/;

/** A stored password, parsed once at configuration time. */
export type StoredPassword =
  | { readonly kind: 'scrypt'; readonly N: number; readonly r: number; readonly p: number; readonly salt: Buffer; readonly hash: Buffer; readonly text: string }
  | { readonly kind: 'kong-sha1'; readonly hex: Buffer; readonly consumerId: string; readonly text: string }
  | { readonly kind: 'unknown' };

function scryptMemory(N: number, r: number, p: number): number {
  return 128 * N * r * p + 1024 * 1024;
}

/** Parses `$scrypt$N$r$p$salt$hash`; null when the value is not one (or asks for unreasonable cost). */
export function parseScrypt(value: string): Extract<StoredPassword, { kind: 'scrypt' }> | null {
  const m = SCRYPT_FORMAT.exec(value);
  if (m === null) return null;
  const N = Number(m[1]);
  const r = Number(m[2]);
  const p = Number(m[3]);
  // N must be a power of two above 1; the memory bound keeps a crafted import from exhausting a worker.
  if (N < 2 || (N & (N - 1)) !== 0 || r < 1 || p < 1 || p > 16 || 128 * N * r * p > MAX_SCRYPT_MEMORY) return null;
  const salt = Buffer.from(m[4], 'base64');
  const hash = Buffer.from(m[5], 'base64');
  if (salt.length < 8 || hash.length < 16) return null;
  return { kind: 'scrypt', N, r, p, salt, hash, text: value };
}

/** True for a Kong-format hash: SHA-1 of `password .. consumer_id`, lower-case hex. */
export function isKongSha1(value: string): boolean {
  return KONG_SHA1.test(value);
}

/** A new scrypt hash of a password, in the stored format. Synchronous: it runs on writes, not per request. */
export function hashPassword(password: string): string {
  const { N, r, p } = SCRYPT_COST;
  const salt = randomBytes(SALT_BYTES);
  const hash = scryptSync(password, salt, HASH_BYTES, { N, r, p, maxmem: scryptMemory(N, r, p) });
  return `$scrypt$${N}$${r}$${p}$${unpadded(salt)}$${unpadded(hash)}`;
}

function unpadded(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

/**
 * The value to store for a written password: kept when it is already a stored hash (see the file comment
 * for when a Kong SHA-1 hash counts as one), else hashed.
 */
export function storedPasswordFor(value: string, transform: boolean): string {
  if (parseScrypt(value) !== null) return value;
  if (!transform && isKongSha1(value)) return value;
  return hashPassword(value);
}

/** Parses a stored password for verification; `consumerId` salts Kong's SHA-1 hashes. */
export function parseStored(value: unknown, consumerId: string): StoredPassword {
  if (typeof value !== 'string') return { kind: 'unknown' };
  const scryptHash = parseScrypt(value);
  if (scryptHash !== null) return scryptHash;
  if (isKongSha1(value)) return { kind: 'kong-sha1', hex: Buffer.from(value, 'latin1'), consumerId, text: value };
  return { kind: 'unknown' };
}

/** Kong's hash: SHA-1 hex of the password bytes followed by the consumer id. */
export function kongSha1(password: Buffer | string, consumerId: string): string {
  return createHash('sha1').update(password).update(consumerId).digest('hex');
}

/** The successful verifications, bounded, oldest evicted first (a Map keeps insertion order). */
export class VerifiedCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, true>();
  /** Keys the digests, so the cache holds nothing that could be checked against guesses offline. */
  readonly #key = randomBytes(32);

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  keyOf(stored: string, password: Buffer): string {
    // A secret-prefixed SHA-256 rather than an HMAC: Node imports an HMAC key on every call, which cost more than
    // the rest of the request; for an equality key a secret prefix is enough (nothing here is a MAC to forge).
    return createHash('sha256').update(this.#key).update(stored).update('\u0000').update(password).digest('base64');
  }

  has(key: string): boolean {
    if (!this.#entries.has(key)) return false;
    // Refresh: the most recently used survive eviction.
    this.#entries.delete(key);
    this.#entries.set(key, true);
    return true;
  }

  add(key: string): void {
    this.#entries.set(key, true);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** How many successful (stored hash, password) pairs a worker remembers. */
export const VERIFIED_CACHE_SIZE = 10_000;
const verified = new VerifiedCache(VERIFIED_CACHE_SIZE);
/** Verifications under way, so that a burst of requests with the same credentials runs scrypt once. */
const pending = new Map<string, Promise<boolean>>();

/**
 * Whether `password` (the bytes the client sent) matches the stored password: a boolean when it can be told
 * at once (Kong SHA-1, a cached success, an unknown format), else a promise (scrypt on the thread pool).
 */
export function verifyPassword(stored: StoredPassword, password: Buffer, cache: VerifiedCache = verified): boolean | Promise<boolean> {
  if (stored.kind === 'kong-sha1') {
    return timingSafeEqual(Buffer.from(kongSha1(password, stored.consumerId), 'latin1'), stored.hex);
  }
  if (stored.kind !== 'scrypt') return false;
  const key = cache.keyOf(stored.text, password);
  if (cache.has(key)) return true;
  const running = pending.get(key);
  if (running !== undefined) return running;
  const check = new Promise<boolean>((resolve) => {
    scrypt(password, stored.salt, stored.hash.length, { N: stored.N, r: stored.r, p: stored.p, maxmem: scryptMemory(stored.N, stored.r, stored.p) }, (err, derived) => {
      pending.delete(key);
      const ok = err === null && timingSafeEqual(derived, stored.hash);
      if (ok) cache.add(key);
      resolve(ok);
    });
  });
  pending.set(key, check);
  return check;
}
