import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pluginContext } from '../../test/support/plugin-context.ts';
import { RequestTrace } from '../tracing/trace.ts';
import { instrumentationMask } from '../tracing/instrumentations.ts';

test('kong.tracing without a trace: detached spans, no sampling, nothing to process', () => {
  const kong = pluginContext();
  assert.equal(kong.tracing.trace, null);
  const span = kong.tracing.startSpan('mine');
  kong.tracing.endSpan(span);
  assert.ok(span.endMs > 0);
  assert.equal(kong.tracing.activeSpan(), null);
  assert.equal(kong.tracing.getSamplingDecision(true), false);
  let seen = 0;
  kong.tracing.processSpan(() => seen++);
  assert.equal(seen, 0);
});

test('kong.tracing with a trace: nesting under the active span, sampling decisions, processSpan ends everything', () => {
  const kong = pluginContext();
  kong.trace = new RequestTrace(instrumentationMask(['all']), kong.startedAt, 1);
  const outer = kong.tracing.startSpan('outer', { attributes: { a: 1 } });
  assert.deepEqual(outer.parentId, kong.trace.root.spanId);
  kong.tracing.setActiveSpan(outer);
  const inner = kong.tracing.startSpan('inner');
  assert.deepEqual(inner.parentId, outer.spanId);
  kong.tracing.endSpan(outer);
  assert.equal(kong.tracing.activeSpan(), kong.trace.root);
  assert.equal(kong.tracing.getSamplingDecision(false, 1), false, 'the parent decides');
  assert.equal(kong.tracing.getSamplingDecision(undefined, 1), true);
  assert.equal(kong.tracing.getSamplingDecision(undefined, 0), false);
  kong.tracing.setShouldSample(false);
  const names: string[] = [];
  kong.tracing.processSpan((span) => {
    names.push(span.name);
    assert.ok(span.endMs > 0);
    assert.equal(span.shouldSample, false);
  });
  assert.deepEqual(names, ['kong', 'outer', 'inner']);
});

test('kong.tracing.ensureTrace: a propagation-only trace that is never sampled', () => {
  const kong = pluginContext();
  const trace = kong.tracing.ensureTrace();
  assert.equal(kong.tracing.ensureTrace(), trace);
  assert.equal(trace.propagationOnly, true);
  assert.equal(trace.root.attributes['kong.propagation_only'], true);
  assert.equal(kong.tracing.getSamplingDecision(true, 1), false);
});

test('kong.log lines are kept once captureLogs was called', () => {
  const kong = pluginContext();
  kong.log.warn('before');
  kong.tracing.captureLogs();
  kong.currentPlugin = 'p';
  kong.log.err('after ', 1);
  assert.deepEqual(kong.tracing.capturedLogs().map((l) => [l.level, l.message, l.plugin]), [['error', 'after 1', 'p']]);
});
