import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { PluginContext, type NodeServices, type PdkEnvironment } from '../../pdk/index.ts';
import { configData } from '../../../test/support/plugin-context.ts';
import { LocalMetricsRegistry } from '../../shared-state/metrics-registry.ts';
import { MetricsStore } from '../../shared-state/metrics-store.ts';
import { prometheusHandler, type PrometheusConf } from './handler.ts';
import { KONG_LATENCY_BUCKETS, UPSTREAM_LATENCY_BUCKETS } from './catalogue.ts';
import type { PrometheusConfig } from './schema.ts';

const DATA = configData();
const ENV: PdkEnvironment = { services: null, nodeId: 'n', hostname: 'h', isTrusted: () => false, log: () => {}, maxBodyBytes: 1024 };

const SERVICE = { id: 's1', name: 'orders', host: 'orders.internal' };
const ROUTE = { id: 'r1', name: 'orders-route' };
const UNNAMED_SERVICE = { id: 's2', name: null, host: 'billing.internal' };
const UNNAMED_ROUTE = { id: 'r2', name: null };

function conf(flags: Partial<PrometheusConfig>): PrometheusConf {
  return prometheusHandler.prepare!(
    { per_consumer: false, status_code_metrics: false, ai_metrics: false, latency_metrics: false, bandwidth_metrics: false, upstream_health_metrics: false, wasm_metrics: false, ...flags },
    DATA,
  );
}
const ALL = { status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true, upstream_health_metrics: true };

interface Req {
  route?: Record<string, unknown> | null;
  service?: Record<string, unknown> | null;
  status?: number;
  source?: 'service' | 'exit' | 'error';
  consumer?: string;
  /** ms: time to upstream dispatch, upstream wait, body receive; null: never proxied. */
  timing?: [number, number, number] | null;
  body?: string;
  sent?: number;
}

function context(r: Req): PluginContext {
  const body = r.body ?? '';
  const rawHeaders = ['Host', 'example.test', 'Content-Length', String(Buffer.byteLength(body))];
  const headers = { host: 'example.test', 'content-length': String(Buffer.byteLength(body)) };
  const req = Object.assign(Readable.from([]), { url: '/orders', method: 'POST', rawHeaders, headers, socket: {} }) as unknown as IncomingMessage;
  const start = 1000;
  const ctx = new PluginContext(req, 'rid', ['host', ''], '/orders', ENV, DATA, start, '127.0.0.1');
  ctx.routed = r.route === null ? null : { route: r.route ?? ROUTE, service: r.service === undefined ? SERVICE : r.service, uriCaptures: null };
  ctx.downstream = { status: r.status ?? 200, headers: ['Content-Type', 'text/plain'], source: r.source ?? 'service', size: r.sent ?? 100 };
  if (r.consumer !== undefined) ctx.consumer = { id: 'c1', username: r.consumer, custom_id: null };
  const timing = r.timing === undefined ? [3, 40, 2] : r.timing;
  if (timing === null) {
    ctx.endedAt = start + 4;
  } else {
    ctx.upstreamDispatchedAt = start + timing[0];
    ctx.upstreamHeadersAt = ctx.upstreamDispatchedAt + timing[1];
    ctx.endedAt = ctx.upstreamHeadersAt + timing[2];
  }
  return ctx;
}

/** A worker: its registry, with the plugin's families defined as init_worker does. */
function worker(): LocalMetricsRegistry {
  const registry = new LocalMetricsRegistry();
  void prometheusHandler.init_worker!({ metrics: registry } as unknown as NodeServices);
  return registry;
}

function scrape(...workers: LocalMetricsRegistry[]): string {
  const store = new MetricsStore();
  workers.forEach((w, i) => {
    const push = w.take();
    if (push !== null) store.apply(i + 1, push);
  });
  return store.render();
}

function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('prometheus: the log phase records what the flags ask, with Kong\'s labels', () => {
  test('status codes: service name / route name, source service or kong, empty consumer without per_consumer', () => {
    const w = worker();
    const c = conf({ status_code_metrics: true });
    prometheusHandler.log!(context({}), c);
    prometheusHandler.log!(context({}), c);
    prometheusHandler.log!(context({ status: 401, source: 'exit', consumer: 'ann' }), c);
    prometheusHandler.log!(context({ route: UNNAMED_ROUTE, service: UNNAMED_SERVICE, status: 502, source: 'error' }), c);
    const text = scrape(w);
    assert.equal(sample(text, 'kong_http_requests_total', 'service="orders",route="orders-route",code="200",source="service",workspace="default",consumer=""'), 2);
    assert.equal(sample(text, 'kong_http_requests_total', 'service="orders",route="orders-route",code="401",source="kong",workspace="default",consumer=""'), 1);
    assert.equal(sample(text, 'kong_http_requests_total', 'service="billing.internal",route="r2",code="502",source="kong",workspace="default",consumer=""'), 1);
    // Flags off: nothing else recorded.
    assert.doesNotMatch(text, /^kong_bandwidth_bytes\{/m);
    assert.doesNotMatch(text, /^kong_request_latency_ms_bucket\{/m);
  });

  test('per_consumer fills the consumer label with the username', () => {
    const w = worker();
    const c = conf({ status_code_metrics: true, bandwidth_metrics: true, per_consumer: true });
    prometheusHandler.log!(context({ consumer: 'ann', body: 'hello' }), c);
    prometheusHandler.log!(context({}), c);
    const text = scrape(w);
    assert.equal(sample(text, 'kong_http_requests_total', 'service="orders",route="orders-route",code="200",source="service",workspace="default",consumer="ann"'), 1);
    assert.equal(sample(text, 'kong_http_requests_total', 'service="orders",route="orders-route",code="200",source="service",workspace="default",consumer=""'), 1);
    assert.ok(sample(text, 'kong_bandwidth_bytes', 'service="orders",route="orders-route",direction="ingress",workspace="default",consumer="ann"')! > 0);
  });

  test('requests without a route are not recorded', () => {
    const w = worker();
    prometheusHandler.log!(context({ route: null }), conf(ALL));
    const push = w.take()!;
    assert.deepEqual([push.counters, push.histograms], [[], []]);
  });

  test('bandwidth: ingress is request line, headers and body; egress status line, headers and body', () => {
    const w = worker();
    const c = conf({ bandwidth_metrics: true });
    prometheusHandler.log!(context({ body: 'x'.repeat(1000), sent: 5000 }), c);
    const text = scrape(w);
    const ingress = sample(text, 'kong_bandwidth_bytes', 'service="orders",route="orders-route",direction="ingress",workspace="default",consumer=""')!;
    const egress = sample(text, 'kong_bandwidth_bytes', 'service="orders",route="orders-route",direction="egress",workspace="default",consumer=""')!;
    assert.ok(ingress > 1000 && ingress < 1100, `ingress ${ingress}`);
    assert.ok(egress > 5000 && egress < 5100, `egress ${egress}`);
  });

  test('latencies: Kong\'s buckets; upstream = waiting for the upstream, kong = the rest less receiving', () => {
    const w = worker();
    const c = conf({ latency_metrics: true });
    prometheusHandler.log!(context({ timing: [3, 40, 2] }), c);
    prometheusHandler.log!(context({ timing: null }), c);
    const text = scrape(w);
    const l = 'service="orders",route="orders-route",workspace="default"';
    assert.deepEqual(
      text.split('\n').filter((x) => x.startsWith('kong_kong_latency_ms_bucket')).map((x) => /le="([^"]+)"/.exec(x)![1]),
      [...KONG_LATENCY_BUCKETS.map(String), '+Inf'],
    );
    for (const name of ['kong_upstream_latency_ms', 'kong_request_latency_ms']) {
      assert.deepEqual(
        text.split('\n').filter((x) => x.startsWith(`${name}_bucket`)).map((x) => /le="([^"]+)"/.exec(x)![1]),
        [...UPSTREAM_LATENCY_BUCKETS.map(String), '+Inf'],
      );
    }
    assert.equal(sample(text, 'kong_upstream_latency_ms_count', l), 1, 'a request never proxied has no upstream latency');
    assert.equal(sample(text, 'kong_upstream_latency_ms_sum', l), 40);
    assert.equal(sample(text, 'kong_kong_latency_ms_sum', l), 3 + 4);
    assert.equal(sample(text, 'kong_request_latency_ms_sum', l), 45 + 4);
    assert.equal(sample(text, 'kong_request_latency_ms_count', l), 2);
    assert.equal(sample(text, 'kong_kong_latency_ms_bucket', `${l},le="2"`), 0);
    assert.equal(sample(text, 'kong_kong_latency_ms_bucket', `${l},le="5"`), 2);
    assert.equal(sample(text, 'kong_upstream_latency_ms_bucket', `${l},le="25"`), 0);
    assert.equal(sample(text, 'kong_upstream_latency_ms_bucket', `${l},le="50"`), 1);
  });

  test('HELP and TYPE lines are Kong\'s', () => {
    const w = worker();
    prometheusHandler.log!(context({}), conf(ALL));
    const text = scrape(w);
    for (const line of [
      '# HELP kong_http_requests_total HTTP status codes per consumer/service/route in Kong',
      '# TYPE kong_http_requests_total counter',
      '# HELP kong_kong_latency_ms Latency added by Kong and enabled plugins for each service/route in Kong',
      '# TYPE kong_kong_latency_ms histogram',
      '# HELP kong_upstream_latency_ms Latency added by upstream response for each service/route in Kong',
      '# TYPE kong_upstream_latency_ms histogram',
      '# HELP kong_request_latency_ms Total latency incurred during requests for each service/route in Kong',
      '# TYPE kong_request_latency_ms histogram',
      '# HELP kong_bandwidth_bytes Total bandwidth (ingress/egress) throughput in bytes',
      '# TYPE kong_bandwidth_bytes counter',
    ]) {
      assert.ok(text.split('\n').includes(line), line);
    }
  });

  test('counters and histograms from several workers are summed by the node', () => {
    const c = conf(ALL);
    const a = worker();
    for (let i = 0; i < 3; i++) prometheusHandler.log!(context({}), c);
    const pushA = a.take()!;
    const b = worker();
    for (let i = 0; i < 4; i++) prometheusHandler.log!(context({}), c);
    const store = new MetricsStore();
    store.apply(1, pushA);
    store.apply(2, b.take()!);
    const text = store.render();
    assert.equal(sample(text, 'kong_http_requests_total', 'service="orders",route="orders-route",code="200",source="service",workspace="default",consumer=""'), 7);
    assert.equal(sample(text, 'kong_request_latency_ms_count', 'service="orders",route="orders-route",workspace="default"'), 7);
  });
});
