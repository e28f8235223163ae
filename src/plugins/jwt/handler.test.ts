/** The jwt handler against a PDK context (no proxy): every refusal, each algorithm family, the token cache. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
import type { PluginContext } from '../../pdk/index.ts';
import { configData, pluginContext, upstreamHeader as upstream } from '../../../test/support/plugin-context.ts';
import { jwtHandler, type JwtConf } from './handler.ts';
import type { JwtConfig } from './schema.ts';

const now = (): number => Math.floor(Date.now() / 1000);
const rs = await generateKeyPair('RS256');
const es = await generateKeyPair('ES256');
const ps = await generateKeyPair('PS384');
const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const ed448 = generateKeyPairSync('ed448');
const small = generateKeyPairSync('rsa', { modulusLength: 1024 });

const DATA = configData({
  consumers: [
    { id: 'c-ann', username: 'ann', custom_id: 'ann-1' },
    { id: 'c-anon', username: 'anonymous', custom_id: null },
  ],
  jwt_secrets: [
    { id: 'j-hs', consumer: { id: 'c-ann' }, key: 'hs-key', secret: 'hs-secret', algorithm: 'HS256', rsa_public_key: null },
    { id: 'j-b64', consumer: { id: 'c-ann' }, key: 'b64-key', secret: Buffer.from('raw secret bytes').toString('base64url'), algorithm: 'HS512', rsa_public_key: null },
    { id: 'j-rs', consumer: { id: 'c-ann' }, key: 'rs-key', secret: 'x', algorithm: 'RS256', rsa_public_key: await exportSPKI(rs.publicKey) },
    { id: 'j-es', consumer: { id: 'c-ann' }, key: 'es-key', secret: 'x', algorithm: 'ES256', rsa_public_key: await exportSPKI(es.publicKey) },
    { id: 'j-es-none', consumer: { id: 'c-ann' }, key: 'es-nokey', secret: 'x', algorithm: 'ES256', rsa_public_key: null },
    { id: 'j-ps', consumer: { id: 'c-ann' }, key: 'ps-key', secret: 'x', algorithm: 'PS384', rsa_public_key: await exportSPKI(ps.publicKey) },
    { id: 'j-ed', consumer: { id: 'c-ann' }, key: 'ed-key', secret: 'x', algorithm: 'EdDSA', rsa_public_key: await exportSPKI(ed.publicKey) },
    { id: 'j-ed448', consumer: { id: 'c-ann' }, key: 'ed448-key', secret: 'x', algorithm: 'EdDSA', rsa_public_key: ed448.publicKey.export({ type: 'spki', format: 'pem' }) },
    { id: 'j-broken', consumer: { id: 'c-ann' }, key: 'broken-key', secret: 'x', algorithm: 'ES384', rsa_public_key: 'not a PEM key' },
    { id: 'j-mismatch', consumer: { id: 'c-ann' }, key: 'mismatch-key', secret: 'x', algorithm: 'ES256', rsa_public_key: await exportSPKI(rs.publicKey) },
    { id: 'j-small', consumer: { id: 'c-ann' }, key: 'small-key', secret: 'x', algorithm: 'RS256', rsa_public_key: small.publicKey.export({ type: 'spki', format: 'pem' }) },
  ],
});

const DEFAULTS = {
  uri_param_names: ['jwt'], cookie_names: [], header_names: ['authorization'], key_claim_name: 'iss', secret_is_base64: false,
  claims_to_verify: null, anonymous: null, run_on_preflight: true, maximum_expiration: 0, realm: null,
};

function conf(config: Record<string, unknown> = {}): JwtConf {
  return jwtHandler.prepare!({ ...DEFAULTS, ...config } as JwtConfig, DATA);
}

function context(url: string, headers: string[], method: string): PluginContext {
  return pluginContext({ url, headers, method, upstreamHeaders: ['X-Consumer-ID', 'forged', 'X-Anonymous-Consumer', 'true'], data: DATA });
}

async function run(c: JwtConf, url: string, rawHeaders: string[] = [], method = 'GET'): Promise<PluginContext> {
  const ctx = context(url, rawHeaders, method);
  await jwtHandler.access!(ctx, c);
  return ctx;
}

const bearer = (token: string): string[] => ['Authorization', `Bearer ${token}`];


function sign(claims: Record<string, unknown>, alg: string, key: Parameters<SignJWT['sign']>[0], header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT', ...header }).sign(key);
}
const hs = (claims: Record<string, unknown>, secret = 'hs-secret', alg = 'HS256') => sign(claims, alg, new TextEncoder().encode(secret));

function refusal(ctx: PluginContext, body: unknown, challenge = 'Bearer error="invalid_token"'): void {
  assert.deepEqual(ctx.exited, { status: 401, kind: 'exit', body, headers: ['WWW-Authenticate', challenge] });
}

describe('jwt refusals', () => {
  test('no token: 401 Unauthorized with a bare Bearer challenge (realm when set)', async () => {
    refusal(await run(conf(), '/'), { message: 'Unauthorized' }, 'Bearer');
    refusal(await run(conf({ realm: 'kong' }), '/'), { message: 'Unauthorized' }, 'Bearer realm="kong"');
    refusal(await run(conf({ realm: 'kong' }), '/', bearer('x.y')), { message: 'Bad token; invalid JSON' }, 'Bearer realm="kong", error="invalid_token"');
  });

  test("Kong's messages, in Kong's order", async () => {
    const c = conf();
    refusal(await run(c, '/', bearer('not-a-token')), { message: 'Bad token; invalid JSON' });
    refusal(await run(c, '/', bearer(await hs({ sub: 'x' }))), { message: "No mandatory 'iss' in claims" });
    refusal(await run(c, '/', bearer(await hs({ iss: '' }))), { message: "Invalid 'iss' in claims" });
    refusal(await run(c, '/', bearer(await hs({ iss: 'nobody' }))), { message: "No credentials found for given 'iss'" });
    refusal(await run(c, '/', bearer(await hs({ iss: 'hs-key' }, 'wrong secret'))), { message: 'Invalid signature' });
    refusal(await run(c, '/', bearer(await hs({ iss: 'hs-key' }, 'hs-secret', 'HS384'))), { message: 'Invalid algorithm' });
    refusal(await run(c, '/', bearer(await sign({ iss: 'es-nokey' }, 'ES256', es.privateKey))), { message: 'Invalid key/secret' });
    refusal(await run(c, '/?jwt=a&jwt=b'), { message: 'Multiple tokens provided' });
    refusal(await run(c, '/?jwt'), { message: 'Unrecognizable token' });
  });

  test('the same token in two places is one token', async () => {
    const token = await hs({ iss: 'hs-key' });
    const ctx = await run(conf(), `/?jwt=${token}`, bearer(token));
    assert.equal(ctx.exited, null);
  });

  test('claims_to_verify: errors keyed by claim with no message', async () => {
    const c = conf({ claims_to_verify: ['exp', 'nbf'] });
    refusal(await run(c, '/', bearer(await hs({ iss: 'hs-key' }))), { exp: 'must be a number', nbf: 'must be a number' });
    refusal(await run(c, '/', bearer(await hs({ iss: 'hs-key', exp: now() - 1, nbf: now() - 10 }))), { exp: 'token expired' });
    refusal(await run(c, '/', bearer(await hs({ iss: 'hs-key', exp: now() + 100, nbf: now() + 50 }))), { nbf: 'token not valid yet' });
    assert.equal((await run(c, '/', bearer(await hs({ iss: 'hs-key', exp: now() + 100, nbf: now() - 1 })))).exited, null);
  });

  test('maximum_expiration', async () => {
    const c = conf({ claims_to_verify: ['exp'], maximum_expiration: 60 });
    refusal(await run(c, '/', bearer(await hs({ iss: 'hs-key', exp: now() + 600 }))), { exp: 'exceeds maximum allowed expiration' });
    assert.equal((await run(c, '/', bearer(await hs({ iss: 'hs-key', exp: now() + 30 })))).exited, null);
  });
});

describe('jwt accepts', () => {
  for (const [name, make] of [
    ['HS256', () => hs({ iss: 'hs-key' })],
    ['HS512 with a base64url secret', () => hs({ iss: 'b64-key' }, 'raw secret bytes', 'HS512')],
    ['RS256', () => sign({ iss: 'rs-key' }, 'RS256', rs.privateKey)],
    ['ES256', () => sign({ iss: 'es-key' }, 'ES256', es.privateKey)],
    ['PS384', () => sign({ iss: 'ps-key' }, 'PS384', ps.privateKey)],
    ['EdDSA (Ed25519)', () => sign({ iss: 'ed-key' }, 'EdDSA', ed.privateKey)],
  ] as const) {
    test(`${name}: consumer headers, credential identifier = key`, async () => {
      const token = await make();
      const c = conf({ secret_is_base64: name.includes('base64') });
      const ctx = await run(c, '/', bearer(token));
      assert.equal(ctx.exited, null, JSON.stringify(ctx.exited));
      assert.equal(upstream(ctx, 'X-Consumer-ID'), 'c-ann');
      assert.equal(upstream(ctx, 'X-Consumer-Username'), 'ann');
      assert.equal(upstream(ctx, 'X-Consumer-Custom-ID'), 'ann-1');
      assert.equal(upstream(ctx, 'X-Credential-Identifier'), JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).iss);
      assert.equal(upstream(ctx, 'X-Anonymous-Consumer'), undefined);
      assert.equal(ctx.ctx.shared.authenticated_jwt_token, token);
      const credential = ctx.credential as unknown as Record<string, unknown>;
      assert.equal('secret' in credential || 'rsa_public_key' in credential, false, 'later plugins see no key material');
    });
  }

  test('EdDSA with an Ed448 key (verified by Node.js: jose has no Ed448)', async () => {
    const { sign: nodeSign } = await import('node:crypto');
    const input = `${Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'ed448-key' })).toString('base64url')}`;
    const token = `${input}.${nodeSign(null, Buffer.from(input), ed448.privateKey).toString('base64url')}`;
    assert.equal((await run(conf(), '/', bearer(token))).exited, null);
    refusal(await run(conf(), '/', bearer(`${token.slice(0, -4)}AAAA`)), { message: 'Invalid signature' });
  });

  test('an RSA key under 2048 bits verifies nothing (jose refuses it)', async () => {
    const { sign: nodeSign } = await import('node:crypto');
    const input = `${Buffer.from(JSON.stringify({ alg: 'RS256' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'small-key' })).toString('base64url')}`;
    const token = `${input}.${nodeSign('sha256', Buffer.from(input), small.privateKey).toString('base64url')}`;
    refusal(await run(conf(), '/', bearer(token)), { message: 'Invalid signature' });
  });

  test('a stored ES* key that does not parse fails the request (a 500, as Kong); a key of another type verifies nothing', async () => {
    const broken = await sign({ iss: 'broken-key' }, 'ES384', (await generateKeyPair('ES384')).privateKey);
    await assert.rejects(Promise.resolve(jwtHandler.access!(context('/', bearer(broken), 'GET'), conf())), /Consumer Public Key is Invalid/);
    refusal(await run(conf(), '/', bearer(await sign({ iss: 'mismatch-key' }, 'ES256', es.privateKey))), { message: 'Invalid signature' });
  });

  test('a secret that is not base64url with secret_is_base64: Invalid key/secret', async () => {
    refusal(await run(conf({ secret_is_base64: true }), '/', bearer(await hs({ iss: 'hs-key' }))), { message: 'Invalid key/secret' });
  });

  test('token sources: custom query parameter, cookie, custom header (first occurrence)', async () => {
    const token = await hs({ iss: 'hs-key' });
    assert.equal((await run(conf({ uri_param_names: ['token'] }), `/?token=${token}`)).exited, null);
    assert.equal((await run(conf({ cookie_names: ['crumble'] }), '/', ['Cookie', `a=1; crumble=${token}`])).exited, null);
    const custom = conf({ header_names: ['x-auth'] });
    assert.equal((await run(custom, '/', ['X-Auth', `Bearer ${token}`, 'X-Auth', 'Bearer other'])).exited, null);
    refusal(await run(custom, '/', bearer(token)), { message: 'Unauthorized' }, 'Bearer');
  });

  test('a verified token is cached: the next request is synchronous; claims are still checked per request', async () => {
    const c = conf({ claims_to_verify: ['exp'] });
    const token = await sign({ iss: 'rs-key', exp: now() + 2 }, 'RS256', rs.privateKey);
    const first = context('/', bearer(token), 'GET');
    const pending = jwtHandler.access!(first, c);
    assert.ok(pending instanceof Promise, 'the first request verifies the signature');
    await pending;
    assert.equal(first.exited, null);
    const second = context('/', bearer(token), 'GET');
    assert.equal(jwtHandler.access!(second, c), undefined, 'the second one is answered from the cache');
    assert.equal(second.exited, null);
    assert.equal(c.verified.size, 1);
    // Another configuration (a new snapshot) has its own, empty cache.
    assert.equal(conf().verified.size, 0);
  });
});

describe('jwt anonymous and preflight', () => {
  test('anonymous: refused tokens become the anonymous consumer; a good token still wins', async () => {
    const c = conf({ anonymous: 'anonymous' });
    const anon = await run(c, '/', bearer(await hs({ iss: 'nobody' })));
    assert.equal(anon.exited, null);
    assert.equal(upstream(anon, 'X-Consumer-ID'), 'c-anon');
    assert.equal(upstream(anon, 'X-Anonymous-Consumer'), 'true');
    assert.equal(upstream(anon, 'X-Credential-Identifier'), undefined);
    const good = await run(c, '/', bearer(await hs({ iss: 'hs-key' })));
    assert.equal(upstream(good, 'X-Consumer-ID'), 'c-ann');
  });

  test('anonymous naming no consumer: 500 with Kong message', async () => {
    const ctx = await run(conf({ anonymous: 'ghost' }), '/');
    assert.deepEqual(ctx.exited, { status: 500, kind: 'error', body: "anonymous consumer ghost is configured but doesn't exist", headers: [] });
  });

  test('run_on_preflight=false lets OPTIONS through; true (default) does not', async () => {
    assert.equal((await run(conf({ run_on_preflight: false }), '/', [], 'OPTIONS')).exited, null);
    refusal(await run(conf(), '/', [], 'OPTIONS'), { message: 'Unauthorized' }, 'Bearer');
  });
});
