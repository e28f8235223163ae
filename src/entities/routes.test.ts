import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEntity } from './index.ts';

function errors(input: unknown): unknown {
  const result = validateEntity('routes', input);
  assert.equal(result.ok, false, JSON.stringify(input));
  return result.ok ? undefined : result.errors;
}

test('defaults of a route', () => {
  const result = validateEntity('routes', { paths: ['/'] });
  assert.ok(result.ok);
  const r = result.value;
  assert.deepEqual(r.protocols, ['http', 'https']);
  assert.equal(r.https_redirect_status_code, 426);
  assert.equal(r.strip_path, true);
  assert.equal(r.preserve_host, false);
  assert.equal(r.request_buffering, true);
  assert.equal(r.response_buffering, true);
  assert.equal(r.regex_priority, 0);
  assert.equal(r.path_handling, 'v0');
  assert.equal(r.service, null);
  for (const f of ['name', 'hosts', 'methods', 'headers', 'snis', 'sources', 'destinations', 'tags'] as const) {
    assert.equal(r[f], null, f);
  }
});

test('an HTTP route must set a matching field; messages depend on the protocols', () => {
  assert.deepEqual(errors({}), {
    '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"],
  });
  assert.deepEqual(errors({ protocols: ['http'] }), {
    '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"],
  });
  assert.deepEqual(errors({ protocols: ['grpc'] }), {
    '@entity': ["must set one of 'hosts', 'headers', 'paths' when 'protocols' is 'grpc'"],
  });
  assert.deepEqual(errors({ protocols: ['grpcs'] }), {
    '@entity': ["must set one of 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'grpcs'"],
  });
  assert.deepEqual(errors({ protocols: ['tcp'] }), {
    '@entity': ["must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'"],
  });
  assert.deepEqual(errors({ protocols: ['tls_passthrough'] }), {
    '@entity': ["must set snis when 'protocols' is 'tls_passthrough'"],
  });
});

test('protocols: known names, one group only, unknown first protocol', () => {
  assert.deepEqual(errors({ protocols: ['nope'] }), { protocols: 'unknown type: nope' });
  assert.deepEqual(errors({ protocols: ['http', 'nope'], paths: ['/'] }), {
    protocols: [null, 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp'],
  });
  assert.deepEqual(errors({ protocols: ['http', 'tcp'], paths: ['/'] }), {
    protocols: "these sets are mutually exclusive: ('http', 'https'), ('tcp', 'tls', 'udp')",
  });
  assert.deepEqual(errors({ protocols: [], paths: ['/'] }), { protocols: 'unknown type: nil' });
});

test('methods must be upper-case', () => {
  assert.deepEqual(errors({ methods: ['GET', 'get'] }), { methods: [null, 'invalid value: get'] });
});

test('hosts wildcard rules', () => {
  assert.ok(validateEntity('routes', { hosts: ['*.example.com', 'example.*', 'a.test:8080', '*.route.net:123'] }).ok);
  assert.deepEqual(errors({ hosts: ['*.a.*', 'a.*.b', 'route.*:123', 'bad host'] }), {
    hosts: [
      'invalid wildcard: must have at most one wildcard',
      'invalid wildcard: must be placed at leftmost or rightmost label',
      'invalid wildcard: must be placed at leftmost or rightmost label',
      'invalid hostname: bad host',
    ],
  });
});

test('paths rules', () => {
  assert.ok(validateEntity('routes', { paths: ['/', '/a/b', '~/users/(?<id>\\d+)$', '/a%2Fb'] }).ok);
  assert.deepEqual(
    errors({ paths: ['x', '/a//b', '/a/../b', '/caf%C3%A9', '~/(a', '/%zz', '/a%2fb'] }),
    {
      paths: [
        'should start with: / (fixed path) or ~/ (regex path)',
        'must not have empty segments',
        "non-normalized path, consider use '/b' instead",
        "non-normalized path, consider use '/café' instead",
        'invalid regex: \'/(a\' (PCRE returned: pcre2_compile() failed: missing closing parenthesis in "/(a")',
        "invalid url-encoded value: '%zz'",
        "non-normalized path, consider use '/a%2Fb' instead",
      ],
    },
  );
});

test('headers rules', () => {
  assert.ok(validateEntity('routes', { headers: { 'x-version': ['1', '2'] } }).ok);
  assert.deepEqual(errors({ headers: { Host: ['x'] } }), {
    headers: "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
  });
  assert.deepEqual(errors({ headers: { 'bad header': ['x'] } }), {
    headers: "bad header name 'bad header', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
  });
  assert.deepEqual(errors({ headers: { a: 'x' } }), { headers: 'expected an array' });
});

test('snis only with TLS-capable protocols, no IPs or ports', () => {
  assert.ok(validateEntity('routes', { snis: ['*.example.com'] }).ok);
  assert.deepEqual(errors({ protocols: ['http'], snis: ['a.test'], paths: ['/'] }), {
    snis: 'length must be 0',
    '@entity': ["'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"],
  });
  assert.deepEqual(errors({ snis: ['1.2.3.4', 'a.test:443'] }), { snis: ['must not be an IP', 'must not have a port'] });
});

test('https_redirect_status_code', () => {
  assert.deepEqual(errors({ paths: ['/'], https_redirect_status_code: 303 }), {
    https_redirect_status_code: 'expected one of: 426, 301, 302, 307, 308',
  });
});

test('gRPC routes: strip_path defaults to false and cannot be true; no methods', () => {
  const ok = validateEntity('routes', { protocols: ['grpc'], paths: ['/svc'] });
  assert.ok(ok.ok);
  assert.equal(ok.value.strip_path, false);
  assert.deepEqual(errors({ protocols: ['grpcs'], paths: ['/a'], strip_path: true, methods: ['GET'] }), {
    strip_path: "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'",
    methods: "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'",
  });
});

test('stream routes: sources/destinations, no HTTP fields', () => {
  const ok = validateEntity('routes', { protocols: ['tcp'], sources: [{ ip: '10.0.0.0/8' }], destinations: [{ port: 9000 }] });
  assert.ok(ok.ok);
  assert.deepEqual(ok.value.sources, [{ ip: '10.0.0.0/8', port: null }]);
  assert.deepEqual(errors({ protocols: ['tcp'], sources: [{}, { ip: 'nope' }], paths: ['/'] }), {
    paths: "cannot set 'paths' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'",
    sources: [
      { '@entity': ["at least one of these fields must be non-empty: 'ip', 'port'"] },
      { ip: "invalid ip or cidr range: 'nope'" },
    ],
  });
  assert.deepEqual(errors({ paths: ['/'], sources: [{ ip: '1.2.3.4' }] }), {
    sources: "cannot set 'sources' when 'protocols' is 'http' or 'https'",
  });
});

test('an invalid path is reported alone (the entity check still sees a path)', () => {
  assert.deepEqual(errors({ paths: ['nope'] }), { paths: ['should start with: / (fixed path) or ~/ (regex path)'] });
});
