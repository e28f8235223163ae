/**
 * The data plane's on-disk copy of its last configuration, so it can serve traffic after a restart
 * while the control plane is unreachable.
 *
 * File layout: magic `TGCACHE1`, one flag byte (0 plain, 1 encrypted), then either the gzip'd JSON or,
 * encrypted, a 12-byte IV, the 16-byte GCM tag and the AES-256-GCM ciphertext of the gzip'd JSON (the
 * 9 header bytes are authenticated as associated data). Writes go to a temporary file that is synced
 * and renamed over the cache, so a crash leaves either the old or the new file, never half of one.
 *
 * A plain cache is read even when a key is configured: turning encryption on must not leave a DP that
 * restarts during a CP outage without configuration. The next write encrypts it; callers can tell from
 * `readConfigCacheFile(...).encrypted` and log it. Whatever the format, a file whose configuration does
 * not hash to the recorded hash is rejected, so a damaged cache is never served.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ConfigReplica } from './config-replica.ts';
import type { WireConfig } from './config-version.ts';
import { validateWireConfig } from './payload.ts';

export interface CachedConfig {
  hash: string;
  sequence: number;
  savedAt: number;
  config: WireConfig;
}

export class CacheError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CacheError';
  }
}

const MAGIC = Buffer.from('TGCACHE1', 'ascii');
const FLAG_PLAIN = 0;
const FLAG_ENCRYPTED = 1;
const HEADER_LENGTH = MAGIC.length + 1;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const KEY_LENGTH = 32;

/**
 * Fixed salt for deriving the key from the configured secret. The key must be derivable from the
 * setting alone on every start (no per-file state to lose), and an application-specific salt still
 * defeats tables precomputed for scrypt in general.
 */
export const CACHE_KEY_SALT = 'tollgate/dp-config-cache/v1';

/**
 * scrypt (N=2^14, r=8, p=1; about 50 ms, 16 MiB) rather than a bare sha256: the secret is often a
 * passphrase, and a stolen cache file should not allow guessing it at billions of tries per second.
 */
export function cacheKeyFromSetting(secret: string): Buffer {
  if (secret === '') throw new CacheError('the config cache secret is empty');
  return scryptSync(secret, CACHE_KEY_SALT, KEY_LENGTH, { N: 1 << 14, r: 8, p: 1 });
}

function checkKey(key: Buffer | null): void {
  if (key !== null && key.length !== KEY_LENGTH) {
    throw new CacheError(`the config cache key must be ${KEY_LENGTH} bytes, got ${key.length}`);
  }
}

function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

export function writeConfigCache(path: string, value: CachedConfig, key: Buffer | null): void {
  checkKey(key);
  const body = gzipSync(JSON.stringify(value), { level: 6 });
  const header = Buffer.concat([MAGIC, Buffer.of(key === null ? FLAG_PLAIN : FLAG_ENCRYPTED)]);
  let parts: Buffer[];
  if (key === null) {
    parts = [header, body];
  } else {
    const iv = randomBytes(IV_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(header);
    const sealed = Buffer.concat([cipher.update(body), cipher.final()]);
    parts = [header, iv, cipher.getAuthTag(), sealed];
  }
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    // A leftover temporary file of an earlier process with this pid keeps its mode through open().
    fchmodSync(fd, 0o600);
    for (const part of parts) writeAll(fd, part);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  // The rename itself is only durable once the directory entry is synced.
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Reads the cache: null when the file does not exist, CacheError when it cannot be trusted. */
export function readConfigCache(path: string, key: Buffer | null): CachedConfig | null {
  return readConfigCacheFile(path, key)?.value ?? null;
}

export interface CacheFile {
  value: CachedConfig;
  encrypted: boolean;
  /** The verified configuration as a replica, so the caller does not hash it a second time. */
  replica: ConfigReplica;
}

/** Like readConfigCache, and also says whether the file was encrypted. */
export function readConfigCacheFile(path: string, key: Buffer | null): CacheFile | null {
  checkKey(key);
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CacheError(`cannot read the config cache ${path}: ${(err as Error).message}`);
  }
  const fail = (reason: string): CacheError => new CacheError(`config cache ${path} rejected: ${reason}`);
  if (data.length < HEADER_LENGTH) throw fail('truncated (no complete header)');
  if (!data.subarray(0, MAGIC.length).equals(MAGIC)) throw fail('not a Tollgate config cache (bad magic)');
  const flag = data[MAGIC.length];
  let compressed: Buffer;
  if (flag === FLAG_PLAIN) {
    compressed = data.subarray(HEADER_LENGTH);
  } else if (flag === FLAG_ENCRYPTED) {
    if (key === null) throw fail('the file is encrypted and no key is configured');
    if (data.length < HEADER_LENGTH + IV_LENGTH + TAG_LENGTH) throw fail('truncated (incomplete encryption header)');
    const iv = data.subarray(HEADER_LENGTH, HEADER_LENGTH + IV_LENGTH);
    const tag = data.subarray(HEADER_LENGTH + IV_LENGTH, HEADER_LENGTH + IV_LENGTH + TAG_LENGTH);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(data.subarray(0, HEADER_LENGTH));
      decipher.setAuthTag(tag);
      compressed = Buffer.concat([decipher.update(data.subarray(HEADER_LENGTH + IV_LENGTH + TAG_LENGTH)), decipher.final()]);
    } catch {
      throw fail('decryption failed: wrong key, or the file was modified or truncated');
    }
  } else {
    throw fail(`unknown format flag ${flag}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(gunzipSync(compressed).toString('utf8'));
  } catch (err) {
    throw fail(`corrupt content (${(err as Error).message})`);
  }
  const value = checkShape(parsed, fail);
  let replica: ConfigReplica;
  try {
    replica = ConfigReplica.fromFull({ type: 'full', hash: value.hash, sequence: value.sequence, created_at: value.savedAt, config: value.config });
  } catch (err) {
    throw fail((err as Error).message);
  }
  return { value, encrypted: flag === FLAG_ENCRYPTED, replica };
}

function checkShape(v: unknown, fail: (reason: string) => CacheError): CachedConfig {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail('content is not an object');
  const o = v as Record<string, unknown>;
  if (typeof o.hash !== 'string') throw fail('hash is not a string');
  if (typeof o.sequence !== 'number' || !Number.isSafeInteger(o.sequence) || o.sequence < 0) throw fail('sequence is not a non-negative integer');
  if (typeof o.savedAt !== 'number' || !Number.isFinite(o.savedAt)) throw fail('savedAt is not a number');
  try {
    validateWireConfig(o.config);
  } catch (err) {
    throw fail((err as Error).message);
  }
  return { hash: o.hash, sequence: o.sequence, savedAt: o.savedAt, config: o.config as WireConfig };
}
