/**
 * response-ratelimiting through the real proxy: the upstream's `X-Kong-Limit` header consumes the named limits
 * (after the response, as in Kong), Kong's `X-RateLimit-*-<name>-<period>` headers, the header removed from the
 * client response, what the upstream is told (`X-RateLimit-Remaining-<name>`), the empty 429 for a response
 * that consumes a used-up limit, block_on_first_violation, hide_client_headers, the Redis policy shared by two
 * nodes, and configurations refused by the Admin API. Counts land in the log phase, after the client has its
 * answer, so the tests wait for them with requests that consume nothing. Limits are per hour or day.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { Redis } from 'ioredis';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { freePort } from './helpers/ports.ts';

const REDIS_HOST = process.env.TOLLGATE_TEST_REDIS_HOST ?? '127.0.0.1';
const REDIS_PORT = Number(process.env.TOLLGATE_TEST_REDIS_PORT ?? 6379);
const REDIS_DB = 7;
const RUN = randomUUID().slice(0, 8);
const REDIS_ROUTE = '6e1f0b3c-7d0a-4c62-9a55-0f0c6a1d2b01';

/**
 * The upstream: answers with one `X-Kong-Limit` line per `limit` query argument, and echoes the request's
 * headers as JSON (what the plugin told it).
 */
async function limitUpstream(): Promise<TestUpstream> {
  return startUpstream('rrl-up', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const limits = url.searchParams.getAll('limit');
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ headers: req.headers });
      const headers: [string, string][] = [['content-type', 'application/json'], ['content-length', String(Buffer.byteLength(body))]];
      for (const l of limits) headers.push(['X-Kong-Limit', l]);
      res.writeHead(200, headers.flat());
      res.end(body);
    });
  });
}

async function call(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string) {
  const res = await request(url, { method: method as 'GET', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

/** A request consuming `limits` (`videos=2`, one header line each). */
function consume(base: string, path: string, ...limits: string[]) {
  const q = limits.map((l) => `limit=${encodeURIComponent(l)}`).join('&');
  return call(`${base}${path}${q === '' ? '' : `?${q}`}`);
}

/** What the upstream was told remains of `name`, asked with a request that consumes nothing. */
async function upstreamRemaining(base: string, path: string, name: string): Promise<number> {
  const res = await call(`${base}${path}`);
  assert.equal(res.status, 200, res.text);
  return Number(JSON.parse(res.text).headers[`x-ratelimit-remaining-${name}`]);
}

/** Waits until the log phase has counted what earlier requests consumed. */
async function waitRemaining(base: string, path: string, name: string, expected: number): Promise<void> {
  let last = NaN;
  await waitUntil(async () => (last = await upstreamRemaining(base, path, name)) === expected, 15_000, `${name} remaining ${expected} (last ${last})`);
}

function declarative(upPort: number, closedPort: number): string {
  const redis = `{ host: ${REDIS_HOST}, port: ${REDIS_PORT}, database: ${REDIS_DB}, timeout: 1000 }`;
  return `_format_version: "3.0"
services:
  - name: svc
    url: http://127.0.0.1:${upPort}
    routes:
      - name: counted
        paths: [/counted]
        plugins:
          - name: response-ratelimiting
            config: { limit_by: ip, limits: { videos: { hour: 3, day: 10 }, images: { hour: 5 } } }
      - name: block
        paths: [/block]
        plugins:
          - name: response-ratelimiting
            config: { limit_by: ip, block_on_first_violation: true, limits: { videos: { hour: 1 }, images: { hour: 100 } } }
      - name: hidden
        paths: [/hidden]
        plugins:
          - name: response-ratelimiting
            config: { limit_by: ip, hide_client_headers: true, limits: { videos: { hour: 1 } } }
      - name: custom-header
        paths: [/custom-header]
        plugins:
          - name: response-ratelimiting
            config: { limit_by: ip, header_name: X-Kong-Limit, limits: { videos: { hour: 1 } } }
      - name: redis
        id: ${REDIS_ROUTE}
        paths: [/redis]
        plugins:
          - name: response-ratelimiting
            config: { limit_by: ip, policy: redis, fault_tolerant: false, redis: ${redis}, limits: { videos-${RUN}: { hour: 2 } } }
      - name: down-tolerant
        paths: [/down-tolerant]
        plugins:
          - name: response-ratelimiting
            config: { policy: redis, redis: { host: 127.0.0.1, port: ${closedPort}, timeout: 300 }, limits: { videos: { hour: 1 } } }
      - name: down-strict
        paths: [/down-strict]
        plugins:
          - name: response-ratelimiting
            config: { policy: redis, fault_tolerant: false, redis: { host: 127.0.0.1, port: ${closedPort}, timeout: 300 }, limits: { videos: { hour: 1 } } }
`;
}

describe('response-ratelimiting through the proxy', () => {
  let up: TestUpstream;
  let a: TollgateNode;
  let b: TollgateNode;
  let redis: Redis;
  before(async () => {
    up = await limitUpstream();
    const config = declarative(up.port, await freePort());
    redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT, db: REDIS_DB, maxRetriesPerRequest: 1 });
    // One after the other: a loaded machine starts two at once slowly.
    a = await startTollgate({ config, workers: 2 });
    b = await startTollgate({ config, workers: 2 });
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await up?.close();
    redis?.disconnect();
  });

  test("Kong's headers, the upstream's header removed, and counting after the response", async () => {
    const first = await consume(a.proxy, '/counted', 'videos=2, images=1');
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-kong-limit'], undefined, 'the upstream header does not reach the client');
    // Kong's header names: the limit's name and the period as configured, the rest as Kong writes them.
    assert.equal(first.headers['x-ratelimit-limit-videos-hour'], '3');
    assert.equal(first.headers['x-ratelimit-remaining-videos-hour'], '1');
    assert.equal(first.headers['x-ratelimit-limit-videos-day'], '10');
    assert.equal(first.headers['x-ratelimit-remaining-videos-day'], '8');
    assert.equal(first.headers['x-ratelimit-limit-images-hour'], '5');
    assert.equal(first.headers['x-ratelimit-remaining-images-hour'], '4');
    // The upstream heard what remained before this request.
    const seen = JSON.parse(first.text).headers;
    assert.equal(seen['x-ratelimit-remaining-videos'], '3');
    assert.equal(seen['x-ratelimit-remaining-images'], '5');

    await waitRemaining(a.proxy, '/counted', 'videos', 1);
    assert.equal(await upstreamRemaining(a.proxy, '/counted', 'images'), 4);
    // One left: a response consuming it goes through.
    assert.equal((await consume(a.proxy, '/counted', 'videos=1')).status, 200);
    await waitRemaining(a.proxy, '/counted', 'videos', 0);
    // Used up, videos only stop responses that consume videos.
    const images = await consume(a.proxy, '/counted', 'images=1');
    assert.equal(images.status, 200);
    assert.equal(images.headers['x-ratelimit-remaining-videos-hour'], '0');
    const refused = await consume(a.proxy, '/counted', 'videos=1');
    assert.equal(refused.status, 429);
    assert.equal(refused.text, '', "Kong's 429 here has no body");
    assert.equal(refused.headers['x-ratelimit-remaining-videos-hour'], '0');
    assert.equal(refused.headers['x-kong-limit'], undefined);
    // Nothing consumed, nothing refused; the refused response was not counted (the day still has 7).
    const plain = await call(`${a.proxy}/counted`);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['x-ratelimit-remaining-videos-day'], '7');
    // Counters are the node's, shared by its two workers: every request above saw them whichever served it.
    // Node B counts for itself with the local policy.
    assert.equal(await upstreamRemaining(b.proxy, '/counted', 'videos'), 3);
  });

  test('block_on_first_violation refuses in access with the limit named', async () => {
    assert.equal((await consume(a.proxy, '/block', 'videos=1')).status, 200);
    await waitUntil(async () => (await call(`${a.proxy}/block`)).status === 429, 15_000, 'videos used up');
    const before = up.count;
    const refused = await consume(a.proxy, '/block', 'images=1');
    assert.equal(refused.status, 429);
    assert.equal(JSON.parse(refused.text).message, "API rate limit exceeded for 'videos'");
    assert.equal(up.count, before, 'a request refused in access never reaches the upstream');
  });

  test('hide_client_headers, and a header_name in any case', async () => {
    const hidden = await consume(a.proxy, '/hidden', 'videos=1');
    assert.equal(hidden.status, 200);
    assert.deepEqual(Object.keys(hidden.headers).filter((k) => /ratelimit|kong-limit/i.test(k)), []);
    const custom = await consume(a.proxy, '/custom-header', 'videos=1');
    assert.equal(custom.headers['x-kong-limit'], undefined);
    assert.equal(custom.headers['x-ratelimit-remaining-videos-hour'], '0');
  });

  test('malformed and unknown increments are ignored', async () => {
    const res = await consume(b.proxy, '/counted', 'videos=abc, planets=4, images', 'images=2');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-ratelimit-remaining-videos-hour'], '3');
    assert.equal(res.headers['x-ratelimit-remaining-images-hour'], '3', 'a second header line counts too');
  });

  test('counters out of reach: fault_tolerant proxies without headers, otherwise 500', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await consume(a.proxy, '/down-tolerant', 'videos=5');
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-ratelimit-remaining-videos-hour'], undefined);
      assert.equal(res.headers['x-kong-limit'], undefined);
      assert.equal(JSON.parse(res.text).headers['x-ratelimit-remaining-videos'], undefined);
    }
    assert.match(a.output(), /response-ratelimiting: Redis at 127\.0\.0\.1:\d+\/0 failed/);
    const strict = await consume(a.proxy, '/down-strict', 'videos=1');
    assert.equal(strict.status, 500);
    assert.equal(JSON.parse(strict.text).message, 'An unexpected error occurred');
  });

  test('redis: one limit for two nodes', async () => {
    const name = `videos-${RUN}`;
    assert.equal((await consume(a.proxy, '/redis', `${name}=2`)).status, 200);
    await waitRemaining(b.proxy, '/redis', name, 0);
    const refused = await consume(b.proxy, '/redis', `${name}=1`);
    assert.equal(refused.status, 429);
    const keys = await redis.keys(`response-ratelimit:${REDIS_ROUTE}:*:${name}:hour`);
    assert.equal(keys.length, 1, JSON.stringify(keys));
    assert.equal(Number(await redis.get(keys[0])), 2);
    const ttl = await redis.pttl(keys[0]);
    assert.ok(ttl > 0 && ttl <= 3_600_000, String(ttl));
  });
});

describe('response-ratelimiting through the Admin API', () => {
  let node: TollgateNode;
  before(async () => {
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite' } });
  });
  after(async () => {
    await node?.stop();
  });

  async function post(json: unknown) {
    const res = await call(`${node.admin}/plugins`, { 'content-type': 'application/json' }, 'POST', JSON.stringify(json));
    return { status: res.status, body: JSON.parse(res.text) };
  }

  test("Kong's defaults", async () => {
    const res = await post({ name: 'response-ratelimiting', config: { limits: { videos: { minute: 10 } }, redis_host: 'r.test' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const c = res.body.config;
    assert.equal(c.header_name, 'x-kong-limit');
    assert.equal(c.limit_by, 'consumer');
    assert.equal(c.policy, 'local');
    assert.equal(c.fault_tolerant, true);
    assert.equal(c.block_on_first_violation, false);
    assert.equal(c.hide_client_headers, false);
    assert.equal(c.redis.host, 'r.test');
    assert.equal(c.redis.port, 6379);
  });

  test('bad configurations are refused with a 400 naming the field', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{}, /"limits":"required field missing"/],
      [{ limits: {} }, /"limits"/],
      [{ limits: { videos: {} } }, /at least one of these fields must be non-empty/],
      [{ limits: { videos: { minute: 10, hour: 5 } } }, /the limit for hour\(5\.0\) cannot be lower than the limit for minute\(10\.0\)/],
      [{ limits: { videos: { minute: 0 } } }, /"minute":"value must be greater than 0"/],
      [{ limits: { videos: { minute: 1 } }, limit_by: 'header' }, /"limit_by":"expected one of: consumer, credential, ip"/],
      [{ limits: { videos: { minute: 1 } }, policy: 'redis' }, /config.redis.host/],
      // The cluster policy counts in PostgreSQL (see test/rate-limiting-cluster.test.ts); this node has SQLite.
      [{ limits: { videos: { minute: 1 } }, policy: 'cluster' }, /"policy":"policy 'cluster' keeps counters in the database, and it needs PostgreSQL/],
    ];
    for (const [config, pattern] of bad) {
      const res = await post({ name: 'response-ratelimiting', config });
      assert.equal(res.status, 400, JSON.stringify(config));
      assert.match(JSON.stringify(res.body), pattern, `${JSON.stringify(config)}: ${JSON.stringify(res.body)}`);
    }
  });
});
