/**
 * proxy-cache through the real proxy: a node with two workers serving a declarative file, a real upstream
 * that counts what reaches it (so a Hit is proven not to touch it), Kong's X-Cache-Status/X-Cache-Key/Age,
 * Bypass for uncacheable requests and responses, TTL expiry, cache_control, vary headers and query arguments,
 * the purge endpoints of the Admin API, the Redis strategy shared by two nodes, and bad configurations refused
 * with a 400 naming the field. Redis is TOLLGATE_TEST_REDIS_HOST/PORT (default 127.0.0.1:6379), database 8,
 * with paths unique to this run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

const REDIS_HOST = process.env.TOLLGATE_TEST_REDIS_HOST ?? '127.0.0.1';
const REDIS_PORT = Number(process.env.TOLLGATE_TEST_REDIS_PORT ?? 6379);
const REDIS_DB = 8;
const RUN = randomUUID().slice(0, 8);

const CACHE_ROUTE = '7a0c1d52-3f4e-4b6a-9c1d-5e2f3a4b5c01';
const REDIS_ROUTE = '7a0c1d52-3f4e-4b6a-9c1d-5e2f3a4b5c02';
const CACHE_PLUGIN = '7a0c1d52-3f4e-4b6a-9c1d-5e2f3a4b5c11';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

async function call(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Answer> {
  const res = await request(url, { method: method as 'GET', headers, body });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

const cacheStatus = (a: Answer): string | undefined => a.headers['x-cache-status'] as string | undefined;

/**
 * Waits until the entry of a Miss is stored, asking the Admin API (not the proxy: a request sent before the
 * store completes would be another Miss and reach the upstream).
 */
async function stored(node: TollgateNode, miss: Answer): Promise<void> {
  const key = miss.headers['x-cache-key'];
  assert.equal(typeof key, 'string', 'the Miss names its key');
  await waitUntil(async () => (await call(`${node.admin}/proxy-cache/${key as string}`)).status === 200, 10_000, `entry ${key as string} stored`);
}

/**
 * The upstream: counts requests per path; `ct`, `cc`, `expires` and `status` query arguments choose the
 * Content-Type, Cache-Control, Expires and status of the answer; `size` asks for a body of that many bytes.
 */
function makeHandler(hits: Map<string, number>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    const n = (hits.get(url.pathname) ?? 0) + 1;
    hits.set(url.pathname, n);
    const headers: Record<string, string> = { 'content-type': url.searchParams.get('ct') ?? 'application/json' };
    const cc = url.searchParams.get('cc');
    if (cc !== null) headers['cache-control'] = cc;
    const expires = url.searchParams.get('expires');
    if (expires !== null) headers.expires = new Date(Date.now() + Number(expires) * 1000).toUTCString();
    headers['x-upstream-hit'] = String(n);
    const size = Number(url.searchParams.get('size') ?? 0);
    const body = size > 0 ? Buffer.alloc(size, 'x') : Buffer.from(JSON.stringify({ url: req.url, n, method: req.method }));
    headers['content-length'] = String(body.length);
    req.resume();
    req.on('end', () => {
      res.writeHead(Number(url.searchParams.get('status') ?? 200), headers);
      res.end(body);
    });
  };
}

function declarative(upPort: number): string {
  const redis = `{ host: ${REDIS_HOST}, port: ${REDIS_PORT}, database: ${REDIS_DB}, timeout: 2000 }`;
  return `_format_version: "3.0"
services:
  - name: svc
    url: http://127.0.0.1:${upPort}
    routes:
      - name: cache
        id: ${CACHE_ROUTE}
        paths: [/cache]
        strip_path: false
        plugins:
          - name: proxy-cache
            id: ${CACHE_PLUGIN}
            config: { strategy: memory }
      - name: ttl
        paths: [/ttl]
        strip_path: false
        plugins:
          - name: proxy-cache
            config: { strategy: memory, cache_ttl: 1, storage_ttl: 600 }
      - name: cc
        paths: [/cc]
        strip_path: false
        plugins:
          - name: proxy-cache
            config: { strategy: memory, cache_control: true }
      - name: vary
        paths: [/vary]
        strip_path: false
        plugins:
          - name: proxy-cache
            config: { strategy: memory, vary_headers: [X-Tenant], vary_query_params: [a] }
      - name: quiet
        paths: [/quiet]
        strip_path: false
        plugins:
          - name: proxy-cache
            config: { strategy: memory, response_headers: { age: false, X-Cache-Status: false, X-Cache-Key: false } }
      - name: codes
        paths: [/codes]
        strip_path: false
        plugins:
          - name: proxy-cache
            config: { strategy: memory, response_code: [200, 418], request_method: [GET, POST], content_type: ["text/*"] }
      - name: redis
        id: ${REDIS_ROUTE}
        paths: [/redis]
        strip_path: false
        plugins:
          - name: proxy-cache
            config: { strategy: redis, redis: ${redis} }
`;
}

describe('proxy-cache through the proxy', () => {
  const hits = new Map<string, number>();
  let up: TestUpstream;
  let a: TollgateNode;
  let b: TollgateNode;
  before(async () => {
    up = await startUpstream('pc-up', makeHandler(hits));
    const config = declarative(up.port);
    // One after the other: two nodes starting at once on a loaded machine can miss the helper's start deadline.
    a = await startTollgate({ config, workers: 2 });
    b = await startTollgate({ config, workers: 2 });
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await up?.close();
  });

  test("Miss then Hit: the same body and Kong's key, and the upstream called once", async () => {
    const path = `/cache/simple-${RUN}`;
    const first = await call(`${a.proxy}${path}`);
    assert.equal(first.status, 200);
    assert.equal(cacheStatus(first), 'Miss');
    const key = first.headers['x-cache-key'] as string;
    // Kong's key: sha256 of route | method | request line cut at '?' | query | headers.
    assert.equal(key, createHash('sha256').update(`${CACHE_ROUTE}|GET|GET ${path} HTTP/1.1||`).digest('hex'));
    await stored(a, first);
    const hit = await call(`${a.proxy}${path}`);
    assert.equal(cacheStatus(hit), 'Hit');
    assert.equal(hit.headers['x-cache-key'], key);
    assert.equal(hit.text, first.text);
    assert.equal(hit.headers['content-type'], 'application/json');
    assert.equal(hit.headers['x-upstream-hit'], '1');
    // proxy-cache's body_filter only watches: both answers keep their Content-Length.
    assert.equal(first.headers['content-length'], String(Buffer.byteLength(first.text)));
    assert.equal(hit.headers['content-length'], String(Buffer.byteLength(first.text)));
    // The gateway's own headers are this answer's, not copies of the first one's.
    assert.equal(typeof hit.headers['x-tollgate-request-id'], 'string');
    assert.notEqual(hit.headers['x-tollgate-request-id'], first.headers['x-tollgate-request-id']);
    assert.equal(hit.headers['x-tollgate-upstream-latency'], undefined);
    assert.equal(typeof hit.headers.server, 'string');
    assert.match(hit.headers.age as string, /^\d+$/);
    assert.equal(hits.get(path), 1);
  });

  test('a Hit is served by workers that never saw the Miss (the cache is node-wide)', async () => {
    const path = `/cache/workers-${RUN}`;
    const miss = await call(`${a.proxy}${path}`);
    assert.equal(cacheStatus(miss), 'Miss');
    await stored(a, miss);
    // Replace both workers one after the other: the ones left never served this path.
    const pids = async () => ((await (await request(`${a.admin}/`)).body.json()) as { pids: { workers: number[] } }).pids.workers;
    const original = await pids();
    assert.equal(original.length, 2);
    for (const victim of original) {
      process.kill(victim, 'SIGKILL');
      await waitUntil(async () => {
        const now = await pids();
        return now.length === 2 && !now.includes(victim);
      }, 20_000, 'a replacement worker');
    }
    await waitUntil(async () => (await call(`${a.proxy}/cache/ping-${RUN}`).catch(() => null))?.status === 200, 20_000, 'the new workers');
    for (let i = 0; i < 6; i++) {
      const res = await call(`${a.proxy}${path}`);
      assert.equal(cacheStatus(res), 'Hit');
    }
    assert.equal(hits.get(path), 1);
  });

  test('the query is part of the key, in any order', async () => {
    const path = `/cache/query-${RUN}`;
    assert.equal(cacheStatus(await call(`${a.proxy}${path}?x=1&y=2`)), 'Miss');
    await waitUntil(async () => cacheStatus(await call(`${a.proxy}${path}?y=2&x=1`)) === 'Hit', 10_000, 'a Hit in another order');
    assert.equal(cacheStatus(await call(`${a.proxy}${path}?x=1&y=3`)), 'Miss');
  });

  test('Bypass: a POST, a content type, a status that is not cacheable', async () => {
    const post = await call(`${a.proxy}/cache/post-${RUN}`, { 'content-type': 'application/json' }, 'POST', '{"a":1}');
    assert.equal(post.status, 200);
    assert.equal(cacheStatus(post), 'Bypass');
    for (let i = 0; i < 2; i++) assert.equal(cacheStatus(await call(`${a.proxy}/cache/html-${RUN}?ct=text/html`)), 'Bypass');
    assert.equal(hits.get(`/cache/html-${RUN}`), 2);
    for (let i = 0; i < 2; i++) {
      const res = await call(`${a.proxy}/cache/err-${RUN}?status=500`);
      assert.equal(res.status, 500);
      assert.equal(cacheStatus(res), 'Bypass');
    }
    // Kong's exact match: parameters must match too.
    assert.equal(cacheStatus(await call(`${a.proxy}/cache/charset-${RUN}?ct=application/json;%20charset=utf-8`)), 'Bypass');
  });

  test('non-default methods, statuses and wildcard content types', async () => {
    const path = `/codes/teapot-${RUN}`;
    const first = await call(`${a.proxy}${path}?status=418&ct=text/html`, {}, 'POST', 'x');
    assert.equal(first.status, 418);
    assert.equal(cacheStatus(first), 'Miss');
    await stored(a, first);
    assert.equal(cacheStatus(await call(`${a.proxy}${path}?status=418&ct=text/html`, {}, 'POST', 'x')), 'Hit');
    assert.equal(hits.get(path), 1);
    const notListed = await call(`${a.proxy}/codes/n-${RUN}?status=404&ct=text/html`);
    assert.equal(cacheStatus(notListed), 'Bypass');
  });

  test('cache_ttl: an entry older than cache_ttl is refreshed (storage_ttl keeps it stored)', async () => {
    const path = `/ttl/expiry-${RUN}`;
    assert.equal(cacheStatus(await call(`${a.proxy}${path}`)), 'Miss');
    await waitUntil(async () => cacheStatus(await call(`${a.proxy}${path}`)) === 'Hit', 10_000, 'a Hit');
    await waitUntil(async () => cacheStatus(await call(`${a.proxy}${path}`)) === 'Refresh', 15_000, 'a Refresh after cache_ttl');
  });

  test('response_headers off hides the headers, kong-debug shows them', async () => {
    const path = `/quiet/q-${RUN}`;
    const first = await call(`${a.proxy}${path}`);
    assert.equal(first.headers['x-cache-status'], undefined);
    assert.equal(first.headers['x-cache-key'], undefined);
    // The key does not depend on kong-debug: a second Miss only if the first is not stored yet.
    const debug = await call(`${a.proxy}${path}`, { 'kong-debug': '1' });
    if (cacheStatus(debug) === 'Miss') await stored(a, debug);
    await waitUntil(async () => (await call(`${a.proxy}${path}`, { 'kong-debug': '1' })).headers['x-cache-status'] === 'Hit', 10_000, 'a Hit');
    const quiet = await call(`${a.proxy}${path}`);
    assert.equal(quiet.headers['x-cache-status'], undefined);
    assert.equal(quiet.headers.age, undefined);
    assert.ok((hits.get(path) ?? 0) <= 2);
  });

  test('vary_headers and vary_query_params', async () => {
    const path = `/vary/v-${RUN}`;
    assert.equal(cacheStatus(await call(`${a.proxy}${path}?a=1&b=1`, { 'x-tenant': 'one' })), 'Miss');
    await waitUntil(async () => cacheStatus(await call(`${a.proxy}${path}?a=1&b=2`, { 'x-tenant': 'one' })) === 'Hit', 10_000, 'a Hit ignoring b');
    assert.equal(cacheStatus(await call(`${a.proxy}${path}?a=1&b=1`, { 'x-tenant': 'two' })), 'Miss');
    assert.equal(cacheStatus(await call(`${a.proxy}${path}?a=2&b=1`, { 'x-tenant': 'one' })), 'Miss');
  });

  describe('cache_control', () => {
    test('the response decides: max-age, s-maxage and Expires store; none, private, no-store and max-age=0 do not', async () => {
      for (const q of ['cc=max-age%3D60', 'cc=s-maxage%3D60', 'expires=120']) {
        const path = `/cc/store-${q.slice(0, 4)}-${RUN}`;
        assert.equal(cacheStatus(await call(`${a.proxy}${path}?${q}`)), 'Miss', q);
        await waitUntil(async () => cacheStatus(await call(`${a.proxy}${path}?${q}`)) === 'Hit', 10_000, `a Hit for ${q}`);
      }
      for (const q of ['', 'cc=private,%20max-age%3D60', 'cc=no-store', 'cc=max-age%3D0', 'cc=no-cache']) {
        const path = `/cc/skip-${RUN}`;
        for (let i = 0; i < 2; i++) assert.equal(cacheStatus(await call(`${a.proxy}${path}?${q}`)), 'Bypass', q);
      }
    });

    test('the request decides: no-cache and no-store bypass, min-fresh refreshes, only-if-cached answers 504', async () => {
      const path = `/cc/req-${RUN}`;
      const q = '?cc=max-age%3D60';
      assert.equal(cacheStatus(await call(`${a.proxy}${path}${q}`)), 'Miss');
      await waitUntil(async () => cacheStatus(await call(`${a.proxy}${path}${q}`)) === 'Hit', 10_000, 'a Hit');
      assert.equal(cacheStatus(await call(`${a.proxy}${path}${q}`, { 'cache-control': 'no-cache' })), 'Bypass');
      assert.equal(cacheStatus(await call(`${a.proxy}${path}${q}`, { 'cache-control': 'no-store' })), 'Bypass');
      assert.equal(cacheStatus(await call(`${a.proxy}${path}${q}`, { 'cache-control': 'min-fresh=120' })), 'Refresh');
      assert.equal(cacheStatus(await call(`${a.proxy}${path}${q}`, { 'cache-control': 'max-age=3600' })), 'Hit');
      const before = hits.get(`/cc/uncached-${RUN}`);
      const none = await call(`${a.proxy}/cc/uncached-${RUN}`, { 'cache-control': 'only-if-cached' });
      assert.equal(none.status, 504);
      assert.equal(hits.get(`/cc/uncached-${RUN}`), before);
    });
  });

  test('a large body is stored in parts and streamed back whole, on both strategies', async () => {
    for (const route of ['cache', 'redis']) {
      const path = `/${route}/large-${RUN}`;
      const q = '?size=3000000&ct=text/plain';
      const first = await call(`${a.proxy}${path}${q}`);
      assert.equal(first.text.length, 3_000_000);
      await stored(a, first);
      const hit = await call(`${a.proxy}${path}${q}`);
      assert.equal(cacheStatus(hit), 'Hit');
      assert.equal(hit.text, first.text);
      assert.equal(hit.headers['content-length'], '3000000');
      assert.equal(hits.get(path), 1);
      // HEAD has a key of its own (the method is part of it) and stores its empty body.
      const headMiss = await call(`${a.proxy}${path}${q}`, {}, 'HEAD');
      assert.equal(cacheStatus(headMiss), 'Miss');
      await stored(a, headMiss);
      const head = await call(`${a.proxy}${path}${q}`, {}, 'HEAD');
      assert.equal(cacheStatus(head), 'Hit');
      assert.equal(head.text, '');
      assert.equal(hits.get(path), 2);
      const key = hit.headers['x-cache-key'] as string;
      const entry = JSON.parse((await call(`${a.admin}/proxy-cache/${key}`)).text) as Record<string, unknown>;
      assert.equal(entry.body_len, 3_000_000);
      assert.equal((entry.body as string).length, 3_000_000);
      assert.equal((await call(`${a.admin}/proxy-cache/${key}`, {}, 'DELETE')).status, 204);
      assert.equal(cacheStatus(await call(`${a.proxy}${path}${q}`)), 'Miss');
    }
  });

  test('the Admin API reads and purges entries', async () => {
    const path = `/cache/admin-${RUN}`;
    const first = await call(`${a.proxy}${path}`);
    const key = first.headers['x-cache-key'] as string;
    await waitUntil(async () => cacheStatus(await call(`${a.proxy}${path}`)) === 'Hit', 10_000, 'a Hit');

    const got = await call(`${a.admin}/proxy-cache/${CACHE_PLUGIN}/caches/${key}`);
    assert.equal(got.status, 200);
    const entry = JSON.parse(got.text) as Record<string, unknown>;
    assert.equal(entry.status, 200);
    assert.equal(entry.body, first.text);
    assert.equal(entry.body_len, Buffer.byteLength(first.text));
    assert.equal(entry.version, 1);
    assert.equal(entry.ttl, 300);
    assert.equal(typeof entry.timestamp, 'number');
    assert.equal((await call(`${a.admin}/proxy-cache/${key}`)).status, 200);

    assert.equal((await call(`${a.admin}/proxy-cache/${CACHE_PLUGIN}/caches/${key}`, {}, 'DELETE')).status, 204);
    assert.equal((await call(`${a.admin}/proxy-cache/${CACHE_PLUGIN}/caches/${key}`)).status, 404);
    assert.equal((await call(`${a.admin}/proxy-cache/${CACHE_PLUGIN}/caches/${key}`, {}, 'DELETE')).status, 404);
    assert.equal(cacheStatus(await call(`${a.proxy}${path}`)), 'Miss');

    await waitUntil(async () => (await call(`${a.admin}/proxy-cache/${key}`)).status === 200, 10_000, 'the entry stored again');
    assert.equal((await call(`${a.admin}/proxy-cache/${key}`, {}, 'DELETE')).status, 204);
    const missing = await call(`${a.admin}/proxy-cache/${key}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.text, '');
    assert.equal((await call(`${a.admin}/proxy-cache/${key}`, {}, 'DELETE')).status, 404);
    // A plugin id that is not a proxy-cache plugin's.
    assert.equal((await call(`${a.admin}/proxy-cache/${CACHE_ROUTE}/caches/${key}`)).status, 404);

    assert.equal(cacheStatus(await call(`${a.proxy}${path}`)), 'Miss');
    await waitUntil(async () => cacheStatus(await call(`${a.proxy}${path}`)) === 'Hit', 10_000, 'a Hit');
    assert.equal((await call(`${a.admin}/proxy-cache`, {}, 'DELETE')).status, 204);
    assert.equal(cacheStatus(await call(`${a.proxy}${path}`)), 'Miss');
  });

  test('redis: an entry stored through one node is a Hit on the other', async () => {
    const path = `/redis/shared-${RUN}`;
    const first = await call(`${a.proxy}${path}`);
    assert.equal(cacheStatus(first), 'Miss');
    await stored(b, first);
    const hit = await call(`${b.proxy}${path}`);
    assert.equal(cacheStatus(hit), 'Hit');
    assert.equal(hit.text, first.text);
    assert.equal(hits.get(path), 1);
    // Purged through node B's Admin API, gone for node A too.
    const key = first.headers['x-cache-key'] as string;
    assert.equal((await call(`${b.admin}/proxy-cache/${key}`)).status, 200);
    assert.equal((await call(`${b.admin}/proxy-cache/${key}`, {}, 'DELETE')).status, 204);
    assert.equal(cacheStatus(await call(`${a.proxy}${path}`)), 'Miss');
  });
});

describe('proxy-cache through the Admin API', () => {
  let node: TollgateNode;
  before(async () => {
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite' } });
  });
  after(async () => {
    await node?.stop();
  });

  const post = async (config: Record<string, unknown>) => {
    const res = await call(`${node.admin}/plugins`, { 'content-type': 'application/json' }, 'POST', JSON.stringify({ name: 'proxy-cache', config }));
    return { status: res.status, body: res.text === '' ? null : (JSON.parse(res.text) as Record<string, unknown>) };
  };

  test("Kong's defaults", async () => {
    const res = await post({ strategy: 'memory' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const c = res.body!.config as Record<string, unknown>;
    assert.deepEqual(c.response_code, [200, 301, 404]);
    assert.deepEqual(c.request_method, ['GET', 'HEAD']);
    assert.deepEqual(c.content_type, ['text/plain', 'application/json']);
    assert.equal(c.cache_ttl, 300);
    assert.equal(c.cache_control, false);
    assert.deepEqual(c.memory, { dictionary_name: 'kong_db_cache' });
    assert.deepEqual(c.response_headers, { age: true, 'X-Cache-Status': true, 'X-Cache-Key': true });
  });

  test('bad configurations are refused with a 400 naming the field', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{}, /"strategy":"required field missing"/],
      [{ strategy: 'disk' }, /"strategy":"expected one of: memory, redis"/],
      [{ strategy: 'memory', response_code: [] }, /"response_code":"length must be at least 1"/],
      [{ strategy: 'memory', response_code: [90] }, /"response_code":\["value should be between 100 and 900"\]/],
      [{ strategy: 'memory', response_code: [true, 'alo', 123] }, /"response_code":\["expected an integer","expected an integer"\]/],
      [{ strategy: 'memory', request_method: ['DELETE'] }, /"request_method":\["expected one of: HEAD, GET, POST, PATCH, PUT"\]/],
      [{ strategy: 'memory', cache_ttl: 0 }, /"cache_ttl":"value must be greater than 0"/],
      [{ strategy: 'redis' }, /redis.host|"host"/],
    ];
    for (const [config, pattern] of bad) {
      const res = await post(config);
      assert.equal(res.status, 400, JSON.stringify(config));
      assert.match(JSON.stringify(res.body), pattern, `${JSON.stringify(config)}: ${JSON.stringify(res.body)}`);
    }
  });
});
