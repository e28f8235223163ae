/**
 * The proxy's tracing hooks on an in-process proxy (the worker's ProxyCore on a real HTTP server): with
 * tracing off a request carries no trace; with it on, the root span with Kong's request attributes, the
 * router, balancer and plugin-phase spans, ended with the status the client got.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadDeclarative, type FlatConfig } from '../declarative/index.ts';
import type { PluginHandler } from '../pdk/index.ts';
import type { PluginDefinitionForSchema } from '../schema/index.ts';
import type { RequestTrace } from '../tracing/trace.ts';
import { instrumentationMask } from '../tracing/instrumentations.ts';
import { startInProcessProxy, type InProcessProxy } from '../../test/support/in-process-proxy.ts';

const traces: (RequestTrace | null)[] = [];
const HANDLERS: PluginHandler[] = [
  {
    name: 't-trace',
    priority: 5,
    access: () => {},
    header_filter: () => {},
    log: (kong) => {
      kong.tracing.processSpan(() => {});
      traces.push(kong.tracing.trace);
    },
  },
];
const SCHEMAS = new Map<string, PluginDefinitionForSchema>([['t-trace', { name: 't-trace', config: { type: 'record', fields: {} } }]]);

let upstream: Server;
let config: FlatConfig;

before(async () => {
  upstream = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const loaded = loadDeclarative(
    `_format_version: "3.0"
services:
  - name: s
    url: http://127.0.0.1:${(upstream.address() as AddressInfo).port}
    routes: [{ name: r, paths: [/t], plugins: [{ name: t-trace }] }]
`,
    { plugins: SCHEMAS },
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  config = loaded.config;
});

after(() => {
  upstream.closeAllConnections();
  upstream.close();
});

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: 'example.test:8000' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function lastTrace(proxy: InProcessProxy, path: string): Promise<RequestTrace | null> {
  const before = traces.length;
  assert.equal(await get(proxy.port, path), 200);
  const deadline = Date.now() + 30_000;
  while (traces.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return traces[traces.length - 1];
}

describe('tracing off', () => {
  let proxy: InProcessProxy;
  before(async () => (proxy = await startInProcessProxy(config, HANDLERS)));
  after(() => proxy.close());

  test('a request carries no trace', async () => {
    assert.equal(await lastTrace(proxy, '/t/x'), null);
  });
});

describe('tracing_instrumentations = all', () => {
  let proxy: InProcessProxy;
  before(async () => (proxy = await startInProcessProxy(config, HANDLERS, { tracing: { mask: instrumentationMask(['all']), samplingRate: 1 } })));
  after(() => proxy.close());

  test("the root span with Kong's attributes, and the router, balancer and plugin spans under it", async () => {
    const trace = (await lastTrace(proxy, '/t/x?a=1'))!;
    assert.ok(trace !== null);
    const root = trace.root;
    assert.equal(root.name, 'kong');
    assert.deepEqual(
      { ...root.attributes },
      {
        'http.method': 'GET',
        'http.url': 'http://example.test/t/x?a=1',
        'http.host': 'example.test',
        'http.scheme': 'http',
        'http.flavor': '1.1',
        'http.client_ip': '127.0.0.1',
        'net.peer.ip': '127.0.0.1',
        'kong.request.id': root.attributes['kong.request.id'],
        'http.status_code': 200,
        'http.route': '/t',
      },
    );
    assert.deepEqual(trace.spans.map((s) => s.name).sort(), ['kong', 'kong.access.plugin.t-trace', 'kong.balancer', 'kong.header_filter.plugin.t-trace', 'kong.router']);
    for (const span of trace.spans) {
      if (span !== root) assert.deepEqual(span.parentId, root.spanId, span.name);
      assert.ok(span.endMs >= span.startMs, span.name);
      assert.equal(span.shouldSample, true);
    }
    assert.ok(root.startMs <= trace.spans.find((s) => s.name === 'kong.router')!.startMs);
  });
});

describe('tracing_instrumentations = router', () => {
  let proxy: InProcessProxy;
  before(async () => (proxy = await startInProcessProxy(config, HANDLERS, { tracing: { mask: instrumentationMask(['router']), samplingRate: 0 } })));
  after(() => proxy.close());

  test('only the instrumentations asked for; the node rate samples', async () => {
    const trace = (await lastTrace(proxy, '/t/y'))!;
    assert.deepEqual(trace.spans.map((s) => s.name), ['kong', 'kong.router']);
    assert.equal(trace.shouldSample, false);
  });
});
