/**
 * Kong's Status API on a DB-less node (spec/02-integration/08-status_api): besides /status and
 * /status/ready, it serves the upstreams' targets and their health read-only — GET works, other methods
 * are a 405, and the endpoints that set health by hand are not there (404).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { freePort } from './helpers/ports.ts';

const UPSTREAM = '11111111-1111-4111-8111-111111111111';
const TARGET_IDS = [1, 2, 3, 4].map((i) => `2222222${i}-2222-4222-8222-222222222222`);

const CONFIG = `_format_version: "3.0"
upstreams:
- id: ${UPSTREAM}
  name: plain
  targets:
${[1, 2, 3, 4].map((i) => `  - id: ${TARGET_IDS[i - 1]}\n    target: 127.0.0.${i}:80\n    weight: ${10 * i}`).join('\n')}
- name: checked
  # hc-api-N.invalid never resolves (RFC 6761), wherever the test runs.
  healthchecks:
    passive:
      healthy: { successes: 1 }
      unhealthy: { tcp_failures: 1, http_failures: 1, timeouts: 1 }
  targets:
${[1, 2, 3, 4].map((i) => `  - target: hc-api-${i}.invalid:80\n    weight: ${10 * i}`).join('\n')}
- name: empty
plugins:
- name: prometheus
  config: { upstream_health_metrics: true }
`;

interface Listed { data: { id: string; target: string; health?: string }[]; next: string | null; offset?: string }

describe('Status API upstream endpoints (DB-less)', () => {
  let node: TollgateNode;
  before(async () => {
    node = await startTollgate({ config: CONFIG });
  });
  after(async () => {
    await node?.stop();
  });

  const get = (path: string, init?: RequestInit) => fetch(`${node.status}${path}`, init);

  test('GET /upstreams/{u}/targets lists the targets (with or without a trailing slash); empty is []', async () => {
    for (const append of ['', '/']) {
      const res = await get(`/upstreams/plain/targets${append}`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as Listed;
      assert.deepEqual(new Map(body.data.map((t) => [t.id, t.target])), new Map(TARGET_IDS.map((id, i) => [id, `127.0.0.${i + 1}:80`])));
    }
    const empty = await get('/upstreams/empty/targets');
    assert.equal(empty.status, 200);
    assert.match(await empty.text(), /"data":\[\]/);
  });

  // Targets that resolve (addresses here): Kong answers DNS_ERROR for names that do not, checks or not.
  test('GET /upstreams/{u}/health gives every target with HEALTHCHECKS_OFF when no check runs', async () => {
    for (const append of ['', '/']) {
      const res = await get(`/upstreams/plain/health${append}`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as Listed;
      assert.equal(body.data.length, 4);
      for (const t of body.data) assert.equal(t.health, 'HEALTHCHECKS_OFF');
    }
  });

  test("a checked upstream's targets whose names do not resolve are DNS_ERROR, with no address", async () => {
    let body: Listed & { data: { data?: { addresses?: unknown[] } }[] } = { data: [], next: null };
    await waitUntil(async () => {
      const res = await get('/upstreams/checked/health');
      assert.equal(res.status, 200);
      body = (await res.json()) as typeof body;
      return body.data.every((t) => t.health === 'DNS_ERROR');
    }, 15_000, 'every hc-api target to be DNS_ERROR');
    assert.equal(body.data.length, 4);
    for (const t of body.data) assert.equal(t.data?.addresses?.length ?? 0, 0);
    // Prometheus says the same: the dns_error state is the one populated.
    const metrics = await (await get('/metrics')).text();
    assert.match(metrics, /kong_upstream_target_health\{upstream="checked",target="hc-api-1\.invalid:80",[^}]*state="dns_error"[^}]*\} 1/);
    assert.match(metrics, /kong_upstream_target_health\{upstream="checked",target="hc-api-1\.invalid:80",[^}]*state="healthy"[^}]*\} 0/);
  });

  test('GET /upstreams/{u}/targets/all pages with a string offset, ignores filters and a bad body', async () => {
    assert.equal(((await (await get(`/upstreams/${UPSTREAM}/targets/all`)).json()) as Listed).data.length, 4);
    const first = (await (await get('/upstreams/plain/targets?size=2')).json()) as Listed;
    assert.equal(typeof first.offset, 'string');
    const sizes: number[] = [];
    const seen = new Set<string>();
    let offset: string | undefined;
    for (let i = 0; i < 3; i++) {
      const res = await get(`/upstreams/plain/targets/all?size=2${offset !== undefined ? `&offset=${encodeURIComponent(offset)}` : ''}`);
      assert.equal(res.status, 200);
      const page = (await res.json()) as Listed;
      sizes.push(page.data.length);
      for (const t of page.data) seen.add(t.id);
      offset = page.offset;
      if (offset === undefined) break;
    }
    assert.equal(seen.size, 4);
    assert.deepEqual(sizes.slice(0, 2), [2, 2]);
    assert.equal((await get('/upstreams/plain/targets/all?foo=bar')).status, 200);
    const badBody = await get('/upstreams/plain/targets/all', { headers: { 'content-type': 'application/json' }, body: 'this fails if decoded as json', method: 'GET' }).catch(() => null);
    if (badBody !== null) assert.equal(badBody.status, 200);
    const empty = await get('/upstreams/empty/targets/all');
    assert.equal(empty.status, 200);
    assert.deepEqual(await empty.json(), { data: [], next: null });
  });

  test('GET /upstreams/{u}/targets/{t} returns the target; writes are 405', async () => {
    const res = await get('/upstreams/plain/targets/127.0.0.1:80');
    assert.equal(res.status, 200);
    const target = (await res.json()) as { id: string; target: string; weight: number; upstream: { id: string } };
    assert.equal(target.id, TARGET_IDS[0]);
    assert.equal(target.weight, 10);
    assert.equal(target.upstream.id, UPSTREAM);
    assert.equal((await get('/upstreams/plain/targets/nope:80')).status, 404);
    for (const method of ['PATCH', 'PUT', 'DELETE']) {
      const write = await get('/upstreams/plain/targets/127.0.0.1:80', { method, headers: { 'content-type': 'application/json' }, body: method === 'DELETE' ? undefined : '{"weight":659}' });
      assert.equal(write.status, 405, method);
      assert.deepEqual(await write.json(), { message: 'Method not allowed' });
    }
    const post = await get('/upstreams/plain/targets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"target":"mashape.com"}' });
    assert.equal(post.status, 405);
  });

  test('setting health by hand is not served here (404), nor are other Admin API paths', async () => {
    assert.equal((await get('/upstreams/plain/targets/127.0.0.1:80/unhealthy', { method: 'POST' })).status, 404);
    assert.equal((await get('/upstreams/plain/targets/127.0.0.1:80/healthy', { method: 'PUT' })).status, 404);
    assert.equal((await get('/upstreams/plain')).status, 404);
    assert.equal((await get('/upstreams')).status, 404);
    assert.equal((await get('/services')).status, 404);
    assert.equal((await get('/nothing', { method: 'POST' })).status, 404);
    assert.equal((await get('/status', { method: 'POST' })).status, 405);
  });
});

test('an `ssl http2` status listener speaks HTTP/2 (and still HTTP/1.1)', async () => {
  const ports = { proxy: await freePort(), admin: await freePort(), status: await freePort() };
  const h2Port = await freePort();
  const node = await startTollgate({ ports, env: { TOLLGATE_STATUS_LISTEN: `127.0.0.1:${ports.status}, 127.0.0.1:${h2Port} ssl http2` } });
  try {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const session = connect(`https://127.0.0.1:${h2Port}`, { rejectUnauthorized: false });
      session.on('error', reject);
      const req = session.request({ ':path': '/status' });
      let status = 0;
      let body = '';
      req.on('response', (headers) => (status = Number(headers[':status'])));
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        session.close();
        resolve({ status, body });
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(answer.status, 200);
    const json = JSON.parse(answer.body) as { server: Record<string, unknown>; database?: unknown };
    assert.equal(typeof json.server.connections_accepted, 'number');
    assert.equal(typeof json.server.total_requests, 'number');
    assert.equal(json.database, undefined);
    const h1 = await new Promise<{ status: number; version: string }>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: h2Port, path: '/status/ready', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, version: res.httpVersion });
      });
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(h1, { status: 503, version: '1.1' });
  } finally {
    assert.equal(await node.stop(), 0);
  }
});
