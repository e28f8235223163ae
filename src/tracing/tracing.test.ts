import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleByTraceId, samplingDecision } from './sampler.ts';
import { fromDecimal, toDecimal, toIdSize } from './ids.ts';
import { instrumentationMask, INSTRUMENT } from './instrumentations.ts';
import { RequestTrace } from './trace.ts';
import { PHASE } from '../pdk/phase-rules.ts';

function idWithLow64(n: bigint): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(n, 0);
  return b;
}

test('the probability sampler compares the first 8 bytes of the trace id with rate * 2^64', () => {
  assert.equal(sampleByTraceId(idWithLow64(0n), 0.5), true);
  assert.equal(sampleByTraceId(idWithLow64(2n ** 63n - 1024n), 0.5), true);
  assert.equal(sampleByTraceId(idWithLow64(2n ** 63n + 4096n), 0.5), false);
  assert.equal(sampleByTraceId(idWithLow64(2n ** 64n - 1n), 1), true);
  assert.equal(sampleByTraceId(idWithLow64(0n), 0), false);
  let sampled = 0;
  for (let i = 0; i < 2000; i++) if (new RequestTrace(1, 0, 0.25).shouldSample) sampled++;
  assert.ok(sampled > 300 && sampled < 700, `about a quarter sampled, got ${sampled}`);
});

test('samplingDecision: propagation-only never, the parent when given, else the plugin rate, else the node rate', () => {
  const id = idWithLow64(2n ** 63n + 4096n);
  assert.equal(samplingDecision(id, true, 0, 0, true), false);
  assert.equal(samplingDecision(id, true, 0, 0, false), true);
  assert.equal(samplingDecision(id, false, 1, 1, false), false);
  assert.equal(samplingDecision(id, undefined, 1, 0, false), true);
  assert.equal(samplingDecision(id, undefined, null, 0.4, false), false);
  assert.equal(samplingDecision(id, undefined, undefined, 1, false), true);
});

test('ids: sizes and decimals as Kong converts them', () => {
  assert.equal(toIdSize(Buffer.from('0102', 'hex'), 4).toString('hex'), '00000102');
  assert.equal(toIdSize(Buffer.from('0102030405', 'hex'), 2).toString('hex'), '0405');
  assert.equal(toDecimal(fromDecimal('18446744073709551615')), '18446744073709551615');
  assert.equal(fromDecimal('256').toString('hex'), '0100');
});

test('tracing_instrumentations: names to bits', () => {
  assert.equal(instrumentationMask(['off']), 0);
  assert.equal(instrumentationMask(['router', 'balancer']), INSTRUMENT.router | INSTRUMENT.balancer);
  const all = instrumentationMask(['all']);
  for (const bit of Object.values(INSTRUMENT)) assert.ok((all & bit) !== 0);
});

test('a trace: plugin spans by phase, balancer tries, the injected span on the last try, finalize once', () => {
  const trace = new RequestTrace(instrumentationMask(['plugin_access', 'balancer', 'router']), 1000, 1);
  assert.equal(trace.pluginPhases, PHASE.access);
  trace.routed(1001, 1002);
  const plugin = trace.pluginSpan('access', 'key-auth');
  assert.equal(trace.active, plugin);
  const inner = trace.startSpan('inner');
  assert.deepEqual(inner.parentId, plugin.spanId);
  trace.endSpan(plugin);
  assert.equal(trace.active, trace.root);
  const injected = trace.balancerSpanForInjection()!;
  assert.equal(trace.balancerSpanForInjection(), injected);
  trace.tryStarted('10.0.0.1', 80);
  trace.tryFailed(502, 'connection refused');
  trace.tryStarted('10.0.0.2', 80);
  trace.finalize(2000, 200, '/p');
  trace.finalize(3000, 500, '/q');
  const tries = trace.spans.filter((s) => s.name === 'kong.balancer');
  assert.equal(tries.length, 2);
  assert.deepEqual([tries[0].attributes.try_count, tries[0].attributes['http.status_code'], tries[0].statusCode], [1, 502, 2]);
  assert.deepEqual(tries[1].spanId, injected.spanId);
  assert.equal(trace.root.attributes['http.status_code'], 200);
  assert.equal(trace.root.endMs, 2000);
  assert.ok(trace.spans.find((s) => s.name === 'kong.router'));
  assert.ok(trace.spans.every((s) => s.endMs !== 0));
  trace.setShouldSample(false);
  assert.ok(trace.spans.every((s) => !s.shouldSample));
});
