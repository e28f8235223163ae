/**
 * The opentelemetry plugin through a real node and a real upstream, exporting to an OTLP/HTTP receiver in
 * the test that decodes the protobuf with protobufjs and the official OpenTelemetry definitions: span names,
 * parent/child links, attributes, a trace continued from an incoming traceparent, the headers the upstream
 * sees, parent-based and rate-based sampling, retries after a 500 from the receiver, propagation formats,
 * and propagation alone when instrumentation is off.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';
import { freePort } from './helpers/ports.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.ts';

const WAIT_MS = 60_000;
const FAST_QUEUE = '{ max_coalescing_delay: 0.05, initial_retry_delay: 0.05, max_retry_delay: 0.2 }';

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

const echoOf = (text: string) => JSON.parse(text) as Echo;
const header = (echo: Echo, name: string) => echo.headers[name] as string | undefined;

function config(upPort: number, receiver: string, flaky: string, refusedPort = 1): string {
  return `_format_version: "3.0"
plugins:
  - name: opentelemetry
    config: { traces_endpoint: ${receiver}/v1/traces, logs_endpoint: ${receiver}/v1/logs, queue: ${FAST_QUEUE} }
services:
  - name: svc
    url: http://127.0.0.1:${upPort}
    routes:
      - name: traced
        paths: [/traced]
        plugins:
          - name: correlation-id
          - name: opentelemetry
            config:
              traces_endpoint: ${receiver}/v1/traces
              headers: { x-api-key: secret-token }
              resource_attributes: { deployment.environment: test }
              http_response_header_for_traceid: x-trace-id
              queue: ${FAST_QUEUE}
      - name: never
        paths: [/never]
        plugins:
          - name: opentelemetry
            config: { traces_endpoint: ${receiver}/v1/traces, sampling_rate: 0, queue: ${FAST_QUEUE} }
      - name: b3
        paths: [/b3]
        plugins:
          - name: opentelemetry
            config:
              traces_endpoint: ${receiver}/v1/traces
              queue: ${FAST_QUEUE}
              propagation: { extract: [w3c], inject: [b3, jaeger], clear: [traceparent] }
      - name: plain
        paths: [/plain]
      - name: json
        paths: [/json]
        plugins:
          - name: opentelemetry
            config: { traces_endpoint: ${receiver}/v1/traces, encoding: json, queue: ${FAST_QUEUE} }
      - name: flaky
        paths: [/flaky]
        plugins:
          - name: opentelemetry
            config: { endpoint: ${flaky}/v1/traces, queue: ${FAST_QUEUE} }
  - name: failover
    host: half-down
    retries: 3
    routes:
      - name: failover
        paths: [/failover]
        plugins:
          - name: opentelemetry
            config: { traces_endpoint: ${receiver}/v1/traces, queue: ${FAST_QUEUE} }
upstreams:
  - name: half-down
    targets:
      - target: 127.0.0.1:${refusedPort}
      - target: 127.0.0.1:${upPort}
`;
}

describe('opentelemetry with tracing_instrumentations=all', () => {
  let up: TestUpstream;
  let receiver: OtlpReceiver;
  let flaky: OtlpReceiver;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('otel-up');
    receiver = await startOtlpReceiver();
    flaky = await startOtlpReceiver();
    const refused = await freePort();
    node = await startTollgate({
      config: config(up.port, receiver.url, flaky.url, refused),
      env: { TOLLGATE_TRACING_INSTRUMENTATIONS: 'all', TOLLGATE_TRACING_SAMPLING_RATE: '1' },
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await receiver?.close();
    await flaky?.close();
  });

  const spansOf = (traceId: string): ReceivedSpan[] => receiver.spans.filter((s) => s.traceId === traceId);

  test('a trace continued from traceparent: spans, links, attributes, the headers upstream and back', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    const res = await get(`${node.proxy}/traced/x?q=1`, { traceparent: `00-${traceId}-${parent}-01` });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-trace-id'], traceId);
    const sent = header(echoOf(res.text), 'traceparent');
    assert.match(sent ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const injectedSpanId = sent!.split('-')[2];
    assert.notEqual(injectedSpanId, parent);

    await waitUntil(() => spansOf(traceId).some((s) => s.name === 'kong'), WAIT_MS, 'the trace at the receiver');
    const spans = spansOf(traceId);
    const byName = (name: string) => spans.filter((s) => s.name === name);
    const root = byName('kong')[0];
    assert.equal(root.parentSpanId, parent, 'the root span continues the incoming parent');
    assert.equal(root.kind, 2);
    assert.equal(root.attributes['http.method'], 'GET');
    assert.equal(root.attributes['http.status_code'], 200);
    assert.equal(root.attributes['http.scheme'], 'http');
    assert.equal(root.attributes['http.host'], '127.0.0.1');
    assert.equal(root.attributes['http.url'], 'http://127.0.0.1/traced/x?q=1');
    assert.equal(root.attributes['http.flavor'], '1.1');
    assert.equal(root.attributes['net.peer.ip'], '127.0.0.1');
    assert.equal(root.attributes['http.route'], '/traced');
    assert.equal(typeof root.attributes['kong.request.id'], 'string');
    assert.ok(root.endNs >= root.startNs);
    assert.equal(root.resource['service.name'], 'kong');
    assert.equal(root.resource['deployment.environment'], 'test');
    assert.equal(typeof root.resource['service.instance.id'], 'string');
    assert.equal(typeof root.resource['service.version'], 'string');

    const balancer = byName('kong.balancer');
    assert.equal(balancer.length, 1);
    assert.equal(balancer[0].spanId, injectedSpanId, 'the upstream is told the balancer span is its parent');
    assert.equal(balancer[0].parentSpanId, root.spanId);
    assert.equal(balancer[0].kind, 3);
    assert.equal(balancer[0].attributes['net.peer.ip'], '127.0.0.1');
    assert.equal(balancer[0].attributes['net.peer.port'], up.port);
    assert.equal(balancer[0].attributes.try_count, 1);

    for (const name of ['kong.router', 'kong.access.plugin.correlation-id', 'kong.access.plugin.opentelemetry', 'kong.header_filter.plugin.opentelemetry']) {
      const [span] = byName(name);
      assert.ok(span !== undefined, `span ${name} exported (got ${spans.map((s) => s.name).join(', ')})`);
      assert.equal(span.parentSpanId, root.spanId, `${name} is a child of the root`);
    }
    assert.equal(new Set(spans.map((s) => s.spanId)).size, spans.length, 'span ids are unique');
    const req = receiver.requests.find((r) => r.path === '/v1/traces')!;
    assert.equal(req.contentType, 'application/x-protobuf');
    assert.equal(req.headers['x-api-key'], 'secret-token');
  });

  test('without an incoming context a new trace is started and sampled at rate 1', async () => {
    const res = await get(`${node.proxy}/traced/new`);
    const sent = header(echoOf(res.text), 'traceparent');
    assert.match(sent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const traceId = sent!.split('-')[1];
    assert.equal(res.headers['x-trace-id'], traceId);
    await waitUntil(() => spansOf(traceId).some((s) => s.name === 'kong'), WAIT_MS, 'the new trace');
    assert.equal(spansOf(traceId).find((s) => s.name === 'kong')!.parentSpanId, '');
  });

  test('an incoming unsampled flag is followed: nothing is exported and the upstream is told 00', async () => {
    const unsampled = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
    const sampled = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2';
    const first = await get(`${node.proxy}/traced/a`, { traceparent: `00-${unsampled}-1111111111111111-00` });
    assert.match(header(echoOf(first.text), 'traceparent') ?? '', new RegExp(`^00-${unsampled}-[0-9a-f]{16}-00$`));
    // Same plugin, same queue, sent in order: once the later trace arrived, the earlier one would have too.
    await get(`${node.proxy}/traced/b`, { traceparent: `00-${sampled}-2222222222222222-01` });
    await waitUntil(() => spansOf(sampled).some((s) => s.name === 'kong'), WAIT_MS, 'the sampled trace');
    assert.equal(spansOf(unsampled).length, 0);
  });

  test('sampling_rate 0 on the plugin: the upstream is told the trace is not sampled', async () => {
    const res = await get(`${node.proxy}/never/x`);
    assert.match(header(echoOf(res.text), 'traceparent') ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });

  test('propagation: extract w3c, clear traceparent, inject b3 and jaeger', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await get(`${node.proxy}/b3/x`, { traceparent: `00-${traceId}-b7ad6b7169203331-01` });
    const echo = echoOf(res.text);
    assert.equal(header(echo, 'traceparent'), undefined);
    assert.equal(header(echo, 'x-b3-traceid'), traceId);
    assert.match(header(echo, 'x-b3-spanid') ?? '', /^[0-9a-f]{16}$/);
    assert.equal(header(echo, 'x-b3-sampled'), '1');
    assert.match(header(echo, 'uber-trace-id') ?? '', new RegExp(`^${traceId}:[0-9a-f]{16}:[0-9a-f]{16}:01$`));
  });

  test('encoding json (a Tollgate addition): the same spans as OTLP JSON', async () => {
    const res = await get(`${node.proxy}/json/x`);
    const traceId = header(echoOf(res.text), 'traceparent')!.split('-')[1];
    await waitUntil(() => spansOf(traceId).some((s) => s.name === 'kong'), WAIT_MS, 'the JSON trace');
    assert.equal(spansOf(traceId).find((s) => s.name === 'kong')!.attributes['http.route'], '/json');
    assert.ok(receiver.requests.some((r) => r.contentType === 'application/json'));
  });

  test('a batch the receiver refuses with 500 is sent again', async () => {
    flaky.failNext(1);
    const res = await get(`${node.proxy}/flaky/x`);
    const traceId = header(echoOf(res.text), 'traceparent')!.split('-')[1];
    await waitUntil(() => flaky.spans.some((s) => s.traceId === traceId && s.name === 'kong'), WAIT_MS, 'the retried batch');
    assert.equal(flaky.requests[0].status, 500);
    assert.ok(flaky.requests.length >= 2);
  });
});

describe('opentelemetry: balancer tries', () => {
  let up: TestUpstream;
  let receiver: OtlpReceiver;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('otel-failover-up');
    receiver = await startOtlpReceiver();
    node = await startTollgate({
      config: config(up.port, receiver.url, receiver.url, await freePort()),
      env: { TOLLGATE_TRACING_INSTRUMENTATIONS: 'balancer', TOLLGATE_TRACING_SAMPLING_RATE: '1' },
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await receiver?.close();
  });

  test('a try at a refusing target is an error span; the try that answered carries the id sent upstream', async () => {
    // Round robin over a dead and a live target: within a few requests one starts at the dead one.
    let found: { traceId: string; injected: string } | null = null;
    for (let i = 0; i < 6 && found === null; i++) {
      const res = await get(`${node.proxy}/failover/${i}`);
      assert.equal(res.status, 200);
      const [, traceId, injected] = header(echoOf(res.text), 'traceparent')!.split('-');
      await waitUntil(() => receiver.spans.some((s) => s.traceId === traceId && s.name === 'kong'), WAIT_MS, 'the trace');
      if (receiver.spans.filter((s) => s.traceId === traceId && s.name === 'kong.balancer').length === 2) found = { traceId, injected };
    }
    assert.ok(found !== null, 'a request was retried');
    const tries = receiver.spans.filter((s) => s.traceId === found!.traceId && s.name === 'kong.balancer').sort((a, b) => Number(a.attributes.try_count) - Number(b.attributes.try_count));
    assert.deepEqual(tries.map((t) => t.attributes.try_count), [1, 2]);
    assert.equal(tries[0].attributes['http.status_code'], 502);
    assert.equal(tries[0].status.code, 2);
    assert.notEqual(tries[0].attributes['net.peer.port'], up.port);
    assert.equal(tries[1].attributes['net.peer.port'], up.port);
    assert.equal(tries[1].spanId, found!.injected);
    assert.equal(tries[1].status.code, 0);
    const root = receiver.spans.find((s) => s.traceId === found!.traceId && s.name === 'kong')!;
    for (const t of tries) assert.equal(t.parentSpanId, root.spanId);
  });
});

describe('opentelemetry as a global plugin', () => {
  let up: TestUpstream;
  let receiver: OtlpReceiver;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('otel-global-up');
    receiver = await startOtlpReceiver();
    node = await startTollgate({
      config: config(up.port, receiver.url, receiver.url),
      env: { TOLLGATE_TRACING_INSTRUMENTATIONS: 'request,plugin_rewrite', TOLLGATE_TRACING_SAMPLING_RATE: '1' },
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await receiver?.close();
  });

  test("the request's kong.log lines go to logs_endpoint as OTLP log records with the trace id", async () => {
    const res = await get(`${node.proxy}/plain/x`, { traceparent: 'not-a-traceparent' });
    assert.equal(res.status, 200);
    const traceId = header(echoOf(res.text), 'traceparent')!.split('-')[1];
    await waitUntil(() => receiver.logs.some((l) => l.traceId === traceId), WAIT_MS, 'the log record');
    const log = receiver.logs.find((l) => l.traceId === traceId)!;
    assert.equal(log.body, 'invalid W3C traceparent header; ignoring.');
    assert.equal(log.severityText, 'warn');
    assert.equal(log.severityNumber, 13);
    assert.equal(typeof log.attributes['request.id'], 'string');
    assert.equal(log.attributes['introspection.source'], 'kong.plugins.opentelemetry');
    assert.equal(log.resource['service.name'], 'kong');
    assert.equal(receiver.requests.find((r) => r.path === '/v1/logs')!.contentType, 'application/x-protobuf');
    await waitUntil(() => receiver.spans.some((s) => s.traceId === traceId && s.name === 'kong'), WAIT_MS, 'the spans');
    const names = receiver.spans.filter((s) => s.traceId === traceId).map((s) => s.name).sort();
    assert.deepEqual(names, ['kong', 'kong.rewrite.plugin.opentelemetry'], 'only the instrumentations asked for');
  });

  test('a request no route matched is traced too, with its 404', async () => {
    const res = await get(`${node.proxy}/nowhere`);
    assert.equal(res.status, 404);
    await waitUntil(() => receiver.spans.some((s) => s.name === 'kong' && s.attributes['http.status_code'] === 404), WAIT_MS, 'the 404 trace');
    const root = receiver.spans.find((s) => s.name === 'kong' && s.attributes['http.status_code'] === 404)!;
    assert.equal(root.attributes['http.url'], 'http://127.0.0.1/nowhere');
    assert.equal(root.attributes['http.route'], '');
  });
});

describe('opentelemetry with tracing_instrumentations off', () => {
  let up: TestUpstream;
  let receiver: OtlpReceiver;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('otel-off-up');
    receiver = await startOtlpReceiver();
    node = await startTollgate({ config: config(up.port, receiver.url, receiver.url) });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await receiver?.close();
  });

  test('headers are still propagated, continuing the incoming trace, and marked unsampled', async () => {
    const traceId = '11112222333344445555666677778888';
    const res = await get(`${node.proxy}/traced/x`, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    assert.equal(res.status, 200);
    assert.match(header(echoOf(res.text), 'traceparent') ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
  });
});
