/**
 * Entries in a strategy: writing a response (its parts first, then the head that points at them, so a head
 * never names parts not yet written), reading the body back part by part or whole, and removing an entry with
 * its parts.
 */
import { randomBytes } from 'node:crypto';
import type { SharedCache } from '../../pdk/index.ts';
import { CACHE_VERSION, PART_BYTES, encodeEntry, partKey, partsFor, type CachedResponse, type StoredHeaders } from './entry.ts';
import type { CacheStrategy } from './strategies.ts';

export interface ResponseToStore {
  readonly status: number;
  readonly headers: StoredHeaders;
  readonly chunks: readonly Buffer[];
  readonly timestamp: number;
  readonly ttl: number;
  readonly reqBody: string | null;
}

/** Stores a response for `storageTtl` seconds. */
export async function storeResponse(strategy: CacheStrategy, cache: SharedCache, key: string, response: ResponseToStore, storageTtl: number): Promise<void> {
  const body = response.chunks.length === 1 ? response.chunks[0] : Buffer.concat(response.chunks);
  const parts = partsFor(body.length);
  const generation = parts === 0 ? '' : randomBytes(6).toString('hex');
  if (parts > 0) {
    const writes: Promise<void>[] = [];
    for (let n = 0; n < parts; n++) writes.push(strategy.store(cache, partKey(key, generation, n), body.subarray(n * PART_BYTES, (n + 1) * PART_BYTES), storageTtl));
    await Promise.all(writes);
  }
  const head = encodeEntry({
    status: response.status,
    headers: response.headers,
    body: parts === 0 ? body : Buffer.alloc(0),
    bodyLen: body.length,
    parts,
    generation,
    timestamp: response.timestamp,
    ttl: response.ttl,
    version: CACHE_VERSION,
    reqBody: response.reqBody,
  });
  await strategy.store(cache, key, head, storageTtl);
}

async function fetchPart(strategy: CacheStrategy, cache: SharedCache, key: string, entry: CachedResponse, n: number): Promise<Uint8Array> {
  const part = await strategy.fetch(cache, partKey(key, entry.generation, n));
  if (part === null || typeof part === 'string') throw new Error(`proxy-cache: part ${n} of ${key} is gone (evicted or expired)`);
  return part;
}

/** The first part of a body stored in parts, or null when it is gone (then the entry is unusable). */
export async function firstPart(strategy: CacheStrategy, cache: SharedCache, key: string, entry: CachedResponse): Promise<Uint8Array | null> {
  try {
    return await fetchPart(strategy, cache, key, entry, 0);
  } catch {
    return null;
  }
}

/** The parts of a body, `first` (already read) then the rest, each next one read while the previous is sent. */
export async function* bodyParts(strategy: CacheStrategy, cache: SharedCache, key: string, entry: CachedResponse, first: Uint8Array): AsyncGenerator<Uint8Array> {
  let next: Promise<Uint8Array> | null = null;
  const ahead = (n: number): Promise<Uint8Array> | null => {
    if (n >= entry.parts) return null;
    const p = fetchPart(strategy, cache, key, entry, n);
    // Read ahead: if the client leaves first, this read's failure has no one to report to.
    p.catch(() => {});
    return p;
  };
  next = ahead(1);
  yield first;
  for (let n = 1; n < entry.parts; n++) {
    const part: Uint8Array = await next!;
    next = ahead(n + 1);
    yield part;
  }
}

/** The whole body (parts joined), or null when a part is gone. */
export async function wholeBody(strategy: CacheStrategy, cache: SharedCache, key: string, entry: CachedResponse): Promise<Buffer | null> {
  if (entry.parts === 0) return entry.body;
  const parts: Uint8Array[] = [];
  try {
    for (let n = 0; n < entry.parts; n++) parts.push(await fetchPart(strategy, cache, key, entry, n));
  } catch {
    return null;
  }
  return Buffer.concat(parts);
}

/** Removes an entry and its parts. */
export async function removeEntry(strategy: CacheStrategy, cache: SharedCache, key: string, entry: CachedResponse | null): Promise<void> {
  await strategy.purge(cache, key);
  if (entry === null) return;
  for (let n = 0; n < entry.parts; n++) await strategy.purge(cache, partKey(key, entry.generation, n));
}
