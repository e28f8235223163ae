/**
 * rate-limiting against Redis set-ups the test arranges itself, on private redis-server processes (ports from
 * ports.ts; the shared server on 6379 is left alone): Redis Sentinel (the plugin finds the master through the
 * sentinel), Redis Cluster (three masters; counters land in different slots), a Redis restart during traffic
 * (fault_tolerant lets traffic through, false answers Kong's 500, and limits work again after), and
 * `sync_rate` (counts reach Redis in batches). Two nodes sharing one Redis exactly is in rate-limiting.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { Cluster, Redis } from 'ioredis';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { startCluster, startRedis, startSentinel, type TestRedis } from './helpers/redis-server.ts';

async function call(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

/** Sends requests one after the other; returns their statuses. */
async function statuses(url: string, n: number, headers: Record<string, string>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(url, headers)).status);
  return out;
}

const SENTINEL_ROUTE = '7e1f0b3c-7d0a-4c62-9a55-0f0c6a1d2b01';
const CLUSTER_ROUTE = '7e1f0b3c-7d0a-4c62-9a55-0f0c6a1d2b02';
const SYNC_ROUTE = '7e1f0b3c-7d0a-4c62-9a55-0f0c6a1d2b03';

describe('rate-limiting with Redis Sentinel, Redis Cluster, a Redis restart and sync_rate', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  let sentinel: Awaited<ReturnType<typeof startSentinel>>;
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let plain: TestRedis;
  before(async () => {
    up = await startUpstream('redis-up');
    sentinel = await startSentinel('tollgate-master');
    cluster = await startCluster();
    plain = await startRedis();
    // A loaded machine can take a few hundred ms to connect: a timeout that only an outage reaches.
    const plainRedis = `{ host: 127.0.0.1, port: ${plain.port}, timeout: 1500 }`;
    const config = `_format_version: "3.0"
services:
  - name: svc
    url: http://127.0.0.1:${up.port}
    routes:
      - name: sentinel
        id: ${SENTINEL_ROUTE}
        paths: [/sentinel]
        plugins:
          - name: rate-limiting
            config:
              hour: 3
              limit_by: header
              header_name: x-client
              policy: redis
              fault_tolerant: false
              redis: { sentinel_master: tollgate-master, sentinel_role: master, sentinel_nodes: [{ host: 127.0.0.1, port: ${sentinel.sentinel.port} }], database: 2 }
      - name: cluster
        id: ${CLUSTER_ROUTE}
        paths: [/cluster]
        plugins:
          - name: rate-limiting
            config:
              hour: 3
              day: 100
              limit_by: header
              header_name: x-client
              policy: redis
              fault_tolerant: false
              redis: { cluster_nodes: [{ ip: 127.0.0.1, port: ${cluster.nodes[0].port} }], cluster_max_redirections: 3 }
      - name: tolerant
        paths: [/tolerant]
        plugins:
          - name: rate-limiting
            config: { hour: 1000, limit_by: header, header_name: x-client, policy: redis, redis: ${plainRedis} }
      - name: strict
        paths: [/strict]
        plugins:
          - name: rate-limiting
            config: { hour: 3, limit_by: header, header_name: x-client, policy: redis, fault_tolerant: false, redis: ${plainRedis} }
      - name: periods
        paths: [/periods]
        plugins:
          - name: rate-limiting
            config: { hour: 3, day: 4, limit_by: header, header_name: x-client, policy: redis, fault_tolerant: false, redis: ${plainRedis} }
      - name: synced
        id: ${SYNC_ROUTE}
        paths: [/synced]
        plugins:
          - name: rate-limiting
            config: { hour: 6, limit_by: header, header_name: x-client, policy: redis, sync_rate: 0.05, redis: ${plainRedis} }
`;
    node = await startTollgate({ config, workers: 2 });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await Promise.all([sentinel?.stop(), cluster?.stop(), plain?.stop()]);
  });

  test('Sentinel: counters on the master the sentinel names', async () => {
    assert.deepEqual(await statuses(`${node.proxy}/sentinel`, 4, { 'x-client': 's1' }), [200, 200, 200, 429]);
    const master = new Redis({ port: sentinel.master.port, db: 2 });
    try {
      const keys = await master.keys(`ratelimit:${SENTINEL_ROUTE}:*:s1:*:hour`);
      assert.equal(keys.length, 1);
      assert.equal(await master.get(keys[0]), '3');
    } finally {
      master.disconnect();
    }
  });

  test('Cluster: one limit, with counters in different slots', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => call(`${node.proxy}/cluster`, { 'x-client': 'c1' })));
    assert.equal(results.filter((r) => r.status === 200).length, 3, results.map((r) => r.status).join(','));
    const client = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0].port }]);
    try {
      const start = Math.floor(Date.now() / 3_600_000) * 3_600_000;
      const prefix = `ratelimit:${CLUSTER_ROUTE}:00000000-0000-0000-0000-000000000000:c1`;
      assert.equal(await client.get(`${prefix}:${start}:hour`), '3');
      const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
      assert.equal(await client.get(`${prefix}:${day}:day`), '3', 'refused requests taken back out of every period');
    } finally {
      client.disconnect();
    }
  });

  test('a Redis restart during traffic: tolerant passes, strict answers 500, limits work again after', async () => {
    assert.equal((await call(`${node.proxy}/tolerant`, { 'x-client': 'r1' })).headers['x-ratelimit-limit-hour'], '1000');
    // Traffic on both routes, from four loops, for the whole outage and restart.
    const seen = { tolerant: new Map<string, number>(), strict: new Map<number, number>() };
    let running = true;
    const loop = async (): Promise<void> => {
      while (running) {
        const t = await call(`${node.proxy}/tolerant`, { 'x-client': 'r1' });
        const kind = `${t.status} ${t.headers['x-ratelimit-limit-hour'] === undefined ? 'uncounted' : 'counted'}`;
        seen.tolerant.set(kind, (seen.tolerant.get(kind) ?? 0) + 1);
        const st = await call(`${node.proxy}/strict`, { 'x-client': `loop-${Math.random()}` });
        seen.strict.set(st.status, (seen.strict.get(st.status) ?? 0) + 1);
      }
    };
    const loops = [loop(), loop(), loop(), loop()];
    try {
      await plain.stop();
      await waitUntil(() => (seen.tolerant.get('200 uncounted') ?? 0) >= 8 && (seen.strict.get(500) ?? 0) >= 8, 20_000, 'traffic during the outage');
      const strict = await call(`${node.proxy}/strict`, { 'x-client': 'r1' });
      assert.equal(strict.status, 500);
      assert.equal(JSON.parse(strict.text).message, 'An unexpected error occurred');
      await plain.restart();
      // Both workers' clients reconnect in the background; counting resumes (the restarted Redis is empty).
      const countedBefore = seen.tolerant.get('200 counted') ?? 0;
      const okBefore = seen.strict.get(200) ?? 0;
      await waitUntil(() => (seen.tolerant.get('200 counted') ?? 0) >= countedBefore + 8 && (seen.strict.get(200) ?? 0) >= okBefore + 8, 20_000, 'traffic counted again');
    } finally {
      running = false;
      await Promise.all(loops);
    }
    assert.deepEqual([...seen.tolerant.keys()].filter((k) => !k.startsWith('200 ')), [], 'tolerant traffic always passes');
    assert.deepEqual([...seen.strict.keys()].filter((k) => k !== 200 && k !== 500), [], 'strict traffic: 200, or 500 while Redis is away');
    // Every worker's client is back once several requests in a row (spread over the workers) are served.
    await waitUntil(async () => {
      for (let i = 0; i < 6; i++) if ((await call(`${node.proxy}/strict`, { 'x-client': `probe-${Math.random()}` })).status !== 200) return false;
      return true;
    }, 20_000, 'strict traffic served by every worker');
    assert.deepEqual(await statuses(`${node.proxy}/strict`, 4, { 'x-client': 'after' }), [200, 200, 200, 429]);
  });

  test('sync_rate: counts reach Redis in batches, and the limit follows', async () => {
    const redis = new Redis({ port: plain.port });
    try {
      for (let i = 0; i < 4; i++) assert.equal((await call(`${node.proxy}/synced`, { 'x-client': 'y1' })).status, 200);
      const key = async () => (await redis.keys(`ratelimit:${SYNC_ROUTE}:*:y1:*:hour`))[0];
      await waitUntil(async () => {
        const k = await key();
        return k !== undefined && (await redis.get(k)) === '4';
      }, 15_000, 'the four counts in Redis');
      // Another node (here: a write straight to Redis) uses up the rest; the workers learn it at their next sync.
      await redis.incrby((await key())!, 2);
      await waitUntil(async () => (await call(`${node.proxy}/synced`, { 'x-client': 'y1' })).status === 429, 15_000, 'refusals once synced');
    } finally {
      redis.disconnect();
    }
  });

  test('several periods on one server: exact under concurrent requests', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => call(`${node.proxy}/periods`, { 'x-client': 'p1' })));
    assert.equal(results.filter((r) => r.status === 200).length, 3, results.map((r) => r.status).join(','));
  });
});
