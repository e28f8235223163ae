/**
 * The Redis counter stores against the real Redis (TOLLGATE_TEST_REDIS_HOST/PORT, default 127.0.0.1:6379,
 * database 7, keys of this run only): counting on every request, and `sync_rate` batching. The stores take the
 * request's PDK only to log; these calls never log, so they get an empty stand-in.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Kong } from '../../pdk/index.ts';
import { redisStore, syncedRedisStore, type CounterRow } from './counter-stores.ts';
import { closeRedisConnections } from '../shared/redis/connection.ts';
import { redisSettings } from '../shared/redis/settings.ts';

const HOST = process.env.TOLLGATE_TEST_REDIS_HOST ?? '127.0.0.1';
const PORT = Number(process.env.TOLLGATE_TEST_REDIS_PORT ?? 6379);
const settings = redisSettings({ host: HOST, port: PORT, database: 7, timeout: 2000 });
const RUN = randomUUID().slice(0, 8);
const NO_KONG = {} as Kong;
const redis = new Redis({ host: HOST, port: PORT, db: 7 });

after(() => {
  redis.disconnect();
  closeRedisConnections();
});

function row(name: string, now: number): CounterRow {
  return { key: `test-counter-stores:${RUN}:${name}`, expiresAt: now + 60_000, identifier: 'id', period: 'minute', start: now };
}

test('redis: every update goes to Redis and returns the new totals; reads of absent counters are 0', async () => {
  const now = Date.now();
  const store = redisStore('test', settings);
  const a = row('a', now);
  assert.deepEqual(await store.update(NO_KONG, [a], 1, [row('absent', now)], now), { added: [1], read: [0] });
  assert.deepEqual(await store.update(NO_KONG, [a], 2, [a], now), { added: [3], read: [3] });
  assert.equal(await redis.get(a.key), '3');
  const ttl = await redis.pttl(a.key);
  assert.ok(ttl > 0 && ttl <= 60_000, String(ttl));
});

test('sync_rate: counts stay in the worker until the sync, which brings other counts back', async () => {
  const now = Date.now();
  const store = syncedRedisStore('test', settings, 3600); // no timer fires during the test: syncs are explicit
  const b = row('b', now);
  await redis.set(b.key, '10', 'PX', 60_000);
  // The first sight of a counter reads it from Redis; later counts are local.
  assert.deepEqual((await store.update(NO_KONG, [b], 1, [], now)).added, [11]);
  assert.deepEqual((await store.update(NO_KONG, [b], 1, [], now)).added, [12]);
  assert.equal(await redis.get(b.key), '10', 'nothing sent before the sync');
  await redis.incrby(b.key, 5); // another node
  await store.flush();
  assert.equal(await redis.get(b.key), '17');
  assert.deepEqual((await store.update(NO_KONG, [], 0, [b], now)).read, [17], "the sync brought the other node's counts in");
  // The same configuration in the next snapshot is the same store: nothing unsent is lost.
  assert.equal(syncedRedisStore('test', settings, 3600), store);
});
