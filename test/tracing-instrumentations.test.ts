/**
 * The spans Kong records for work a request does off the proxy path, through a real PostgreSQL node, a real
 * upstream and the OTLP receiver the opentelemetry tests use: `http_client` (`kong.internal.request` for a
 * plugin's outgoing call), `dns_query` (`kong.dns` for resolver lookups) and `db_query`
 * (`kong.database.query` for rate-limiting's cluster counters and oauth2's `kong.db` lookups); and none of them
 * when not instrumented.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { ROOT, runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';
import { freePort } from './helpers/ports.ts';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.ts';

const WAIT_MS = 60_000;
const FAST_QUEUE = { max_coalescing_delay: 0.05, initial_retry_delay: 0.05, max_retry_delay: 0.2 };
const PLUGIN_ENV = { TOLLGATE_PLUGINS: 'bundled,outbound-call', TOLLGATE_PLUGIN_PATHS: join(ROOT, 'test', 'fixtures', 'tracing-plugins') };

async function call(url: string, method = 'GET', body?: unknown) {
  const res = await request(url, { method: method as 'GET', headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

async function admin(node: TollgateNode, path: string, body: unknown): Promise<void> {
  const res = await call(`${node.admin}${path}`, 'POST', body);
  assert.equal(res.status, 201, `${path}: ${res.text}`);
}

/** The trace id the upstream was told (traceparent), once the receiver has the request's root span. */
async function traced(node: TollgateNode, receiver: OtlpReceiver, path: string): Promise<{ echo: Echo; spans: ReceivedSpan[] }> {
  const res = await call(`${node.proxy}${path}`);
  assert.equal(res.status, 200, res.text);
  const echo = JSON.parse(res.text) as Echo;
  const traceId = String(echo.headers.traceparent).split('-')[1];
  await waitUntil(() => receiver.spans.some((s) => s.traceId === traceId && s.name === 'kong'), WAIT_MS, `the trace of ${path}`);
  return { echo, spans: receiver.spans.filter((s) => s.traceId === traceId) };
}

async function startSide(): Promise<{ server: Server; port: number; paths: string[] }> {
  const paths: string[] = [];
  // Connection: close, so that every call a plugin makes opens a connection (and looks the name up).
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    req.resume().on('end', () => res.writeHead(200, { connection: 'close' }).end('{"keys":[]}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, paths };
}

async function configure(node: TollgateNode, up: TestUpstream, receiver: OtlpReceiver, sidePort: number, refusedPort: number): Promise<void> {
  const otel = { name: 'opentelemetry', config: { traces_endpoint: `${receiver.url}/v1/traces`, queue: FAST_QUEUE } };
  // `localhost`: the connection to the upstream needs a resolver lookup.
  await admin(node, '/services', { name: 'svc', url: `http://localhost:${up.port}` });
  await admin(node, '/services/svc/routes', { name: 'outbound', paths: ['/outbound'] });
  await admin(node, '/routes/outbound/plugins', otel);
  await admin(node, '/routes/outbound/plugins', { name: 'outbound-call', config: { url: `http://localhost:${sidePort}/jwks` } });
  // Its deliveries leave from the log phase, after the request's spans ended: never spans of the request.
  await admin(node, '/routes/outbound/plugins', { name: 'http-log', config: { http_endpoint: `http://localhost:${sidePort}/log`, queue: { max_coalescing_delay: 0 } } });
  await admin(node, '/services/svc/routes', { name: 'refused', paths: ['/refused'] });
  await admin(node, '/routes/refused/plugins', otel);
  await admin(node, '/routes/refused/plugins', { name: 'outbound-call', config: { url: `http://127.0.0.1:${refusedPort}/` } });
  await admin(node, '/services/svc/routes', { name: 'counted', paths: ['/counted'] });
  await admin(node, '/routes/counted/plugins', otel);
  await admin(node, '/routes/counted/plugins', { name: 'rate-limiting', config: { minute: 1000, policy: 'cluster' } });
  await admin(node, '/services/svc/routes', { name: 'oauth', paths: ['/oauth'] });
  // Global, so that its spans are exported for a request oauth2 refuses in access, before a route's plugin runs.
  await admin(node, '/plugins', otel);
  await admin(node, '/routes/oauth/plugins', { name: 'oauth2', config: { enable_client_credentials: true } });
  await waitUntil(async () => (await call(`${node.proxy}/counted`)).headers['x-ratelimit-limit-minute'] === '1000', 20_000, 'the configuration on the proxy');
  await waitUntil(async () => (await call(`${node.proxy}/outbound`)).status === 200, 20_000, 'the outbound route');
}

describe('tracing_instrumentations: http_client, dns_query, db_query', () => {
  let db: TestDatabase;
  let up: TestUpstream;
  let receiver: OtlpReceiver;
  let side: { server: Server; port: number; paths: string[] };
  let node: TollgateNode;
  let bare: TollgateNode;
  before(async () => {
    db = await createTestDatabase();
    up = await startUpstream('instr-up');
    receiver = await startOtlpReceiver();
    side = await startSide();
    const boot = await runTollgate(['migrations', 'bootstrap'], db.env);
    assert.equal(boot.code, 0, boot.stderr);
    node = await startTollgate({
      // No pooled upstream connections: every request opens one, so every request makes its lookup.
      env: { ...db.env, ...PLUGIN_ENV, TOLLGATE_TRACING_INSTRUMENTATIONS: 'http_client,dns_query,db_query', TOLLGATE_TRACING_SAMPLING_RATE: '1', TOLLGATE_UPSTREAM_KEEPALIVE_POOL_SIZE: '0' },
    });
    await configure(node, up, receiver, side.port, await freePort());
    // Same database and configuration; only `request`-level spans.
    bare = await startTollgate({ env: { ...db.env, ...PLUGIN_ENV, TOLLGATE_TRACING_INSTRUMENTATIONS: 'router', TOLLGATE_TRACING_SAMPLING_RATE: '1' } });
  });
  after(async () => {
    await Promise.all([node?.stop(), bare?.stop()]);
    await up?.close();
    await receiver?.close();
    await new Promise((resolve) => side?.server.close(resolve));
    await db?.drop();
  });

  test("a plugin's outgoing HTTP call is a kong.internal.request client span with Kong's attributes", async () => {
    const { echo, spans } = await traced(node, receiver, '/outbound/1');
    assert.equal(echo.headers['x-outbound-status'], '200');
    const root = spans.find((s) => s.name === 'kong')!;
    await waitUntil(() => side.paths.includes('/log'), WAIT_MS, "http-log's delivery");
    const calls = receiver.spans.filter((s) => s.traceId === spans[0].traceId && s.name === 'kong.internal.request');
    assert.equal(calls.length, 1, `one call, not http-log's delivery (spans: ${spans.map((s) => s.name).join(', ')})`);
    const [span] = calls;
    assert.equal(span.kind, 3);
    assert.equal(span.parentSpanId, root.spanId);
    assert.deepEqual(
      { url: span.attributes['http.url'], method: span.attributes['http.method'], flavor: span.attributes['http.flavor'], agent: span.attributes['http.user_agent'], status: span.attributes['http.status_code'] },
      { url: `http://localhost:${side.port}/jwks`, method: 'GET', flavor: '1.1', agent: 'outbound-fixture/1', status: 200 },
    );
    assert.ok(span.startNs >= root.startNs && span.endNs <= root.endNs, 'inside the request');
  });

  test('a call that fails records the error on its span', async () => {
    const { echo, spans } = await traced(node, receiver, '/refused/1');
    assert.equal(echo.headers['x-outbound-status'], 'failed');
    const span = spans.find((s) => s.name === 'kong.internal.request');
    assert.ok(span !== undefined, `spans: ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(span.attributes['http.status_code'], undefined);
    assert.equal(span.endNs >= span.startNs, true);
  });

  test('resolver lookups are kong.dns client spans: the upstream connection and the plugin call', async () => {
    const { spans } = await traced(node, receiver, '/outbound/dns');
    const root = spans.find((s) => s.name === 'kong')!;
    const all = spans.filter((s) => s.name === 'kong.dns');
    assert.ok(all.length >= 1, `no kong.dns span (this trace: ${spans.map((s) => s.name).join(', ')})`);
    for (const span of all) {
      assert.equal(span.parentSpanId, root.spanId);
      assert.equal(span.kind, 3);
      assert.equal(span.attributes['dns.record.domain'], 'localhost');
      assert.match(String(span.attributes['dns.record.ip']), /^(127\.0\.0\.1|::1)$/);
    }
    const ports = new Set(all.map((s) => s.attributes['dns.record.port']));
    assert.ok(ports.has(side.port), `the plugin's call was looked up (ports ${[...ports].join(', ')})`);
    assert.ok(ports.has(up.port), `the upstream connection was looked up (ports ${[...ports].join(', ')})`);
  });

  test("rate-limiting's cluster counters are kong.database.query spans with the statement", async () => {
    const { spans } = await traced(node, receiver, '/counted/1');
    const root = spans.find((s) => s.name === 'kong')!;
    const queries = spans.filter((s) => s.name === 'kong.database.query');
    assert.ok(queries.length >= 1, `spans: ${spans.map((s) => s.name).join(', ')}`);
    const insert = queries.find((q) => /INSERT INTO "ratelimiting_metrics"/.test(String(q.attributes['db.statement'])));
    assert.ok(insert !== undefined, queries.map((q) => q.attributes['db.statement']).join(' | '));
    assert.equal(insert.attributes['db.system'], 'postgres');
    assert.equal(insert.parentSpanId, root.spanId);
    assert.doesNotMatch(String(insert.attributes['db.statement']), /counted|127\.0\.0\.1/, 'values stay out of the statement');
  });

  test("oauth2's kong.db lookups are kong.database.query spans naming the DAO call", async () => {
    // oauth2 refuses the request in access, before opentelemetry could read a traceparent: the trace is found by
    // its root span's URL.
    const res = await request(`${node.proxy}/oauth/refused`, { headers: { authorization: 'Bearer no-such-token' } });
    await res.body.text();
    assert.equal(res.statusCode, 401);
    const isRoot = (s: ReceivedSpan) => s.name === 'kong' && s.attributes['http.url'] === 'http://127.0.0.1/oauth/refused';
    await waitUntil(() => receiver.spans.some(isRoot), WAIT_MS, 'the trace of the refused request');
    const root = receiver.spans.find(isRoot)!;
    const spans = receiver.spans.filter((s) => s.traceId === root.traceId);
    const lookup = spans.find((s) => s.name === 'kong.database.query');
    assert.ok(lookup !== undefined, `spans: ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(lookup.attributes['db.statement'], 'select_by_access_token oauth2_tokens');
    assert.equal(lookup.attributes['db.system'], 'postgres');
    assert.equal(lookup.parentSpanId, root.spanId);
  });

  test('without those instrumentations the same requests record none of these spans', async () => {
    assert.doesNotMatch(bare.output(), /uncaught|TypeError/i, bare.output().slice(-2000));
    await waitUntil(async () => (await call(`${bare.proxy}/counted`)).headers['x-ratelimit-limit-minute'] === '1000', 20_000, 'the configuration on the second node');
    for (const path of ['/outbound/bare', '/counted/bare']) {
      const { spans } = await traced(bare, receiver, path);
      assert.ok(spans.some((s) => s.name === 'kong.router'));
      assert.deepEqual(spans.filter((s) => ['kong.internal.request', 'kong.dns', 'kong.database.query'].includes(s.name)).map((s) => s.name), []);
    }
  });
});
