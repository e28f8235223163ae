/**
 * Discovery and JWKS caching against a real HTTP server standing in for the provider. The node-wide cache and
 * counters are in-memory stand-ins (the real ones need a running node; test/openid-connect.test.ts covers them
 * end to end); they are enough to show what is downloaded when.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kong } from '../../pdk/index.ts';
import { forgetProviders, providerKeys, refreshKeys } from './provider.ts';

/** No keep-alive, so the stand-in server closes at once. */
const T = { timeoutMs: 5000, sslVerify: true, keepalive: false };
let server: Server;
let issuer: string;
const hits = { discovery: 0, jwks: 0 };
let jwks: { keys: Record<string, string>[] } = { keys: [{ kty: 'oct', kid: 'one', k: 'AAAA' }] };

function fakeKong() {
  const cache = new Map<string, string>();
  const counters = new Map<string, number>();
  const kong = {
    cache: {
      get: async (k: string) => cache.get(k),
      set: async (k: string, v: string) => void cache.set(k, v),
      delete: async (k: string) => void cache.delete(k),
    },
    counters: { incr: async (k: string, by: number) => { counters.set(k, (counters.get(k) ?? 0) + by); return counters.get(k)!; } },
    log: { warn: () => {} },
  };
  return { kong: kong as unknown as Kong, cache, counters };
}

before(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      hits.discovery++;
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else {
      hits.jwks++;
      res.end(JSON.stringify(jwks));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('downloaded once, then from memory; an unknown kid refreshes once per lifetime', async () => {
  forgetProviders();
  const { kong } = fakeKong();
  const first = await providerKeys(kong, issuer, T);
  assert.equal(first.discovery.issuer, issuer);
  assert.equal(await providerKeys(kong, issuer, T), first, 'kept in the worker');
  assert.deepEqual(hits, { discovery: 1, jwks: 1 });
  jwks = { keys: [{ kty: 'oct', kid: 'two', k: 'BBBB' }] };
  const fresh = await refreshKeys(kong, issuer, first, T, 30);
  assert.ok(fresh);
  assert.equal(fresh.jwks.keys[0]!.kid, 'two');
  assert.equal(await providerKeys(kong, issuer, T), fresh);
  assert.deepEqual(hits, { discovery: 2, jwks: 2 });
  // Within the lifetime: no download, the caller refuses the token.
  for (let i = 0; i < 5; i++) assert.equal(await refreshKeys(kong, issuer, fresh, T, 30), null);
  assert.deepEqual(hits, { discovery: 2, jwks: 2 });
});

test('another worker\'s copy in the node cache is used without downloading', async () => {
  forgetProviders();
  const { kong } = fakeKong();
  const mine = await providerKeys(kong, issuer, T);
  const downloads = hits.jwks;
  // What another worker sees: nothing in its memory, the node's copy in the cache.
  forgetProviders();
  const theirs = await providerKeys(kong, issuer, T);
  assert.notEqual(theirs, mine);
  assert.deepEqual(theirs.jwks, mine.jwks);
  assert.equal(hits.jwks, downloads);
});

test('a worker that lost the refresh waits for the winner\'s download', async () => {
  forgetProviders();
  const { kong, cache, counters } = fakeKong();
  jwks = { keys: [{ kty: 'oct', kid: 'three', k: 'CCCC' }] };
  const stale = await providerKeys(kong, issuer, T);
  const cacheKey = [...cache.keys()].find((k) => k.startsWith('oidc:provider:'))!;
  // Another worker took the refresh turn and is downloading.
  counters.set(`oidc:rediscovery:${issuer}`, 1);
  cache.set(`oidc:refreshing:${issuer}`, '1');
  const before = hits.jwks;
  const waiting = refreshKeys(kong, issuer, stale, T, 30);
  setTimeout(() => {
    cache.set(cacheKey, JSON.stringify({ discovery: stale.discovery, jwks: { keys: [{ kty: 'oct', kid: 'four', k: 'DDDD' }] } }));
    cache.delete(`oidc:refreshing:${issuer}`);
  }, 150);
  const got = await waiting;
  assert.ok(got);
  assert.equal(got.jwks.keys[0]!.kid, 'four');
  assert.equal(hits.jwks, before, 'this worker downloaded nothing');
});
