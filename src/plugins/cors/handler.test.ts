import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEntity } from '../../entities/index.ts';
import { pluginRegistry } from '../index.ts';
import { pluginContext, responseHeader, toHeaderFilter, type TestRequest } from '../../../test/support/plugin-context.ts';
import { corsHandler, type CorsConf } from './handler.ts';
import { compileOrigins, matchOrigin, normalizeOrigin } from './origins.ts';
import { CORS_METHODS, type CorsConfig } from './schema.ts';

const registry = pluginRegistry(['cors']);
const validate = (config: unknown) => validateEntity('plugins', { name: 'cors', config }, { plugins: registry });
const DEFAULT_METHODS = CORS_METHODS.join(',');

const prepare = (config: Partial<CorsConfig> = {}): CorsConf =>
  corsHandler.prepare!(
    {
      origins: null,
      headers: null,
      exposed_headers: null,
      methods: [...CORS_METHODS],
      max_age: null,
      credentials: false,
      private_network: false,
      preflight_continue: false,
      allow_origin_absent: true,
      ...config,
    } as CorsConfig,
    undefined as never,
  );

function preflight(conf: CorsConf, origin: string, headers: string[] = []) {
  const ctx = pluginContext({ method: 'OPTIONS', headers: ['Origin', origin, 'Access-Control-Request-Method', 'GET', ...headers] });
  corsHandler.access!(ctx, conf);
  return ctx;
}

/** access then header_filter of a request that is not a preflight, over an upstream response with `upstream` headers. */
function actual(conf: CorsConf, request: TestRequest, upstream: string[] = []) {
  const ctx = pluginContext(request);
  corsHandler.access!(ctx, conf);
  assert.equal(ctx.exited, null);
  toHeaderFilter(ctx, 200, upstream);
  corsHandler.header_filter!(ctx, conf);
  return ctx;
}

const acao = (ctx: ReturnType<typeof preflight>) => responseHeader(ctx, 'Access-Control-Allow-Origin')[0];

describe('cors schema', () => {
  test('origins are *, plain values or regexes that compile; methods are Kong\'s', () => {
    const ok = validate({ origins: ['*', 'example.com', String.raw`.*\.example(?:-foo)?\.com`] });
    assert.ok(ok.ok);
    assert.deepEqual(ok.value.config.methods, [...CORS_METHODS]);
    assert.equal(ok.value.config.preflight_continue, false);
    const badOrigin = validate({ origins: ['.*.example.com', 'invalid_**regex'] });
    assert.ok(!badOrigin.ok);
    assert.deepEqual(badOrigin.errors, { config: { origins: [null, "'invalid_**regex' is not a valid regex"] } });
    const badMethod = validate({ methods: ['FAKE'] });
    assert.ok(!badMethod.ok);
    assert.deepEqual(badMethod.errors, { config: { methods: ['expected one of: GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS, TRACE, CONNECT'] } });
  });
});

describe('cors origins', () => {
  test('normalization: default ports dropped, values without an authority kept as they are', () => {
    assert.deepEqual(normalizeOrigin('http://foo.test:80'), { domain: 'http://foo.test', host: 'foo.test' });
    assert.deepEqual(normalizeOrigin('https://foo.test:443/path'), { domain: 'https://foo.test', host: 'foo.test' });
    assert.deepEqual(normalizeOrigin('https://foo.test:80'), { domain: 'https://foo.test:80', host: 'foo.test' });
    assert.deepEqual(normalizeOrigin('http://user@[::1]:8080'), { domain: 'http://[::1]:8080', host: '[::1]' });
    assert.deepEqual(normalizeOrigin('foo.test'), { domain: 'foo.test', host: 'foo.test' });
    assert.deepEqual(normalizeOrigin('null'), { domain: 'null', host: 'null' });
  });

  // Kong's table (spec/03-plugins/13-cors): what each configuration answers to each Origin; true is the
  // Origin itself, false no Access-Control-Allow-Origin.
  const ORIGINS = ['http://evil.test', 'http://foo.test', 'http://foo.test.evil.test', 'http://something.foo.test', 'http://evilfoo.test', 'http://foo.test:80', 'http://foo.test:8000', 'https://foo.test:8000', 'http://foo.test:90', 'http://foobtest', 'https://bar.test:1234'];
  const CASES: [origins: string[], answers: (string | boolean)[]][] = [
    [['foo.test'], ORIGINS.map(() => 'foo.test')],
    [['https://bar.test:1234'], ORIGINS.map(() => 'https://bar.test:1234')],
    [[String.raw`foo\.test`], [false, true, false, false, false, 'http://foo.test', true, true, true, false, false]],
    [[String.raw`(.*[./])?foo\.test`], [false, true, false, true, false, 'http://foo.test', true, true, true, false, false]],
    [[String.raw`(.*[./])?foo\.test:8000`], [false, false, false, false, false, false, true, true, false, false, false]],
    [[String.raw`https://(.*[.])?foo\.test:8000`], [false, false, false, false, false, false, false, true, false, false, false]],
    [[String.raw`^http://(.*[.])?foo\.test(:(80|90))?$`], [false, true, false, true, false, 'http://foo.test', false, false, true, false, false]],
    [['foo.test', 'bar.test'], ORIGINS.map(() => false)],
    [['http://foo.test', 'https://bar.test:1234'], [false, true, false, false, false, 'http://foo.test', false, false, false, false, true]],
    [['bar.test', String.raw`(.*\.)?foo\.test`], [false, true, false, true, false, 'http://foo.test', true, true, true, false, false]],
    [['bar.test', String.raw`https://(.*\.)?foo\.test:8000`], [false, false, false, false, false, false, false, true, false, false, false]],
  ];
  for (const [origins, answers] of CASES) {
    test(`origins ${JSON.stringify(origins)}`, () => {
      const conf = prepare({ origins });
      ORIGINS.forEach((origin, i) => {
        const ctx = preflight(conf, origin);
        assert.equal(ctx.exited?.status, 200);
        const want = answers[i] === true ? origin : answers[i] === false ? undefined : answers[i];
        assert.equal(acao(ctx), want, `${origin} with ${JSON.stringify(origins)}`);
        assert.equal(responseHeader(ctx, 'Access-Control-Allow-Methods')[0], DEFAULT_METHODS);
      });
    });
  }

  test('* among several entries allows every Origin', () => {
    const policy = compileOrigins(['foo.bar', '*']);
    assert.equal(policy.kind === 'list' && policy.wildcard, true);
    assert.equal(acao(preflight(prepare({ origins: ['foo.bar', '*'] }), 'http://www.example.net')), '*');
    assert.equal(matchOrigin({ kind: 'list', wildcard: false, matchers: [] }, 'http://x'), null);
  });
});

describe('cors preflight', () => {
  test('answered 200 with no body and Kong\'s defaults', () => {
    const ctx = preflight(prepare(), 'origin1.test');
    assert.deepEqual(ctx.exited, { status: 200, kind: 'exit', body: null, headers: [] });
    assert.equal(acao(ctx), '*');
    assert.deepEqual(responseHeader(ctx, 'Vary'), []);
    assert.deepEqual(responseHeader(ctx, 'Access-Control-Allow-Headers'), []);
    assert.deepEqual(responseHeader(ctx, 'Access-Control-Max-Age'), []);
  });

  test('configured values, credentials and echoed request headers', () => {
    const conf = prepare({ origins: ['example.test'], methods: ['GET'], headers: ['origin', 'type', 'accepts'], max_age: 23, credentials: true });
    const ctx = preflight(conf, 'origin5.test');
    assert.equal(acao(ctx), 'example.test');
    assert.equal(responseHeader(ctx, 'Access-Control-Allow-Methods')[0], 'GET');
    assert.equal(responseHeader(ctx, 'Access-Control-Max-Age')[0], '23');
    assert.equal(responseHeader(ctx, 'Access-Control-Allow-Credentials')[0], 'true');
    assert.equal(responseHeader(ctx, 'Access-Control-Allow-Headers')[0], 'origin,type,accepts');
    assert.deepEqual(responseHeader(ctx, 'Vary'), ['Origin']);
    const echoed = preflight(prepare(), 'origin5.test', ['Access-Control-Request-Headers', 'origin,accepts']);
    assert.equal(responseHeader(echoed, 'Access-Control-Allow-Headers')[0], 'origin,accepts');
  });

  test('credentials with * answer the request\'s Origin, with Vary', () => {
    const ctx = preflight(prepare({ origins: ['*'], credentials: true }), 'origin5.test');
    assert.equal(acao(ctx), 'origin5.test');
    assert.equal(responseHeader(ctx, 'Access-Control-Allow-Credentials')[0], 'true');
    assert.deepEqual(responseHeader(ctx, 'Vary'), ['Origin']);
  });

  test('private network only when asked for and configured', () => {
    const conf = prepare({ origins: ['allowed-domain.test'], private_network: true });
    assert.equal(responseHeader(preflight(conf, 'allowed-domain.test', ['Access-Control-Request-Private-Network', 'true']), 'Access-Control-Allow-Private-Network')[0], 'true');
    assert.deepEqual(responseHeader(preflight(conf, 'allowed-domain.test'), 'Access-Control-Allow-Private-Network'), []);
    assert.deepEqual(responseHeader(preflight(prepare(), 'a.test', ['Access-Control-Request-Private-Network', 'true']), 'Access-Control-Allow-Private-Network'), []);
  });

  test('preflight_continue proxies it and adds nothing, in access or header_filter', () => {
    const conf = prepare({ preflight_continue: true });
    const ctx = preflight(conf, 'origin1.test');
    assert.equal(ctx.exited, null);
    toHeaderFilter(ctx);
    corsHandler.header_filter!(ctx, conf);
    assert.deepEqual(responseHeader(ctx, 'Access-Control-Allow-Origin'), []);
  });

  test('OPTIONS without Origin or Access-Control-Request-Method is not a preflight', () => {
    const conf = prepare();
    const noMethod = pluginContext({ method: 'OPTIONS', headers: ['Origin', 'a.test'] });
    corsHandler.access!(noMethod, conf);
    assert.equal(noMethod.exited, null);
    const emptyOrigin = pluginContext({ method: 'OPTIONS', headers: ['Origin', '', 'Access-Control-Request-Method', 'GET'] });
    corsHandler.access!(emptyOrigin, conf);
    assert.equal(emptyOrigin.exited, null);
  });
});

describe('cors on other responses', () => {
  test('configured origin, exposed headers and credentials; Vary added after the upstream\'s', () => {
    const conf = prepare({ origins: ['example.test'], exposed_headers: ['x-auth-token'], credentials: true });
    const ctx = actual(conf, { headers: ['Origin', 'example.test'] }, ['Vary', 'Accept-Encoding']);
    assert.equal(acao(ctx), 'example.test');
    assert.equal(responseHeader(ctx, 'Access-Control-Expose-Headers')[0], 'x-auth-token');
    assert.equal(responseHeader(ctx, 'Access-Control-Allow-Credentials')[0], 'true');
    assert.deepEqual(responseHeader(ctx, 'Vary'), ['Accept-Encoding', 'Origin']);
  });

  test('an Origin that no entry allows removes the upstream\'s Access-Control-Allow-Origin', () => {
    const conf = prepare({ origins: ['allowed-domain.test', 'http://other.test'], credentials: true });
    const allowed = actual(conf, { headers: ['Origin', 'allowed-domain.test'] }, ['Access-Control-Allow-Origin', '*']);
    assert.equal(acao(allowed), 'allowed-domain.test');
    const refused = actual(conf, { headers: ['Origin', 'disallowed-domain.test'] }, ['Access-Control-Allow-Origin', '*']);
    assert.deepEqual(responseHeader(refused, 'Access-Control-Allow-Origin'), []);
    assert.equal(responseHeader(refused, 'Access-Control-Allow-Credentials')[0], 'true');
  });

  test('without an Origin: headers unless allow_origin_absent is off', () => {
    const on = actual(prepare({ origins: ['foo.bar'], credentials: true, exposed_headers: ['x-auth-token'] }), {});
    assert.equal(acao(on), 'foo.bar');
    assert.equal(responseHeader(on, 'Access-Control-Allow-Credentials')[0], 'true');
    const off = actual(prepare({ origins: ['foo.bar'], allow_origin_absent: false }), {});
    assert.deepEqual(responseHeader(off, 'Access-Control-Allow-Origin'), []);
    assert.deepEqual(responseHeader(off, 'Vary'), []);
  });

  test('a preflight answered in access gets nothing more in header_filter', () => {
    const conf = prepare({ origins: ['example.test'], exposed_headers: ['x'] });
    const ctx = preflight(conf, 'example.test');
    toHeaderFilter(ctx, 200);
    corsHandler.header_filter!(ctx, conf);
    assert.deepEqual(responseHeader(ctx, 'Access-Control-Expose-Headers'), []);
  });
});
