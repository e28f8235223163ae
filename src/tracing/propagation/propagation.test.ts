import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clearAndInject, extract, extractFormat, injectFormat, resolvePropagation, type IncomingHeaders, type PropagationConfig, type PropagationFormat, type TracingContext } from './index.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const PARENT = 'b7ad6b7169203331';
const T = Buffer.from(TRACE, 'hex');
const S = Buffer.from(SPAN, 'hex');
const P = Buffer.from(PARENT, 'hex');

function collect(): { warnings: string[]; warn: (m: string) => void } {
  const warnings: string[] = [];
  return { warnings, warn: (m) => warnings.push(m) };
}

function headersOf(format: PropagationFormat, ctx: TracingContext): Record<string, string> {
  const r = injectFormat(format, ctx);
  assert.notEqual(typeof r, 'string', String(r));
  return Object.fromEntries((r as Exclude<typeof r, string>).headers);
}

test('w3c: traceparent round trip, flags, malformed headers ignored with a warning', () => {
  const h = headersOf('w3c', { traceId: T, spanId: S, shouldSample: true });
  assert.deepEqual(h, { traceparent: `00-${TRACE}-${SPAN}-01` });
  const back = extractFormat('w3c', h, () => {})!;
  assert.deepEqual([back.traceId, back.spanId, back.shouldSample, back.w3cFlags], [T, S, true, 1]);
  assert.equal(headersOf('w3c', { traceId: T, spanId: S, shouldSample: false }).traceparent.slice(-2), '00');
  for (const bad of [`01-${TRACE}-${SPAN}-01`, `00-${'0'.repeat(32)}-${SPAN}-01`, `00-${TRACE}-${'0'.repeat(16)}-01`, `00-${TRACE}-${SPAN}-1`, `00-${TRACE.slice(2)}-${SPAN}-01`, 'garbage']) {
    const { warnings, warn } = collect();
    assert.equal(extractFormat('w3c', { traceparent: bad }, warn), null, bad);
    assert.equal(warnings.length, 1);
  }
  assert.equal(extractFormat('w3c', {}, () => {}), null);
});

test('b3 multi and single: round trips, 64-bit trace ids kept, debug flag, sampling-only values', () => {
  const multi = headersOf('b3', { traceId: T, spanId: S, parentId: P, shouldSample: true });
  assert.deepEqual(multi, { 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-parentspanid': PARENT, 'x-b3-sampled': '1' });
  const back = extractFormat('b3', multi, () => {})!;
  assert.deepEqual([back.traceId, back.spanId, back.parentId, back.shouldSample], [T, S, P, true]);

  const short = extractFormat('b3', { 'x-b3-traceid': SPAN, 'x-b3-spanid': PARENT }, () => {})!;
  assert.equal(short.traceIdOriginalSize, 8);
  assert.equal(short.traceId!.toString('hex'), '0'.repeat(16) + SPAN);
  assert.equal(headersOf('b3', short)['x-b3-traceid'], SPAN, 'a 64-bit id goes out as it came');

  const single = headersOf('b3-single', { traceId: T, spanId: S, parentId: P, shouldSample: false });
  assert.deepEqual(single, { b3: `${TRACE}-${SPAN}-0-${PARENT}` });
  const s = extractFormat('b3', single, () => {})!;
  assert.deepEqual([s.traceId, s.spanId, s.parentId, s.shouldSample, s.singleHeader], [T, S, P, false, true]);
  assert.deepEqual(headersOf('b3-single', { flags: '1' }), { b3: 'd' });
  const debug = extractFormat('b3', { b3: 'd' }, () => {})!;
  assert.deepEqual([debug.shouldSample, debug.flags, debug.traceId], [true, '1', undefined]);
  assert.equal(headersOf('b3', debug)['x-b3-flags'], '1');
  const fromTracestate = extractFormat('b3', { tracestate: `b3=${TRACE}-${SPAN}-1` }, () => {})!;
  assert.deepEqual([fromTracestate.traceId, fromTracestate.shouldSample], [T, true]);

  const { warnings, warn } = collect();
  const bad = extractFormat('b3', { 'x-b3-traceid': 'xyz', 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' }, warn)!;
  assert.equal(bad.traceId, undefined, 'an invalid id drops the ids');
  assert.equal(bad.shouldSample, true, 'but keeps the sampling decision');
  assert.match(warnings[0], /x-b3-traceid header invalid/);
});

test('jaeger: uber-trace-id and uberctx- baggage round trip; bad ids ignored', () => {
  const h = headersOf('jaeger', { traceId: T, spanId: S, parentId: P, shouldSample: true, baggage: { user: 'a b' } });
  assert.deepEqual(h, { 'uber-trace-id': `${TRACE}:${SPAN}:${PARENT}:01`, 'uberctx-user': 'a%20b' });
  const back = extractFormat('jaeger', h, () => {})!;
  assert.deepEqual([back.traceId, back.spanId, back.parentId, back.shouldSample, { ...back.baggage }], [T, S, P, true, { user: 'a b' }]);
  assert.equal(headersOf('jaeger', { traceId: T, spanId: S })['uber-trace-id'], `${TRACE}:${SPAN}:0:00`);
  assert.equal(extractFormat('jaeger', { 'uber-trace-id': `0:${SPAN}:0:1` }, () => {}), null);
  assert.equal(extractFormat('jaeger', { 'uber-trace-id': `${TRACE}:${SPAN}:0:123` }, () => {}), null);
  assert.equal(extractFormat('jaeger', { 'uber-trace-id': 'nope' }, () => {}), null);
});

test('ot: ot-tracer-* and ot-baggage- round trip; 64-bit trace ids unless the incoming one was 128-bit', () => {
  const h = headersOf('ot', { traceId: T, spanId: S, shouldSample: true, baggage: { k: 'v' }, traceIdOriginalSize: 16 });
  assert.deepEqual(h, { 'ot-tracer-traceid': TRACE, 'ot-tracer-spanid': SPAN, 'ot-tracer-sampled': '1', 'ot-baggage-k': 'v' });
  const back = extractFormat('ot', h, () => {})!;
  assert.deepEqual([back.traceId, back.spanId, back.shouldSample, { ...back.baggage }], [T, S, true, { k: 'v' }]);
  assert.equal(headersOf('ot', { traceId: T, spanId: S })['ot-tracer-traceid'], TRACE.slice(16));
  const bad = extractFormat('ot', { 'ot-tracer-traceid': 'zz', 'ot-tracer-sampled': '0' }, () => {})!;
  assert.deepEqual([bad.traceId, bad.shouldSample], [undefined, false]);
});

test('aws: X-Amzn-Trace-Id round trip; malformed parts refused', () => {
  const h = headersOf('aws', { traceId: T, spanId: S, shouldSample: true });
  assert.deepEqual(h, { 'x-amzn-trace-id': `Root=1-${TRACE.slice(0, 8)}-${TRACE.slice(8)};Parent=${SPAN};Sampled=1` });
  const back = extractFormat('aws', h, () => {})!;
  assert.deepEqual([back.traceId, back.spanId, back.shouldSample], [T, S, true]);
  assert.equal(extractFormat('aws', { 'x-amzn-trace-id': `Root=2-${TRACE.slice(0, 8)}-${TRACE.slice(8)}` }, () => {}), null);
  assert.equal(extractFormat('aws', { 'x-amzn-trace-id': `Root=1-${TRACE.slice(0, 8)}-${TRACE.slice(8)};Sampled=x` }, () => {}), null);
});

test('gcp: X-Cloud-Trace-Context with a decimal span id', () => {
  const h = headersOf('gcp', { traceId: T, spanId: S, shouldSample: true });
  assert.deepEqual(h, { 'x-cloud-trace-context': `${TRACE}/${BigInt(`0x${SPAN}`).toString(10)};o=1` });
  const back = extractFormat('gcp', h, () => {})!;
  assert.deepEqual([back.traceId, back.spanId, back.shouldSample], [T, S, true]);
  assert.equal(extractFormat('gcp', { 'x-cloud-trace-context': `${TRACE.toUpperCase()}/1` }, () => {}), null);
});

test('datadog: decimal 64-bit ids and sampling priority', () => {
  const h = headersOf('datadog', { traceId: T, spanId: S, shouldSample: true });
  assert.deepEqual(h, {
    'x-datadog-trace-id': BigInt(`0x${TRACE.slice(16)}`).toString(10),
    'x-datadog-parent-id': BigInt(`0x${SPAN}`).toString(10),
    'x-datadog-sampling-priority': '1',
  });
  const back = extractFormat('datadog', h, () => {})!;
  assert.equal(back.traceId!.toString('hex'), '0'.repeat(16) + TRACE.slice(16));
  assert.deepEqual([back.spanId, back.shouldSample], [S, true]);
  assert.equal(extractFormat('datadog', { 'x-datadog-sampling-priority': '7' }, () => {}), null);
  assert.equal(extractFormat('datadog', { 'x-datadog-sampling-priority': '2' }, () => {})!.shouldSample, true);
});

test('instana: x-instana-t/s/l', () => {
  const h = headersOf('instana', { traceId: T, spanId: S, shouldSample: false });
  assert.deepEqual(h, { 'x-instana-t': TRACE, 'x-instana-s': SPAN, 'x-instana-l': '0' });
  const back = extractFormat('instana', { ...h, 'x-instana-l': '1,correlationType=web' }, () => {})!;
  assert.deepEqual([back.traceId, back.spanId, back.shouldSample], [T, S, true]);
  assert.equal(extractFormat('instana', { 'x-instana-t': TRACE }, () => {}), null);
});

test('injectors that need ids say which field is missing', () => {
  assert.equal(injectFormat('w3c', { traceId: T }), 'w3c injector context is invalid: field span_id not found in context');
  assert.deepEqual(headersOf('b3', { shouldSample: false }), { 'x-b3-sampled': '0' });
});

test('extract: the first configured format that finds a context wins', () => {
  const config: PropagationConfig = { extract: ['b3', 'w3c'], inject: null, clear: null, defaultFormat: 'w3c' };
  const headers: IncomingHeaders = { traceparent: `00-${TRACE}-${SPAN}-01`, 'x-b3-traceid': PARENT + PARENT, 'x-b3-spanid': SPAN };
  assert.equal(extract(config, headers, () => {}).format, 'b3');
  assert.equal(extract({ ...config, extract: ['w3c', 'b3'] }, headers, () => {}).format, 'w3c');
  assert.equal(extract({ ...config, extract: ['jaeger'] }, headers, () => {}).format, null);
  assert.equal(extract({ ...config, extract: ['w3c', 'b3'] }, { traceparent: 'bad', 'x-b3-sampled': '1' }, () => {}).format, 'b3');
});

test('clearAndInject: clear list, preserve (incoming format, b3 single, default), several formats', () => {
  const set: [string, string][] = [];
  const cleared: string[] = [];
  const sink = { set: (n: string, v: string) => set.push([n, v]), clear: (n: string) => cleared.push(n) };
  const ctx: TracingContext = { traceId: T, spanId: S, shouldSample: true };
  const r = clearAndInject({ extract: null, inject: ['preserve', 'jaeger'], clear: ['x-a'], defaultFormat: 'datadog' }, 'w3c', ctx, sink);
  assert.deepEqual(cleared, ['x-a']);
  assert.deepEqual(set.map(([n]) => n), ['traceparent', 'uber-trace-id']);
  assert.deepEqual(r.traceIds, { w3c: TRACE, jaeger: TRACE });
  set.length = 0;
  clearAndInject({ extract: null, inject: ['preserve'], clear: null, defaultFormat: 'datadog' }, null, ctx, sink);
  assert.deepEqual(set.map(([n]) => n), ['x-datadog-trace-id', 'x-datadog-parent-id', 'x-datadog-sampling-priority']);
  set.length = 0;
  clearAndInject({ extract: null, inject: ['preserve'], clear: null, defaultFormat: 'w3c' }, 'b3', { ...ctx, singleHeader: true }, sink);
  assert.deepEqual(set.map(([n]) => n), ['b3']);
});

test("resolvePropagation: the propagation record wins; else Kong's header_type mapping", () => {
  const legacy = ['b3', 'w3c', 'jaeger', 'ot', 'datadog', 'aws', 'gcp', 'instana'];
  assert.deepEqual(resolvePropagation({ default_format: 'w3c', extract: ['gcp'] }, 'preserve'), { extract: ['gcp'], inject: null, clear: null, defaultFormat: 'w3c' });
  assert.deepEqual(resolvePropagation({ default_format: 'w3c' }, 'preserve'), { extract: legacy, inject: ['preserve'], clear: null, defaultFormat: 'w3c' });
  assert.deepEqual(resolvePropagation({ default_format: 'w3c' }, 'ignore'), { extract: null, inject: ['w3c'], clear: null, defaultFormat: 'w3c' });
  assert.deepEqual(resolvePropagation({ default_format: 'w3c' }, 'jaeger'), { extract: legacy, inject: ['preserve', 'jaeger'], clear: null, defaultFormat: 'w3c' });
  assert.equal(resolvePropagation({ default_format: 'b3' }, 'preserve', 'datadog').defaultFormat, 'datadog');
  assert.deepEqual(resolvePropagation({ default_format: 'w3c' }, null), { extract: null, inject: null, clear: null, defaultFormat: 'w3c' });
});
