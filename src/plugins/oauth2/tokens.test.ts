/** Token lookups: the database once, then the node-wide cache (hits and misses), keyed by a digest of the token. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kong, PluginDb, SharedCache, SharedValue } from '../../pdk/index.ts';
import { forgetToken, loadToken, tokenCacheKey, TOKEN_CACHE_MS } from './tokens.ts';

function fakeKong(rows: Record<string, Record<string, unknown>>) {
  const entries = new Map<string, { value: SharedValue; ttlMs: number }>();
  const lookups: string[] = [];
  const cache: SharedCache = {
    get: async (key) => entries.get(key)?.value,
    set: async (key, value, ttlMs) => void entries.set(key, { value, ttlMs }),
    delete: async (key) => void entries.delete(key),
    purge: async () => entries.clear(),
  };
  const db = {
    selectBy: async (_entity: string, _field: string, value: string) => {
      lookups.push(value);
      return rows[value] ?? null;
    },
  } as unknown as PluginDb;
  return { kong: { cache, db } as unknown as Kong, entries, lookups };
}

test('a token is read from the database once, then from the cache, never under its own name', async () => {
  const row = { id: 'i', access_token: 'tok', expires_in: 0, created_at: 1, credential: { id: 'c' }, ttl: 2 };
  const { kong, entries, lookups } = fakeKong({ tok: row });
  assert.deepEqual(await loadToken(kong, 'tok'), row);
  assert.deepEqual(await loadToken(kong, 'tok'), row);
  assert.deepEqual(lookups, ['tok']);
  assert.match(tokenCacheKey('tok'), /^oauth2_tokens:[0-9a-f]{40}$/);
  assert.equal(entries.get(tokenCacheKey('tok'))?.ttlMs, 2000, 'never cached past the row\'s own expiry');
  await forgetToken(kong, 'tok');
  await loadToken(kong, 'tok');
  assert.deepEqual(lookups, ['tok', 'tok'], 'a forgotten token is read again');
});

test('an unknown token is remembered as unknown for a while', async () => {
  const { kong, entries, lookups } = fakeKong({});
  assert.equal(await loadToken(kong, 'nope'), null);
  assert.equal(await loadToken(kong, 'nope'), null);
  assert.deepEqual(lookups, ['nope']);
  assert.equal(entries.get(tokenCacheKey('nope'))?.ttlMs, TOKEN_CACHE_MS);
});
