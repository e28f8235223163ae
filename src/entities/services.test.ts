import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEntity } from './index.ts';
import { schemaViolationMessage } from '../schema/index.ts';

function errors(input: unknown): unknown {
  const result = validateEntity('services', input);
  assert.equal(result.ok, false);
  return result.ok ? undefined : result.errors;
}

test('defaults of a service', () => {
  const result = validateEntity('services', { host: 'example.com' }, { now: 1_700_000_000_000 });
  assert.ok(result.ok);
  const { id, ...rest } = result.value;
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(rest, {
    created_at: 1_700_000_000,
    updated_at: 1_700_000_000,
    name: null,
    retries: 5,
    protocol: 'http',
    host: 'example.com',
    port: 80,
    path: null,
    connect_timeout: 60000,
    write_timeout: 60000,
    read_timeout: 60000,
    tags: null,
    client_certificate: null,
    tls_verify: null,
    tls_verify_depth: null,
    ca_certificates: null,
    enabled: true,
  });
});

test('url shorthand: protocol, host, port (from scheme when absent), path', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['http://example.com', { protocol: 'http', host: 'example.com', port: 80, path: null }],
    ['https://example.com/', { protocol: 'https', host: 'example.com', port: 443, path: '/' }],
    ['grpc://example.com:50051', { protocol: 'grpc', host: 'example.com', port: 50051, path: null }],
    ['http://10.0.0.1:8080/api/v1?ignored=1', { protocol: 'http', host: '10.0.0.1', port: 8080, path: '/api/v1' }],
  ];
  for (const [url, expected] of cases) {
    const result = validateEntity('services', { url });
    assert.ok(result.ok, url);
    const { protocol, host, port, path } = result.value;
    assert.deepEqual({ protocol, host, port, path }, expected, url);
    assert.equal('url' in result.value, false);
  }
});

test('an unparsable url gives the two Kong errors', () => {
  const result = validateEntity('services', { url: 'invalid url' });
  assert.ok(!result.ok);
  assert.equal(schemaViolationMessage(result.errors), '2 schema violations (host: required field missing; path: should start with: /)');
});

test('field rules', () => {
  assert.deepEqual(errors({ port: -12 }), { host: 'required field missing', port: 'value should be between 0 and 65535' });
  assert.deepEqual(errors({ host: 'example.com:80' }), { host: 'must not have a port' });
  assert.deepEqual(errors({ host: 'exa mple' }), { host: 'invalid value: exa mple' });
  assert.deepEqual(errors({ host: 'h', path: 'x' }), { path: 'should start with: /' });
  assert.deepEqual(errors({ host: 'h', path: '/a//b' }), { path: 'must not have empty segments' });
  assert.deepEqual(errors({ host: 'h', path: '/a%zz' }), { path: "invalid url-encoded value: '%zz'" });
  assert.deepEqual(errors({ host: 'h', path: '/a b' }), {
    path: "invalid path: '/a b' (characters outside of the reserved list of RFC 3986 found)",
  });
  assert.deepEqual(errors({ host: 'h', retries: 40000, connect_timeout: 0 }), {
    retries: 'value should be between 0 and 32767',
    connect_timeout: 'value should be between 1 and 2147483646',
  });
  assert.deepEqual(errors({ host: 'h', protocol: 'ftp' }), {
    protocol: 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
  });
  assert.deepEqual(errors({ host: 'h', name: 'has space' }), {
    name: "invalid value 'has space': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
  });
  assert.ok(validateEntity('services', { host: 'h', name: 'café-ünïcode' }).ok);
  assert.deepEqual(errors({ host: 'h', tags: ['ok', 'a,b'] }), {
    tags: [null, "invalid tag 'a,b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"],
  });
});

test('path must be null for stream and gRPC protocols', () => {
  assert.deepEqual(errors({ host: 'h', protocol: 'tcp', path: '/path' }), {
    path: 'value must be null',
    '@entity': ["failed conditional validation given value of field 'protocol'"],
  });
  assert.ok(validateEntity('services', { host: 'h', protocol: 'grpc' }).ok);
});

test('TLS settings only with https or tls', () => {
  const result = errors({ host: 'h', protocol: 'http', tls_verify: true, tls_verify_depth: 3 });
  assert.deepEqual(result, {
    tls_verify: 'value must be null',
    tls_verify_depth: 'value must be null',
    '@entity': [
      "failed conditional validation given value of field 'protocol'",
      "failed conditional validation given value of field 'protocol'",
    ],
  });
  assert.ok(validateEntity('services', { url: 'https://h', tls_verify: true, tls_verify_depth: 3 }).ok);
  assert.deepEqual(errors({ url: 'https://h', ca_certificates: ['nope'] }), { ca_certificates: ['expected a valid UUID'] });
});
