/** The log plugins' schemas against Kong's specs (e.g. spec/03-plugins/03-http-log/02-schema_spec.lua): Kong's defaults and errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEntity } from '../../entities/index.ts';
import { pluginRegistry } from '../index.ts';

const registry = pluginRegistry(['bundled']);
const validate = (name: string, config: unknown) => validateEntity('plugins', { name, config }, { plugins: registry });
const errorsOf = (name: string, config: unknown) => {
  const r = validate(name, config);
  assert.equal(r.ok, false, JSON.stringify(config));
  return (r as { errors: Record<string, unknown> }).errors;
};

test("Kong's accepted http-log configurations, with Kong's defaults", () => {
  const r = validate('http-log', { http_endpoint: 'http://myservice.test/path' });
  assert.ok(r.ok);
  const c = r.value.config as Record<string, unknown>;
  assert.equal(c.method, 'POST');
  assert.equal(c.content_type, 'application/json');
  assert.equal(c.timeout, 10000);
  assert.equal(c.keepalive, 60000);
  assert.deepEqual(c.queue, { max_batch_size: 1, max_coalescing_delay: 1, max_entries: 10000, max_bytes: null, max_retry_time: 60, initial_retry_delay: 0.01, max_retry_delay: 60, concurrency_limit: 1 });
  assert.ok(validate('http-log', { http_endpoint: 'http://bob:password@myservice.test/path' }).ok);
  assert.ok(validate('http-log', { http_endpoint: 'http://myservice.test/path', headers: { 'X-My-Header': '123', 'X-Your-Header': 'abc' } }).ok);
});

test("Kong's refused http-log configurations, with Kong's messages", () => {
  assert.deepEqual(errorsOf('http-log', { http_endpoint: 'http://myservice.test/path', headers: { 'X-My-Header': '123', Host: 'MyHost' } }), { config: { headers: "cannot contain 'Host' header" } });
  assert.deepEqual(errorsOf('http-log', { http_endpoint: 'http://myservice.test/path', headers: { 'coNTEnt-Length': '123' } }), { config: { headers: "cannot contain 'Content-Length' header" } });
  assert.deepEqual(errorsOf('http-log', { http_endpoint: 'http://myservice.test/path', headers: { 'coNTEnt-Type': 'bad' } }), { config: { headers: "cannot contain 'Content-Type' header" } });
  assert.deepEqual(errorsOf('http-log', { http_endpoint: 'http://hi:there@myservice.test/path', headers: { AuthoRIZATion: 'bad' } }), {
    config: "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed",
  });
  assert.deepEqual(errorsOf('http-log', { http_endpoint: 'http://myservice.test/path', headers: { 'X-My-Header': '' } }), { config: { headers: 'length must be at least 1' } });
  assert.ok('method' in (errorsOf('http-log', { http_endpoint: 'http://x.test/', method: 'GET' }).config as object));
  assert.ok('http_endpoint' in (errorsOf('http-log', {}).config as object));
});

test('file-log path: Kong\'s filename rule', () => {
  for (const bad of ['/tmp/a*b', ' /tmp/x', '/tmp/x ', '/tmp/a&b', '/tmp/a%b', '/tmp/a`b', '/tmp/a\\b']) {
    assert.deepEqual(errorsOf('file-log', { path: bad }), { config: { path: 'not a valid filename' } }, bad);
  }
  const ok = validate('file-log', { path: '/var/log/kong/file log.json' });
  assert.ok(ok.ok);
  assert.equal((ok.value.config as { reopen: boolean }).reopen, false);
});

test('statsd: Kong\'s default metrics and the sample_rate rule', () => {
  const r = validate('statsd', {});
  assert.ok(r.ok);
  const c = r.value.config as { metrics: { name: string }[]; prefix: string; port: number; host: string };
  assert.equal(c.metrics.length, 13);
  assert.equal(c.prefix, 'kong');
  assert.equal(c.host, 'localhost');
  assert.equal(c.port, 8125);
  const e = errorsOf('statsd', { metrics: [{ name: 'request_count', stat_type: 'counter' }] });
  assert.match(JSON.stringify(e), /sample_rate/);
  assert.ok(validate('statsd', { metrics: [{ name: 'latency', stat_type: 'timer' }] }).ok);
});

test('syslog and loggly: severities and facility', () => {
  const s = validate('syslog', {});
  assert.ok(s.ok);
  assert.deepEqual(s.value.config, { log_level: 'info', successful_severity: 'info', client_errors_severity: 'info', server_errors_severity: 'info', custom_fields_by_lua: null, custom_fields: null, facility: 'user' });
  const l = validate('loggly', { key: 'k' });
  assert.ok(l.ok);
  assert.equal((l.value.config as { host: string }).host, 'logs-01.loggly.com');
  assert.equal((l.value.config as { port: number }).port, 514);
  assert.deepEqual((l.value.config as { tags: string[] }).tags, ['kong']);
});
