import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SharedCache, SharedValue } from '../../pdk/index.ts';
import { PART_BYTES, decodeEntry } from './entry.ts';
import { bodyParts, firstPart, removeEntry, storeResponse, wholeBody } from './entry-store.ts';
import { memoryStrategy } from './strategies.ts';

/** A SharedCache over a Map (the node's real cache lives in the supervisor; here only keys and values matter). */
function mapCache(): SharedCache & { readonly map: Map<string, SharedValue> } {
  const map = new Map<string, SharedValue>();
  return {
    map,
    get: async (key) => map.get(key),
    set: async (key, value) => {
      map.set(key, value);
    },
    delete: async (key) => {
      map.delete(key);
    },
    purge: async (prefix) => {
      for (const key of [...map.keys()]) if (key.startsWith(prefix)) map.delete(key);
    },
  };
}

const strategy = memoryStrategy('kong_db_cache');
const response = (chunks: Buffer[]) => ({ status: 200, headers: { 'content-type': 'text/plain' }, chunks, timestamp: 1, ttl: 60, reqBody: null });

test('a small body is stored with its head, in one value', async () => {
  const cache = mapCache();
  await storeResponse(strategy, cache, 'k', response([Buffer.from('ab'), Buffer.from('c')]), 60);
  assert.equal(cache.map.size, 1);
  const entry = decodeEntry((await strategy.fetch(cache, 'k'))!)!;
  assert.equal(entry.parts, 0);
  assert.equal(entry.body.toString(), 'abc');
  assert.equal((await wholeBody(strategy, cache, 'k', entry))!.toString(), 'abc');
});

test('a large body is stored in parts, streamed back in order, and removed with its parts', async () => {
  const cache = mapCache();
  const body = Buffer.alloc(PART_BYTES * 2 + 10);
  for (let i = 0; i < body.length; i++) body[i] = i % 251;
  await storeResponse(strategy, cache, 'k', response([body.subarray(0, 1000), body.subarray(1000)]), 60);
  assert.equal(cache.map.size, 4, 'head and three parts');
  const entry = decodeEntry((await strategy.fetch(cache, 'k'))!)!;
  assert.equal(entry.parts, 3);
  assert.equal(entry.bodyLen, body.length);
  assert.equal(entry.body.length, 0);
  const first = await firstPart(strategy, cache, 'k', entry);
  assert.ok(first !== null);
  const streamed: Uint8Array[] = [];
  for await (const part of bodyParts(strategy, cache, 'k', entry, first)) streamed.push(part);
  assert.equal(streamed.length, 3);
  assert.ok(Buffer.concat(streamed).equals(body));
  assert.ok((await wholeBody(strategy, cache, 'k', entry))!.equals(body));
  await removeEntry(strategy, cache, 'k', entry);
  assert.equal(cache.map.size, 0);
});

test('a part that is gone: no first part, no whole body, and the stream fails', async () => {
  const cache = mapCache();
  await storeResponse(strategy, cache, 'k', response([Buffer.alloc(PART_BYTES * 2 + 1, 1)]), 60);
  const entry = decodeEntry((await strategy.fetch(cache, 'k'))!)!;
  const first = (await firstPart(strategy, cache, 'k', entry))!;
  const last = [...cache.map.keys()].find((k) => k.endsWith(':2'))!;
  cache.map.delete(last);
  assert.equal(await wholeBody(strategy, cache, 'k', entry), null);
  await assert.rejects(async () => {
    for await (const part of bodyParts(strategy, cache, 'k', entry, first)) assert.ok(part.length > 0);
  }, /part 2 of k is gone/);
  for (const key of [...cache.map.keys()]) if (key.endsWith(':0')) cache.map.delete(key);
  assert.equal(await firstPart(strategy, cache, 'k', entry), null);
});
