/**
 * rate-limiting through the real proxy: the local policy exact across two workers, Kong's headers and 429
 * body, limit_by ip / consumer (key-auth) / header, the Redis policy shared by two separate nodes, fault
 * tolerance against a Redis that is not there, sliding windows, and bad configurations refused by the Admin API.
 * Redis is TOLLGATE_TEST_REDIS_HOST/PORT (default 127.0.0.1:6379); the tests use database 7 and identifiers of
 * their own, so parallel runs do not meet. Limits are per hour or day with small counts: nothing here waits for a
 * window to pass.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { Redis } from 'ioredis';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { freePort } from './helpers/ports.ts';

const REDIS_HOST = process.env.TOLLGATE_TEST_REDIS_HOST ?? '127.0.0.1';
const REDIS_PORT = Number(process.env.TOLLGATE_TEST_REDIS_PORT ?? 6379);
const REDIS_DB = 7;
const RUN = randomUUID().slice(0, 8);

async function call(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string) {
  const res = await request(url, { method: method as 'GET', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

async function post(url: string, json: unknown) {
  const res = await call(url, { 'content-type': 'application/json' }, 'POST', JSON.stringify(json));
  return { status: res.status, body: res.text === '' ? null : JSON.parse(res.text) };
}

/** Sends `n` requests at once; returns their statuses counted. */
async function burst(urls: readonly string[], n: number, headers: Record<string, string>): Promise<Map<number, number>> {
  const results = await Promise.all(Array.from({ length: n }, (_, i) => call(urls[i % urls.length], headers)));
  const counts = new Map<number, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return counts;
}

const REDIS_ROUTE = '5e1f0b3c-7d0a-4c62-9a55-0f0c6a1d2b01';
const SLIDING_ROUTE = '5e1f0b3c-7d0a-4c62-9a55-0f0c6a1d2b02';

function declarative(upPort: number, closedPort: number): string {
  const redis = `{ host: ${REDIS_HOST}, port: ${REDIS_PORT}, database: ${REDIS_DB}, timeout: 500 }`;
  return `_format_version: "3.0"
services:
  - name: svc
    url: http://127.0.0.1:${upPort}
    routes:
      - name: exact
        paths: [/exact]
        plugins:
          - name: rate-limiting
            config: { day: 20, limit_by: header, header_name: x-client }
      - name: headers
        paths: [/headers]
        plugins:
          - name: rate-limiting
            config: { hour: 3, day: 10, limit_by: header, header_name: x-client }
      - name: hidden
        paths: [/hidden]
        plugins:
          - name: rate-limiting
            config: { hour: 1, limit_by: header, header_name: x-client, hide_client_headers: true, error_code: 403, error_message: Slow down }
      - name: by-ip
        paths: [/by-ip]
        plugins:
          - name: rate-limiting
            config: { hour: 2, limit_by: ip }
      - name: by-consumer
        paths: [/by-consumer]
        plugins:
          - name: key-auth
          - name: rate-limiting
            config: { hour: 2, limit_by: consumer }
      - name: sliding-local
        paths: [/sliding-local]
        plugins:
          - name: rate-limiting
            config: { hour: 2, limit_by: header, header_name: x-client, window_type: sliding }
      - name: redis
        id: ${REDIS_ROUTE}
        paths: [/redis]
        plugins:
          - name: rate-limiting
            config: { day: 15, limit_by: header, header_name: x-client, policy: redis, redis: ${redis} }
      - name: redis-sliding
        id: ${SLIDING_ROUTE}
        paths: [/redis-sliding]
        plugins:
          - name: rate-limiting
            config: { hour: 3, limit_by: header, header_name: x-client, policy: redis, window_type: sliding, redis: ${redis} }
      - name: redis-down-tolerant
        paths: [/redis-down-tolerant]
        plugins:
          - name: rate-limiting
            config: { hour: 1, policy: redis, redis_host: 127.0.0.1, redis_port: ${closedPort}, redis_timeout: 500 }
      - name: redis-down-strict
        paths: [/redis-down-strict]
        plugins:
          - name: rate-limiting
            config: { hour: 1, policy: redis, fault_tolerant: false, redis: { host: 127.0.0.1, port: ${closedPort}, timeout: 500 } }
consumers:
  - username: ana
    keyauth_credentials:
      - key: ana-key-${RUN}
  - username: bo
    keyauth_credentials:
      - key: bo-key-${RUN}
`;
}

describe('rate-limiting through the proxy', () => {
  let up: TestUpstream;
  let a: TollgateNode;
  let b: TollgateNode;
  let redis: Redis;
  before(async () => {
    up = await startUpstream('rl-up');
    const closedPort = await freePort();
    const config = declarative(up.port, closedPort);
    redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT, db: REDIS_DB, maxRetriesPerRequest: 1 });
    [a, b] = await Promise.all([startTollgate({ config, workers: 2 }), startTollgate({ config, workers: 2 })]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await up?.close();
    redis?.disconnect();
  });

  test('local: exact across two workers under concurrent requests', async () => {
    const counts = await burst([`${a.proxy}/exact`], 60, { 'x-client': `exact-${RUN}` });
    assert.equal(counts.get(200), 20, JSON.stringify([...counts]));
    assert.equal(counts.get(429), 40, JSON.stringify([...counts]));
    // Node B counts for itself with the local policy.
    assert.equal((await call(`${b.proxy}/exact`, { 'x-client': `exact-${RUN}` })).status, 200);
  });

  test("Kong's headers, the 429 body and Retry-After", async () => {
    const h = { 'x-client': `headers-${RUN}` };
    for (let i = 1; i <= 3; i++) {
      const res = await call(`${a.proxy}/headers`, h);
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-ratelimit-limit-hour'], '3');
      assert.equal(res.headers['x-ratelimit-remaining-hour'], String(3 - i));
      assert.equal(res.headers['x-ratelimit-limit-day'], '10');
      assert.equal(res.headers['x-ratelimit-remaining-day'], String(10 - i));
      assert.equal(res.headers['ratelimit-limit'], '3');
      assert.equal(res.headers['ratelimit-remaining'], String(3 - i));
      const reset = Number(res.headers['ratelimit-reset']);
      assert.ok(reset >= 1 && reset <= 3600, String(reset));
      assert.equal(res.headers['retry-after'], undefined);
    }
    const refused = await call(`${a.proxy}/headers`, h);
    assert.equal(refused.status, 429);
    const body = JSON.parse(refused.text);
    assert.equal(body.message, 'API rate limit exceeded');
    // Kong 3.x's error bodies carry the request id too.
    assert.deepEqual(Object.keys(body), ['message', 'request_id']);
    assert.match(body.request_id, /^[0-9a-f]{32}$/);
    assert.equal(refused.headers['x-ratelimit-remaining-hour'], '0');
    assert.equal(refused.headers['x-ratelimit-remaining-day'], '7');
    assert.equal(refused.headers['ratelimit-remaining'], '0');
    const retry = Number(refused.headers['retry-after']);
    assert.ok(retry >= 1 && retry <= 3600, String(retry));
    assert.equal(refused.headers['ratelimit-reset'], refused.headers['retry-after']);
    // A refused request is not counted: the day still has 7 left.
    assert.equal((await call(`${a.proxy}/headers`, h)).headers['x-ratelimit-remaining-day'], '7');
    // Another client has its own counters.
    assert.equal((await call(`${a.proxy}/headers`, { 'x-client': `other-${RUN}` })).status, 200);
  });

  test('hide_client_headers, error_code and error_message', async () => {
    const h = { 'x-client': `hidden-${RUN}` };
    const ok = await call(`${a.proxy}/hidden`, h);
    assert.equal(ok.status, 200);
    assert.equal(Object.keys(ok.headers).filter((k) => /ratelimit|retry-after/i.test(k)).length, 0);
    const refused = await call(`${a.proxy}/hidden`, h);
    assert.equal(refused.status, 403);
    assert.equal(JSON.parse(refused.text).message, 'Slow down');
    assert.equal(Object.keys(refused.headers).filter((k) => /ratelimit|retry-after/i.test(k)).length, 0);
  });

  test('limit_by ip', async () => {
    // A node of its own would be cleaner, but node B has not served /by-ip: its counters are fresh.
    assert.equal((await call(`${b.proxy}/by-ip`)).status, 200);
    assert.equal((await call(`${b.proxy}/by-ip`, { 'x-client': 'ignored' })).status, 200);
    assert.equal((await call(`${b.proxy}/by-ip`)).status, 429);
  });

  test('limit_by consumer, after key-auth', async () => {
    assert.equal((await call(`${a.proxy}/by-consumer`)).status, 401);
    for (let i = 0; i < 2; i++) assert.equal((await call(`${a.proxy}/by-consumer`, { apikey: `ana-key-${RUN}` })).status, 200);
    assert.equal((await call(`${a.proxy}/by-consumer`, { apikey: `ana-key-${RUN}` })).status, 429);
    assert.equal((await call(`${a.proxy}/by-consumer`, { apikey: `bo-key-${RUN}` })).status, 200);
  });

  test('sliding window, local policy', async () => {
    const h = { 'x-client': `sliding-${RUN}` };
    const first = await call(`${a.proxy}/sliding-local`, h);
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-ratelimit-remaining-hour'], '1');
    assert.equal((await call(`${a.proxy}/sliding-local`, h)).status, 200);
    const refused = await call(`${a.proxy}/sliding-local`, h);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
  });

  test('redis: one limit for two nodes of two workers each', async () => {
    const counts = await burst([`${a.proxy}/redis`, `${b.proxy}/redis`], 40, { 'x-client': `redis-${RUN}` });
    assert.equal(counts.get(200), 15, JSON.stringify([...counts]));
    assert.equal(counts.get(429), 25, JSON.stringify([...counts]));
    const keys = await redis.keys(`ratelimit:${REDIS_ROUTE}:*:redis-${RUN}:*:day`);
    assert.equal(keys.length, 1);
    assert.equal(Number(await redis.get(keys[0])), 15, 'refused requests are taken back out');
    const ttl = await redis.pttl(keys[0]);
    assert.ok(ttl > 0 && ttl <= 86_400_000, String(ttl));
  });

  test('redis: a sliding window weighs in the previous window', async () => {
    const id = `redis-sliding-${RUN}`;
    const hour = 3_600_000;
    const start = Math.floor(Date.now() / hour) * hour;
    // A previous hour this busy keeps the client out for most of this hour.
    await redis.set(`ratelimit:${SLIDING_ROUTE}:00000000-0000-0000-0000-000000000000:${id}:${start - hour}:hour`, '1000000', 'PX', 2 * hour);
    const refused = await call(`${a.proxy}/redis-sliding`, { 'x-client': id });
    assert.equal(refused.status, 429);
    const retry = Number(refused.headers['retry-after']);
    assert.ok(retry >= 1 && retry <= 3600, String(retry));
    // Without history, the same route lets the limit through.
    const fresh = { 'x-client': `${id}-fresh` };
    for (let i = 0; i < 3; i++) assert.equal((await call(`${b.proxy}/redis-sliding`, fresh)).status, 200);
    assert.equal((await call(`${b.proxy}/redis-sliding`, fresh)).status, 429);
  });

  test('redis unreachable: fault_tolerant lets traffic through and logs once; otherwise 500', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await call(`${a.proxy}/redis-down-tolerant`);
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-ratelimit-limit-hour'], undefined);
    }
    const logged = a.output().split('\n').filter((l) => l.includes('rate-limiting: Redis at 127.0.0.1')).length;
    assert.ok(logged >= 1 && logged <= 2, `one line per worker at most, got ${logged}:\n${a.output()}`);
    const strict = await call(`${a.proxy}/redis-down-strict`);
    assert.equal(strict.status, 500);
    assert.equal(JSON.parse(strict.text).message, 'An unexpected error occurred');
  });
});

describe('rate-limiting through the Admin API', () => {
  let node: TollgateNode;
  before(async () => {
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite' } });
  });
  after(async () => {
    await node?.stop();
  });

  test("defaults, and Kong's deprecated redis_* fields", async () => {
    const res = await post(`${node.admin}/plugins`, {
      name: 'rate-limiting',
      config: { minute: 5, policy: 'redis', redis_host: 'redis.test', redis_port: 6380, redis_database: 2 },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const c = res.body.config;
    assert.equal(c.limit_by, 'consumer');
    assert.equal(c.fault_tolerant, true);
    assert.equal(c.error_code, 429);
    assert.equal(c.error_message, 'API rate limit exceeded');
    assert.equal(c.sync_rate, -1);
    assert.equal(c.window_type, 'fixed');
    assert.equal(c.redis.host, 'redis.test');
    assert.equal(c.redis.port, 6380);
    assert.equal(c.redis.database, 2);
    assert.equal(c.redis.timeout, 2000);
    assert.equal(c.redis_host, undefined);
    assert.equal((await call(`${node.admin}/plugins/${res.body.id}`, {}, 'DELETE')).status, 204);
  });

  test('Redis Sentinel and Cluster records (Kong Enterprise fields)', async () => {
    const sentinel = await post(`${node.admin}/plugins`, {
      name: 'rate-limiting',
      config: { minute: 5, policy: 'redis', redis: { sentinel_master: 'm', sentinel_role: 'master', sentinel_nodes: [{ host: 's.test', port: 26379 }], sentinel_password: 'p' } },
    });
    assert.equal(sentinel.status, 201, JSON.stringify(sentinel.body));
    assert.deepEqual(sentinel.body.config.redis.sentinel_nodes, [{ host: 's.test', port: 26379 }]);
    assert.equal(sentinel.body.config.redis.host, null);
    assert.equal((await call(`${node.admin}/plugins/${sentinel.body.id}`, {}, 'DELETE')).status, 204);
    const cluster = await post(`${node.admin}/plugins`, { name: 'rate-limiting', config: { minute: 5, policy: 'redis', redis: { cluster_nodes: [{ ip: 'c.test' }] } } });
    assert.equal(cluster.status, 201, JSON.stringify(cluster.body));
    assert.deepEqual(cluster.body.config.redis.cluster_nodes, [{ ip: 'c.test', port: 6379 }]);
    assert.equal(cluster.body.config.redis.cluster_max_redirections, 5);
    assert.equal((await call(`${node.admin}/plugins/${cluster.body.id}`, {}, 'DELETE')).status, 204);
  });

  test('bad configurations are refused with a 400 naming the field', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{}, /at least one of these fields must be non-empty: 'config.second', 'config.minute'/],
      [{ minute: 0 }, /"minute":"value must be greater than 0"/],
      [{ second: 10, minute: 5 }, /The limit for minute\(5\.0\) cannot be lower than the limit for second\(10\.0\)/],
      [{ minute: 5, limit_by: 'header' }, /header_name/],
      [{ minute: 5, limit_by: 'path' }, /path/],
      [{ minute: 5, limit_by: 'planet' }, /"limit_by":"expected one of/],
      [{ minute: 5, policy: 'cluster' }, /"policy":"policy 'cluster' .*use 'redis'/],
      [{ minute: 5, policy: 'redis' }, /redis.host|"host"/],
      [{ minute: 5, sync_rate: 1 }, /sync_rate can only be used with the redis policy/],
      [{ minute: 5, policy: 'redis', redis: { host: 'r.test', port: 6379, timeout: 100 }, sync_rate: 0.01 }, /sync_rate must be greater than 0.02/],
      [{ minute: 5, window_type: 'rolling' }, /"window_type":"expected one of: fixed, sliding"/],
      [{ minute: 5, redis: { port: 70000 } }, /"port":"value should be between 0 and 65535"/],
      [
        { minute: 5, policy: 'redis', redis: { host: 'r.test', sentinel_master: 'm', sentinel_role: 'master', sentinel_nodes: [{ host: 's.test' }] } },
        /"redis":.*"@entity":\["these sets are mutually exclusive: \('sentinel_master', 'sentinel_role', 'sentinel_nodes'\), \('host'\)"/,
      ],
      [{ minute: 5, policy: 'redis', redis: { sentinel_master: 'm' } }, /all or none of these fields must be set: 'sentinel_master', 'sentinel_role', 'sentinel_nodes'/],
      [{ minute: 5, policy: 'redis', redis: { sentinel_master: 'm', sentinel_role: 'leader', sentinel_nodes: [{ host: 's.test' }] } }, /"sentinel_role":"expected one of: master, slave, any"/],
      [{ minute: 5, policy: 'redis', redis: { cluster_nodes: [{ ip: 'c.test' }], host: 'r.test' } }, /these sets are mutually exclusive: \('cluster_nodes'\), \('host'\)/],
    ];
    for (const [config, pattern] of bad) {
      const res = await post(`${node.admin}/plugins`, { name: 'rate-limiting', config });
      assert.equal(res.status, 400, JSON.stringify(config));
      assert.match(JSON.stringify(res.body), pattern, `${JSON.stringify(config)}: ${JSON.stringify(res.body)}`);
    }
  });
});
