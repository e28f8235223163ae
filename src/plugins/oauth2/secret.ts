/**
 * Client secrets at rest when a credential sets `hash_secret`: Kong's PBKDF2 format,
 * `$pbkdf2-sha512$i=10000,l=32$SALT$HASH` (salt and hash in unpadded base64), so credentials exported from Kong
 * verify here and ours verify there. Verification compares in constant time; a value that is already a hash is
 * never hashed again (an import, or an update that leaves the secret alone).
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const ITERATIONS = 10000;
const HASH_BYTES = 32;
const SALT_BYTES = 16;
/** Bounds what a stored hash may ask for, so a crafted import cannot stall a worker. */
const MAX_ITERATIONS = 1_000_000;
const PHC = /^\$pbkdf2-(sha256|sha384|sha512)\$i=(\d{1,7}),l=(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

interface Pbkdf2Hash {
  readonly digest: string;
  readonly iterations: number;
  readonly length: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function parse(value: string): Pbkdf2Hash | null {
  const m = PHC.exec(value);
  if (m === null) return null;
  const iterations = Number(m[2]);
  const length = Number(m[3]);
  if (iterations < 1 || iterations > MAX_ITERATIONS || length < 16 || length > 128) return null;
  const hash = Buffer.from(m[5], 'base64');
  if (hash.length !== length) return null;
  return { digest: m[1], iterations, length, salt: Buffer.from(m[4], 'base64'), hash };
}

/** True when `value` is a stored PBKDF2 hash. */
export function isSecretHash(value: string): boolean {
  return parse(value) !== null;
}

/** A new hash of `secret` in Kong's format. */
export function hashSecret(secret: string): string {
  const salt = randomBytes(SALT_BYTES);
  const hash = pbkdf2Sync(secret, salt, ITERATIONS, HASH_BYTES, 'sha512');
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$pbkdf2-sha512$i=${ITERATIONS},l=${HASH_BYTES}$${b64(salt)}$${b64(hash)}`;
}

/** Whether `secret` matches the stored hash; false for anything that is not one. */
export function verifySecret(secret: string, stored: string): boolean {
  const parsed = parse(stored);
  if (parsed === null) return false;
  const derived = pbkdf2Sync(secret, parsed.salt, parsed.iterations, parsed.length, parsed.digest);
  return timingSafeEqual(derived, parsed.hash);
}

/** Constant-time comparison of a clear secret. */
export function sameSecret(given: string, stored: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}
