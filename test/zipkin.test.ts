/**
 * The zipkin plugin through a real node and a real upstream, reporting to a Zipkin collector stand-in (an
 * HTTP server taking v2 JSON spans): the request, proxy and balancer-try spans, their links and tags, a
 * trace continued from b3 headers, the headers the upstream sees, sampling, retries after a 500.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';

const WAIT_MS = 60_000;

interface JsonSpan {
  traceId: string;
  name: string;
  parentId?: string;
  id: string;
  kind: string;
  timestamp: number;
  duration: number;
  localEndpoint: { serviceName: string };
  remoteEndpoint: { serviceName?: string; port?: number; ipv4?: string; ipv6?: string } | null;
  tags?: Record<string, string>;
  annotations?: { value: string; timestamp: number }[];
}

interface Collector {
  server: Server;
  url: string;
  spans: JsonSpan[];
  posts: { status: number; contentType: string }[];
  failNext(n: number): void;
  close(): Promise<void>;
}

async function startCollector(): Promise<Collector> {
  const spans: JsonSpan[] = [];
  const posts: Collector['posts'] = [];
  let failures = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const status = failures > 0 ? 500 : 202;
      if (failures > 0) failures--;
      posts.push({ status, contentType: req.headers['content-type'] ?? '' });
      if (status === 202) spans.push(...(JSON.parse(body) as JsonSpan[]));
      res.writeHead(status);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/spans`;
  return {
    server,
    url,
    spans,
    posts,
    failNext: (n) => (failures = n),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

const echoOf = (text: string) => JSON.parse(text) as Echo;
const header = (echo: Echo, name: string) => echo.headers[name] as string | undefined;
const QUEUE = '{ max_batch_size: 10, max_coalescing_delay: 0.05, initial_retry_delay: 0.05, max_retry_delay: 0.2 }';

describe('zipkin', () => {
  let up: TestUpstream;
  let collector: Collector;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('zipkin-up');
    collector = await startCollector();
    node = await startTollgate({
      config: `_format_version: "3.0"
services:
  - name: zsvc
    url: http://127.0.0.1:${up.port}
    routes:
      - name: zroute
        paths: [/z]
        plugins:
          - name: zipkin
            config:
              http_endpoint: ${collector.url}
              sample_ratio: 1
              static_tags: [{ name: team, value: edge }]
              http_span_name: method_path
              http_response_header_for_traceid: x-trace
              queue: ${QUEUE}
      - name: rare
        paths: [/rare]
        plugins:
          - name: zipkin
            config: { http_endpoint: ${collector.url}, sample_ratio: 0, traceid_byte_count: 8, phase_duration_flavor: tags, queue: ${QUEUE} }
`,
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await collector?.close();
  });

  const spansOf = (traceId: string) => collector.spans.filter((s) => s.traceId === traceId);

  test('a trace continued from b3 headers: request, proxy and balancer spans with their tags, headers upstream', async () => {
    const traceId = '463ac35c9f6413ad48485a3953bb6124';
    const incomingSpan = 'a2fb4a1d1a96d312';
    const res = await get(`${node.proxy}/z/path`, {
      'x-b3-traceid': traceId,
      'x-b3-spanid': incomingSpan,
      'x-b3-sampled': '1',
      'zipkin-tags': 'foo=bar; baz = qux',
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-trace'], traceId);
    const echo = echoOf(res.text);
    assert.equal(header(echo, 'x-b3-traceid'), traceId);
    assert.equal(header(echo, 'x-b3-sampled'), '1');
    const proxyId = header(echo, 'x-b3-spanid')!;
    assert.equal(header(echo, 'x-b3-parentspanid'), incomingSpan, 'b3 shares the incoming span: the proxy span is its child');

    await waitUntil(() => spansOf(traceId).length >= 3, WAIT_MS, 'the spans at the collector');
    const spans = spansOf(traceId);
    const server = spans.find((s) => s.kind === 'SERVER')!;
    const proxy = spans.find((s) => s.name.endsWith('(proxy)'))!;
    const tryOne = spans.find((s) => s.name.endsWith('(balancer try 1)'))!;
    assert.equal(server.name, 'GET /z/path');
    assert.equal(server.id, incomingSpan);
    assert.equal(server.parentId, undefined);
    assert.equal(proxy.id, proxyId);
    assert.equal(proxy.parentId, server.id);
    assert.equal(proxy.kind, 'CLIENT');
    assert.equal(tryOne.parentId, server.id);
    assert.equal(tryOne.remoteEndpoint?.ipv4, '127.0.0.1');
    assert.equal(tryOne.remoteEndpoint?.port, up.port);
    assert.equal(tryOne.tags?.['kong.balancer.try'], '1');
    assert.equal(server.localEndpoint.serviceName, 'kong');
    assert.equal(server.remoteEndpoint?.ipv4, '127.0.0.1');
    const tags = server.tags!;
    assert.equal(tags.lc, 'kong');
    assert.equal(tags['http.method'], 'GET');
    assert.equal(tags['http.path'], '/z/path');
    assert.equal(tags['http.status_code'], '200');
    assert.equal(tags['http.protocol'], 'HTTP/1.1');
    assert.equal(tags.team, 'edge');
    assert.equal(tags.foo, 'bar');
    assert.equal(tags.baz, 'qux');
    assert.equal(typeof tags['kong.node.id'], 'string');
    assert.equal(proxy.tags?.['kong.service_name'], 'zsvc');
    assert.equal(proxy.tags?.['kong.route_name'], 'zroute');
    assert.equal(proxy.remoteEndpoint?.serviceName, 'zsvc');
    assert.deepEqual((proxy.annotations ?? []).map((a) => a.value).sort(), ['kaf', 'kas', 'kbf', 'khf', 'khs']);
    assert.deepEqual((server.annotations ?? []).map((a) => a.value), ['krs']);
    for (const s of spans) {
      assert.ok(Number.isInteger(s.timestamp) && s.timestamp > 1e15, 'timestamps in microseconds');
      assert.ok(s.duration >= 0);
    }
    assert.equal(collector.posts[0].contentType, 'application/json');
  });

  test('sample_ratio 0: the upstream is told 0 and nothing is reported; an incoming sampled flag wins', async () => {
    const res = await get(`${node.proxy}/rare/a`);
    const echo = echoOf(res.text);
    assert.equal(header(echo, 'x-b3-sampled'), '0');
    const unsampled = header(echo, 'x-b3-traceid')!;
    assert.match(unsampled, /^[0-9a-f]{16}$/, 'traceid_byte_count 8');
    const sampled = '00000000000000000000000000000abc';
    await get(`${node.proxy}/rare/b`, { 'x-b3-traceid': sampled, 'x-b3-spanid': '0000000000000abc', 'x-b3-sampled': '1' });
    // One queue, in order: once the later trace arrived the earlier would have too.
    await waitUntil(() => spansOf(sampled).length >= 3, WAIT_MS, 'the sampled trace');
    assert.equal(spansOf(unsampled).length, 0);
    const proxy = spansOf(sampled).find((s) => s.name.endsWith('(proxy)'))!;
    assert.ok(proxy.tags?.['kong.access.duration_ms'] !== undefined, 'phase durations as tags');
    assert.equal(proxy.annotations, undefined);
  });

  test('a batch the collector refuses is sent again', async () => {
    collector.failNext(1);
    const before = collector.posts.length;
    const res = await get(`${node.proxy}/z/retry`);
    const traceId = header(echoOf(res.text), 'x-b3-traceid')!;
    await waitUntil(() => spansOf(traceId).length >= 3, WAIT_MS, 'the retried batch');
    assert.equal(collector.posts[before].status, 500);
  });
});
