/**
 * The plugin runtime on real sockets: an in-process proxy (the worker's ProxyCore on a real HTTP server) in
 * front of a real upstream, with test plugins written against the PDK. The same phases run through
 * `bin/tollgate` in test/plugin-platform.test.ts; here each phase's edge cases are cheap to reach.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadDeclarative } from '../declarative/index.ts';
import type { LogRecord, PluginHandler } from '../pdk/index.ts';
import type { PluginDefinitionForSchema } from '../schema/index.ts';
import { startInProcessProxy, type InProcessProxy } from '../../test/support/in-process-proxy.ts';

const logs: string[] = [];
const records: LogRecord[] = [];

const never = (): Promise<void> => new Promise(() => {});
const later = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await later(10);
  }
}

/** Test plugins, one concern each. */
const HANDLERS: PluginHandler[] = [
  {
    name: 't-exit',
    priority: 3000,
    access(kong) {
      if (kong.request.getHeader('x-exit') !== undefined) kong.response.exit(418, { teapot: true }, { 'X-From': 'exit' });
    },
  },
  {
    name: 't-async',
    priority: 2000,
    async access(kong) {
      await later(5);
      kong.service.request.setHeader('X-Async', 'done');
      kong.response.setHeader('X-Set-In-Access', 'yes');
    },
  },
  {
    name: 't-throw',
    priority: 1900,
    access(kong) {
      if (kong.request.getHeader('x-throw') === 'sync') throw new Error('boom');
      if (kong.request.getHeader('x-throw') === 'async') return Promise.reject(new Error('async boom'));
      if (kong.request.getHeader('x-throw') === 'hang') return never();
    },
  },
  {
    name: 't-limit',
    priority: 1850,
    access(kong) {
      const limit = kong.request.getHeader('x-limit');
      if (limit !== undefined) kong.request.limitBodySize(Number(limit), 413, 'Too big for t-limit');
    },
  },
  {
    name: 't-body',
    priority: 1800,
    async access(kong) {
      const body = await kong.request.getRawBody();
      kong.service.request.setRawBody(body.toUpperCase());
    },
  },
  {
    name: 't-auth',
    priority: 1250,
    access(kong) {
      const who = kong.request.getHeader('x-who');
      if (who !== undefined) kong.client.authenticate(kong.client.loadConsumer(who, true), null);
    },
  },
  {
    name: 't-tag',
    priority: 800,
    access(kong, conf) {
      kong.service.request.setHeader('X-Tag', String((conf as { tag?: string }).tag ?? 'none'));
    },
  },
  {
    name: 't-wrap',
    priority: 700,
    response(kong) {
      kong.response.setRawBody(`[${kong.service.response.getRawBody()}]`);
      kong.response.setHeader('X-Upstream-Status', String(kong.service.response.getStatus()));
    },
  },
  {
    name: 't-replace',
    priority: 650,
    response(kong) {
      kong.response.exit(202, `replaced ${kong.service.response.getHeader('content-type')}`, { 'X-Replaced': '1' });
    },
  },
  {
    name: 't-upper',
    priority: 600,
    header_filter(kong) {
      kong.response.setHeader('X-Filtered', kong.response.getSource());
    },
    body_filter(kong) {
      kong.response.setChunk(kong.response.getChunk().toString('latin1').toUpperCase());
    },
  },
  {
    name: 't-stream',
    priority: 2900,
    access(kong) {
      const mode = kong.request.getHeader('x-stream') ?? 'ok';
      async function* chunks(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('one');
        await later(5);
        if (mode === 'fail') throw new Error('source failed');
        if (mode === 'stall') await never();
        yield Buffer.from('two');
        yield Buffer.from('three');
      }
      kong.response.exitStream(200, chunks(), { 'Content-Type': 'text/plain', 'Content-Length': '11' });
    },
  },
  {
    name: 't-log',
    priority: 5,
    log(kong) {
      records.push(kong.log.serialize());
      // A call the log phase forbids is refused, not ignored.
      kong.service.request.setHeader('X-Too-Late', '1');
    },
  },
];

const SCHEMAS = new Map<string, PluginDefinitionForSchema>(
  HANDLERS.map((h) => [h.name, { name: h.name, config: { type: 'record', fields: { tag: { type: 'string' } } } }]),
);

let upstream: Server;
let proxy: InProcessProxy;
let proxyPort: number;

function yaml(upstreamPort: number): string {
  return `
_format_version: "3.0"
consumers:
  - username: ann
  - username: bob
services:
  - name: s
    url: http://127.0.0.1:${upstreamPort}
    read_timeout: 300
    routes:
      - { name: exit, paths: [/exit], plugins: [{ name: t-exit }, { name: t-upper }, { name: t-log }] }
      - { name: async, paths: [/async], plugins: [{ name: t-async }] }
      - { name: throw, paths: [/throw], plugins: [{ name: t-throw }, { name: t-log }] }
      - { name: body, paths: [/body], plugins: [{ name: t-body }, { name: t-limit }] }
      - { name: wrap, paths: [/wrap], plugins: [{ name: t-wrap }] }
      - { name: upper, paths: [/upper], plugins: [{ name: t-upper }] }
      - { name: replace, paths: [/replace], plugins: [{ name: t-replace }, { name: t-async }] }
      - { name: stream, paths: [/stream], plugins: [{ name: t-stream }, { name: t-log }] }
      - { name: stream-upper, paths: [/stream-upper], plugins: [{ name: t-stream }, { name: t-upper }] }
      - name: scoped
        paths: [/scoped]
        plugins: [{ name: t-auth }, { name: t-tag, config: { tag: route } }]
plugins:
  - { name: t-tag, consumer: ann, config: { tag: ann } }
`;
}

function get(path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort, path, method: body === undefined ? 'GET' : 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

before(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.headers['x-forwarded-prefix'] === '/upper') {
        // Streamed in several chunks, so the filter sees more than one.
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '9' });
        res.write('abc');
        setTimeout(() => res.end('defghi'), 10);
        return;
      }
      const text = JSON.stringify({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const loaded = loadDeclarative(yaml((upstream.address() as AddressInfo).port), { plugins: SCHEMAS });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  proxy = await startInProcessProxy(loaded.config, HANDLERS, { log: (m) => logs.push(m) });
  proxyPort = proxy.port;
});

after(() => {
  proxy.close();
  upstream.closeAllConnections();
  upstream.close();
});

describe('plugin phases on a real proxy', () => {
  test('an answer from access goes through header_filter, body_filter and log; later access handlers are skipped', async () => {
    const res = await get('/exit', { 'x-exit': '1', authorization: 'Bearer secret' });
    assert.equal(res.status, 418);
    assert.equal(res.headers['x-from'], 'exit');
    assert.equal(res.headers['x-filtered'], 'exit');
    assert.equal(res.body, '{"TEAPOT":TRUE}');
    await later(10);
    const record = records.at(-1)!;
    assert.equal(record.response.status, 418);
    assert.equal(record.request.headers.authorization, 'REDACTED');
    assert.equal((record.route as { name: string }).name, 'exit');
    assert.equal(record.source, 'exit');
    assert.ok(logs.some((l) => l.includes("kong.service.request.set_header cannot be called in the log phase")), 'a forbidden call is reported');
  });

  test('an async access handler is awaited; its upstream and response headers apply', async () => {
    const res = await get('/async');
    assert.equal(res.status, 201);
    assert.equal(JSON.parse(res.body).headers['x-async'], 'done');
    assert.equal(res.headers['x-set-in-access'], 'yes');
  });

  test("a throwing, rejecting or hanging handler answers Kong's 500 and logs plugin, route and request id", async () => {
    for (const mode of ['sync', 'async', 'hang']) {
      const res = await get('/throw', { 'x-throw': mode });
      assert.equal(res.status, 500, mode);
      assert.equal(JSON.parse(res.body).message, 'An unexpected error occurred');
      const id = res.headers['x-tollgate-request-id'] as string;
      assert.ok(logs.some((l) => l.includes("plugin 't-throw'") && l.includes('in access on route') && l.includes(id)), mode);
    }
    await later(10);
    assert.equal(records.at(-1)!.source, 'error');
    const fine = await get('/throw');
    assert.equal(fine.status, 201, 'the next request is served');
  });

  test('a plugin reads the request body and replaces it; Content-Length follows', async () => {
    const res = await get('/body', { 'content-type': 'text/plain' }, 'hello body');
    const seen = JSON.parse(res.body);
    assert.equal(seen.body, 'HELLO BODY');
    assert.equal(seen.headers['content-length'], '10');
    const big = await get('/body', { 'content-type': 'text/plain' }, 'x'.repeat(2000));
    assert.equal(big.status, 500, 'past the body limit the plugin fails');
    const limited = await get('/body', { 'content-type': 'text/plain', 'x-limit': '5' }, 'hello body');
    assert.equal(limited.status, 413, 'past a plugin\'s bound (kong.request.limitBodySize) the read gets that bound\'s answer');
    assert.equal(JSON.parse(limited.body).message, 'Too big for t-limit');
    assert.equal((await get('/body', { 'content-type': 'text/plain', 'x-limit': '10' }, 'hello body')).status, 201);
  });

  test('the response phase sees the whole upstream body and replaces it', async () => {
    const res = await get('/wrap');
    assert.equal(res.status, 201);
    assert.equal(res.headers['x-upstream-status'], '201');
    assert.ok(res.body.startsWith('[{') && res.body.endsWith('}]'));
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(res.body)));
  });

  test("kong.response.exit in the response phase replaces the upstream's answer and keeps its headers", async () => {
    const res = await get('/replace');
    assert.equal(res.status, 202);
    assert.equal(res.body, 'replaced application/json');
    assert.equal(res.headers['x-replaced'], '1');
    assert.equal(res.headers['content-type'], 'application/json', "the upstream's header stays");
    assert.equal(res.headers['x-set-in-access'], 'yes', 'set once, not twice');
    assert.equal(res.headers['content-length'], String(res.body.length));
  });

  test('body_filter runs per streamed chunk; the response is sent chunked', async () => {
    const res = await get('/upper');
    assert.equal(res.body, 'ABCDEFGHI');
    assert.equal(res.headers['content-length'], undefined);
    assert.equal(res.headers['x-filtered'], 'service');
  });

  test('kong.response.exitStream sends the chunks as they come, through body_filter, then runs log', async () => {
    const before = records.length;
    const res = await get('/stream');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'onetwothree');
    assert.equal(res.headers['content-length'], '11', 'the length the plugin gave stays');
    await waitFor(() => records.length > before);
    assert.equal(records.at(-1)!.source, 'exit');
    const upper = await get('/stream-upper');
    assert.equal(upper.body, 'ONETWOTHREE');
    assert.equal(upper.headers['content-length'], undefined, 'a body filter makes it chunked');
  });

  test('a failing stream cuts the response; a client that leaves mid-stream ends it; log runs for both', async () => {
    for (const mode of ['fail', 'stall']) {
      const before = records.length;
      const outcome = await new Promise<string>((resolve) => {
        const req = request({ host: '127.0.0.1', port: proxyPort, path: '/stream', headers: { 'x-stream': mode } }, (res) => {
          let got = '';
          res.on('data', (c: Buffer) => {
            got += c.toString();
            // The stalled source never sends more: leave after the first chunk.
            if (mode === 'stall') req.destroy();
          });
          res.on('end', () => resolve(`ended:${got}`));
          res.on('error', () => resolve(`cut:${got}`));
          res.on('aborted', () => resolve(`cut:${got}`));
        });
        req.on('error', () => resolve('cut'));
        req.end();
      });
      assert.match(outcome, /^cut/, mode);
      await waitFor(() => records.length > before);
    }
  });

  test("once an auth plugin identifies a consumer, that consumer's plugin configuration runs", async () => {
    assert.equal(JSON.parse((await get('/scoped')).body).headers['x-tag'], 'route');
    assert.equal(JSON.parse((await get('/scoped', { 'x-who': 'ann' })).body).headers['x-tag'], 'ann');
    assert.equal(JSON.parse((await get('/scoped', { 'x-who': 'bob' })).body).headers['x-tag'], 'route');
  });
});

