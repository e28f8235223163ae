import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeTarget, validateEntity } from './index.ts';

const UPSTREAM_ID = '4b1b701d-de2b-5588-9aa2-3b97061d9f52';

test('upstream defaults, healthchecks fully populated', () => {
  const result = validateEntity('upstreams', { name: 'backend.internal' });
  assert.ok(result.ok);
  const u = result.value;
  assert.equal(u.algorithm, 'round-robin');
  assert.equal(u.hash_on, 'none');
  assert.equal(u.hash_fallback, 'none');
  assert.equal(u.hash_on_cookie_path, '/');
  assert.equal(u.slots, 10000);
  assert.equal(u.use_srv_name, false);
  assert.equal(u.host_header, null);
  assert.deepEqual(u.healthchecks, {
    active: {
      type: 'http',
      timeout: 1,
      concurrency: 10,
      http_path: '/',
      https_sni: null,
      https_verify_certificate: true,
      headers: null,
      healthy: { interval: 0, http_statuses: [200, 302], successes: 0 },
      unhealthy: {
        interval: 0,
        http_statuses: [429, 404, 500, 501, 502, 503, 504, 505],
        tcp_failures: 0,
        timeouts: 0,
        http_failures: 0,
      },
    },
    passive: {
      type: 'http',
      healthy: {
        http_statuses: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308],
        successes: 0,
      },
      unhealthy: { http_statuses: [429, 500, 503], tcp_failures: 0, timeouts: 0, http_failures: 0 },
    },
    threshold: 0,
  });
});

test('partial healthchecks are completed field by field', () => {
  const result = validateEntity('upstreams', { name: 'u', healthchecks: { active: { healthy: { interval: 5 } } } });
  assert.ok(result.ok);
  assert.deepEqual(result.value.healthchecks.active.healthy, { interval: 5, http_statuses: [200, 302], successes: 0 });
  assert.equal(result.value.healthchecks.active.unhealthy.tcp_failures, 0);
  assert.equal(result.value.healthchecks.passive.type, 'http');
});

test('nested healthcheck errors nest', () => {
  const result = validateEntity('upstreams', {
    name: 'bad',
    healthchecks: { active: { concurrency: -1 } },
    host_header: 123,
  });
  assert.deepEqual(result, {
    ok: false,
    errors: {
      healthchecks: { active: { concurrency: 'value should be between 1 and 2147483648' } },
      host_header: 'expected a string',
    },
  });
});

test('upstream name must be a hostname', () => {
  const cases: [string, string][] = [
    ['1.2.3.4', "Invalid name ('1.2.3.4'); no ip addresses allowed"],
    ['a.test:80', "Invalid name ('a.test:80'); no port allowed"],
    ['bad name', "Invalid name ('bad name'); must be a valid hostname"],
  ];
  for (const [name, message] of cases) {
    assert.deepEqual(validateEntity('upstreams', { name }), { ok: false, errors: { name: message } });
  }
});

test('hash_on adjusts the algorithm; header hashing needs a header', () => {
  const hashed = validateEntity('upstreams', { name: 'u', hash_on: 'ip' });
  assert.ok(hashed.ok);
  assert.equal(hashed.value.algorithm, 'consistent-hashing');
  const leastConn = validateEntity('upstreams', { name: 'u', algorithm: 'least-connections' });
  assert.ok(leastConn.ok);
  assert.equal(leastConn.value.hash_on, 'none');
  assert.deepEqual(validateEntity('upstreams', { name: 'u', hash_on: 'header' }), {
    ok: false,
    errors: {
      hash_on_header: 'required field missing',
      '@entity': ["failed conditional validation given value of field 'hash_on'"],
    },
  });
  assert.deepEqual(validateEntity('upstreams', { name: 'u', hash_on: 'cookie', hash_on_cookie: 'c', hash_fallback: 'ip' }), {
    ok: false,
    errors: {
      hash_fallback: 'expected one of: none',
      '@entity': ["failed conditional validation given value of field 'hash_on'"],
    },
  });
  assert.deepEqual(
    validateEntity('upstreams', {
      name: 'u',
      hash_on: 'header',
      hash_on_header: 'x-a',
      hash_fallback: 'header',
      hash_fallback_header: 'x-a',
    }),
    { ok: false, errors: { '@entity': ["values of these fields must be distinct: 'hash_on_header', 'hash_fallback_header'"] } },
  );
});

test('targets: weight, required upstream, address check, normalisation', () => {
  const ok = validateEntity('targets', { target: '10.0.0.1', upstream: { id: UPSTREAM_ID } }, { now: 1_700_000_000_250 });
  assert.ok(ok.ok);
  assert.equal(ok.value.weight, 100);
  assert.equal(ok.value.created_at, 1_700_000_000.25, 'targets use millisecond timestamps');
  assert.deepEqual(validateEntity('targets', { target: 'hostname:1.0', weight: 70000 }), {
    ok: false,
    errors: {
      upstream: 'required field missing',
      target: "Invalid target ('hostname:1.0'); not a valid hostname or ip address",
      weight: 'value should be between 0 and 65535',
    },
  });
  assert.equal(normalizeTarget('10.0.0.1'), '10.0.0.1:8000');
  assert.equal(normalizeTarget('010.0.0.1:80'), '10.0.0.1:80');
  assert.equal(normalizeTarget('example.com'), 'example.com:8000');
  assert.equal(normalizeTarget('[::1]:90'), '[0000:0000:0000:0000:0000:0000:0000:0001]:90');
});
