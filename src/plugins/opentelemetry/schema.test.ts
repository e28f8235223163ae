import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEntity } from '../../entities/index.ts';
import { pluginRegistry } from '../index.ts';

const registry = pluginRegistry(['opentelemetry', 'zipkin']);
const validate = (name: string, config: unknown) => validateEntity('plugins', { name, config }, { plugins: registry });

test("opentelemetry: Kong's defaults", () => {
  const r = validate('opentelemetry', { traces_endpoint: 'http://collector:4318/v1/traces' });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const config = r.value.config as Record<string, unknown>;
  assert.equal((config.queue as Record<string, unknown>).max_batch_size, 200);
  assert.equal((config.queue as Record<string, unknown>).max_coalescing_delay, 1);
  assert.deepEqual(config.propagation, { default_format: 'w3c', extract: null, inject: null, clear: null });
  assert.equal(config.header_type, 'preserve');
  assert.equal(config.connect_timeout, 1000);
  assert.equal(config.send_timeout, 5000);
  assert.equal(config.read_timeout, 5000);
  assert.equal(config.sampling_rate, null);
});

test('opentelemetry: one of the endpoints is required; endpoint is a shorthand for traces_endpoint', () => {
  const none = validate('opentelemetry', {});
  assert.ok(!none.ok);
  assert.match(JSON.stringify(none.errors), /at least one of these fields must be non-empty: 'traces_endpoint', 'logs_endpoint'/);
  const short = validate('opentelemetry', { endpoint: 'http://c:4318/v1/traces' });
  assert.ok(short.ok);
  assert.equal((short.value.config as Record<string, unknown>).traces_endpoint, 'http://c:4318/v1/traces');
  const logsOnly = validate('opentelemetry', { logs_endpoint: 'http://c:4318/v1/logs' });
  assert.ok(logsOnly.ok);
});

test('opentelemetry: bad values name their field', () => {
  const r = validate('opentelemetry', {
    traces_endpoint: 'http://c/v1/traces',
    sampling_rate: 2,
    header_type: 'zipkin',
    propagation: { extract: ['b3-single'], inject: ['nope'] },
    queue: { concurrency_limit: 3 },
  });
  assert.ok(!r.ok);
  const errors = r.errors as { config: Record<string, unknown> };
  assert.ok(errors.config.sampling_rate);
  assert.ok(errors.config.header_type);
  assert.ok((errors.config.propagation as Record<string, unknown>).extract);
  assert.ok((errors.config.propagation as Record<string, unknown>).inject);
  assert.ok((errors.config.queue as Record<string, unknown>).concurrency_limit);
});

test("zipkin: Kong's defaults; protected and repeated static tags refused", () => {
  const r = validate('zipkin', {});
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const config = r.value.config as Record<string, unknown>;
  assert.equal(config.local_service_name, 'kong');
  assert.equal(config.sample_ratio, 0.001);
  assert.equal(config.traceid_byte_count, 16);
  assert.equal(config.default_header_type, 'b3');
  assert.equal(config.tags_header, 'Zipkin-Tags');
  assert.equal(config.http_span_name, 'method');
  assert.equal(config.phase_duration_flavor, 'annotations');
  assert.equal(config.connect_timeout, 2000);
  assert.equal((config.propagation as Record<string, unknown>).default_format, 'b3');
  assert.equal((config.queue as Record<string, unknown>).max_batch_size, 1);
  const bad = validate('zipkin', { static_tags: [{ name: 'lc', value: 'x' }], traceid_byte_count: 4 });
  assert.ok(!bad.ok);
  const repeated = validate('zipkin', { static_tags: [{ name: 'a', value: 'x' }, { name: 'a', value: 'y' }] });
  assert.ok(!repeated.ok);
  assert.match(JSON.stringify(repeated.errors), /repeated tags are not allowed: a/);
});

test("deprecated fields: Kong's warnings when set to something other than their old default; legacy batch fields map onto queue", async () => {
  const { opentelemetryHandler } = await import('./handler.ts');
  const { zipkinHandler } = await import('../zipkin/handler.ts');
  const configOf = (name: string, config: unknown) => {
    const r = validate(name, config);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    return r.value.config as never;
  };
  const plain = opentelemetryHandler.prepare!(configOf('opentelemetry', { traces_endpoint: 'http://c/v1/traces' }), undefined as never);
  assert.deepEqual(plain.warnings, []);
  assert.equal(plain.queue.max_batch_size, 200);
  const legacy = opentelemetryHandler.prepare!(configOf('opentelemetry', { traces_endpoint: 'http://c/v1/traces', batch_span_count: 50, batch_flush_delay: 7, header_type: 'b3' }), undefined as never);
  assert.equal(legacy.queue.max_batch_size, 50);
  assert.equal(legacy.queue.max_coalescing_delay, 7);
  assert.equal(legacy.warnings.length, 3);
  assert.match(legacy.warnings[2], /config.header_type is deprecated/);
  assert.deepEqual(legacy.propagation.inject, ['preserve', 'b3']);
  const z = zipkinHandler.prepare!(configOf('zipkin', { default_header_type: 'w3c' }), undefined as never);
  assert.deepEqual(z.warnings, ['zipkin: config.default_header_type is deprecated, please use config.propagation.default_format instead']);
  assert.equal(z.propagation.defaultFormat, 'w3c');
});
