/**
 * jwt through a real node and a real upstream: credentials from the Admin API (SQLite and PostgreSQL) with
 * Kong's paths and 400s, every refusal body and challenge, each algorithm family with keys generated here,
 * the three token sources, anonymous chaining with key-auth, preflight; then `db_export`/`db_import`, and a
 * DB-less declarative file with `consumers[].jwt_secrets`, and secrets pushed from a control plane to a data plane.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { SignJWT } from 'jose';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';
import { admin as hybridAdmin, certsFor, makeHybridCerts, startControlPlane, startDataPlane, type ControlPlaneNode, type HybridCerts } from './helpers/hybrid.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: Record<string, unknown> | null;
}

async function call(url: string, method = 'GET', headers: Record<string, string> = {}, body?: unknown): Promise<Reply> {
  const res = await request(url, {
    method: method as 'POST',
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  let parsed: Record<string, unknown> | null = null;
  try {
    parsed = text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    parsed = null;
  }
  return { status: res.statusCode, headers: res.headers, text, body: parsed };
}

async function form(url: string, fields: Record<string, string>): Promise<Reply> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
}

const now = (): number => Math.floor(Date.now() / 1000);
const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const echoOf = (reply: Reply): Echo => JSON.parse(reply.text) as Echo;

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const ed448 = generateKeyPairSync('ed448');

function hs(claims: Record<string, unknown>, secret: string, alg = 'HS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}
function signed(claims: Record<string, unknown>, alg: string, key: KeyObject): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
}

/** The refusal Kong sends: status 401, this exact body and this challenge. */
function assertRefused(reply: Reply, body: string, challenge = 'Bearer error="invalid_token"'): void {
  assert.equal(reply.status, 401, reply.text);
  assert.equal(reply.text, body);
  assert.equal(reply.headers['www-authenticate'], challenge);
}

for (const database of ['sqlite', 'postgres'] as const) describe(`jwt from the Admin API (${database})`, () => {
  let up: TestUpstream;
  let node: TollgateNode;
  let db: TestDatabase | null = null;
  let prefix: string;
  let env: Record<string, string>;
  let hsCred: Record<string, unknown>;
  const proxy = (path: string, headers: Record<string, string> = {}, method = 'GET') => call(`${node.proxy}${path}`, method, headers);
  const admin = (method: string, path: string, body?: unknown) => call(`${node.admin}${path}`, method, {}, body);

  before(async () => {
    up = await startUpstream('jwt-up');
    prefix = mkdtempSync(join(tmpdir(), 'tg-jwt-'));
    env = { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: prefix };
    if (database === 'postgres') {
      db = await createTestDatabase();
      env = { ...db.env, TOLLGATE_PREFIX: prefix };
      const boot = await runTollgate(['migrations', 'bootstrap'], env);
      assert.equal(boot.code, 0, boot.stderr);
    }
    node = await startTollgate({ env, prefix, keepPrefix: true });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await db?.drop();
  });

  test('credentials: created under the consumer with a generated key and secret, read by key or id, 400s naming the field', async () => {
    assert.equal((await admin('POST', '/services', { name: 'svc', url: `http://127.0.0.1:${up.port}` })).status, 201);
    for (const [name, path] of [['plain', '/plain'], ['realm', '/realm'], ['chain', '/chain'], ['preflight', '/preflight']]) {
      assert.equal((await admin('POST', '/services/svc/routes', { name, paths: [path] })).status, 201);
    }
    assert.equal((await admin('POST', '/consumers', { username: 'luka', custom_id: 'l-1' })).status, 201);
    assert.equal((await admin('POST', '/consumers', { username: 'anon' })).status, 201);

    const created = await form(`${node.admin}/consumers/luka/jwt`, {});
    assert.equal(created.status, 201, created.text);
    hsCred = created.body!;
    assert.match(String(hsCred.key), /^[A-Za-z0-9]{32}$/);
    assert.match(String(hsCred.secret), /^[A-Za-z0-9]{32}$/);
    assert.equal(hsCred.algorithm, 'HS256');
    assert.equal(hsCred.rsa_public_key, null);
    assert.deepEqual(hsCred.consumer, { id: (await admin('GET', '/consumers/luka')).body!.id });

    for (const [key, algorithm, publicKey] of [['rs-iss', 'RS256', pem(rsa.publicKey)], ['es-iss', 'ES256', pem(ec.publicKey)], ['ps-iss', 'PS256', pem(rsa.publicKey)], ['ed-iss', 'EdDSA', pem(ed.publicKey)]]) {
      const res = await admin('POST', '/consumers/luka/jwt', { key, algorithm, rsa_public_key: publicKey });
      assert.equal(res.status, 201, res.text);
    }
    assert.equal((await admin('POST', '/consumers/luka/jwt', { key: 'named-iss', secret: 'named-secret', tags: ['t1'] })).status, 201);

    assert.equal((await admin('GET', `/jwts/${String(hsCred.key)}`)).body!.id, hsCred.id);
    assert.equal((await admin('GET', `/consumers/luka/jwt/${String(hsCred.id)}`)).body!.key, hsCred.key);
    assert.equal((await admin('GET', '/consumers/luka/jwt/rs-iss')).body!.algorithm, 'RS256');
    assert.equal(((await admin('GET', '/consumers/luka/jwt')).body!.data as unknown[]).length, 6);
    assert.equal(((await admin('GET', '/jwts?tags=t1')).body!.data as unknown[]).length, 1);
    assert.equal((await admin('GET', '/consumers/anon/jwt/rs-iss')).status, 404);

    const noKey = await admin('POST', '/consumers/luka/jwt', { key: 'bad-1', algorithm: 'RS256' });
    assert.equal(noKey.status, 400);
    assert.deepEqual(noKey.body!.fields, { rsa_public_key: 'required field missing', '@entity': ["failed conditional validation given value of field 'algorithm'"] });
    const badKey = await admin('POST', '/consumers/luka/jwt', { key: 'bad-2', algorithm: 'EdDSA', rsa_public_key: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' });
    assert.equal(badKey.status, 400);
    assert.deepEqual(badKey.body!.fields, { rsa_public_key: 'invalid key', '@entity': ["failed conditional validation given value of field 'algorithm'"] });
    const badAlg = await admin('POST', '/consumers/luka/jwt', { algorithm: 'none' });
    assert.equal(badAlg.status, 400);
    assert.match(String((badAlg.body!.fields as Record<string, unknown>).algorithm), /^expected one of: HS256, /);
    const noConsumer = await admin('POST', '/jwts', { key: 'orphan' });
    assert.equal(noConsumer.status, 400);
    assert.equal(noConsumer.body!.message, 'schema violation (consumer: required field missing)');
    const duplicate = await admin('POST', '/consumers/anon/jwt', { key: 'rs-iss' });
    assert.equal(duplicate.status, 409, duplicate.text);

    // PUT by key creates; PATCH by id changes; DELETE under the consumer by key removes.
    const consumerId = (await admin('GET', '/consumers/anon')).body!.id;
    const put = await admin('PUT', '/jwts/put-iss', { consumer: { id: consumerId }, secret: 'put-secret' });
    assert.equal(put.status, 200, put.text);
    const patched = await admin('PATCH', `/jwts/${String(put.body!.id)}`, { secret: 'patched-secret' });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body!.secret, 'patched-secret');
    assert.equal((await admin('DELETE', '/consumers/anon/jwt/put-iss')).status, 204);
    assert.equal((await admin('GET', '/jwts/put-iss')).status, 404);
    const nestedPut = await admin('PUT', '/consumers/anon/jwt/abcd', {});
    assert.equal(nestedPut.status, 200, nestedPut.text);
    assert.equal(nestedPut.body!.key, 'abcd');
    assert.deepEqual(nestedPut.body!.consumer, { id: consumerId });

    // The owner, by the credential's key or id.
    assert.equal((await admin('GET', '/jwts/abcd/consumer')).body!.username, 'anon');
    assert.equal((await admin('GET', `/jwts/${String(nestedPut.body!.id)}/consumer`)).body!.username, 'anon');
    assert.equal((await admin('GET', '/jwts/no-such-key/consumer')).status, 404);

    // A PEM key sent form-encoded with CRLF line ends, as Kong's tests send it.
    const crlf = await form(`${node.admin}/consumers/anon/jwt`, { key: 'crlf-iss', algorithm: 'RS256', rsa_public_key: pem(rsa.publicKey).replaceAll('\n', '\r\n') });
    assert.equal(crlf.status, 201, crlf.text);
  });

  test('plugins: Kong defaults, and the maximum_expiration rule as a 400 naming the field', async () => {
    const plain = await admin('POST', '/routes/plain/plugins', { name: 'jwt', config: { cookie_names: ['crumble'], uri_param_names: ['jwt', 'token'] } });
    assert.equal(plain.status, 201, plain.text);
    assert.deepEqual((plain.body!.config as Record<string, unknown>).header_names, ['authorization']);
    assert.equal((plain.body!.config as Record<string, unknown>).key_claim_name, 'iss');

    const bad = await admin('POST', '/routes/realm/plugins', { name: 'jwt', config: { maximum_expiration: 60, claims_to_verify: ['nbf'] } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body!.fields, {
      config: { claims_to_verify: 'expected to contain: exp' },
      '@entity': ["failed conditional validation given value of field 'config.maximum_expiration'"],
    });
    const range = await admin('POST', '/routes/realm/plugins', { name: 'jwt', config: { maximum_expiration: -1, claims_to_verify: ['exp'] } });
    assert.equal(range.status, 400);
    assert.deepEqual(range.body!.fields, { config: { maximum_expiration: 'value should be between 0 and 31536000' } });

    const realm = await admin('POST', '/routes/realm/plugins', { name: 'jwt', config: { realm: 'tollgate', claims_to_verify: ['exp', 'nbf'], maximum_expiration: 600, header_names: ['x-token'] } });
    assert.equal(realm.status, 201, realm.text);
    assert.equal((await admin('POST', '/routes/chain/plugins', { name: 'jwt', config: { anonymous: 'anon' } })).status, 201);
    assert.equal((await admin('POST', '/routes/chain/plugins', { name: 'key-auth', config: { anonymous: 'anon' } })).status, 201);
    assert.equal((await admin('POST', '/consumers/anon/key-auth', { key: 'anon-api-key' })).status, 201);
    assert.equal((await admin('POST', '/routes/preflight/plugins', { name: 'jwt', config: { run_on_preflight: false } })).status, 201);
    await waitUntil(async () => (await proxy('/preflight')).status === 401 && (await proxy('/chain')).status === 200, 10_000, 'the plugins on the proxy');
  });

  test("refusals: Kong's bodies and challenges", async () => {
    const key = String(hsCred.key);
    const secret = String(hsCred.secret);
    assertRefused(await proxy('/plain'), '{"message":"Unauthorized"}', 'Bearer');
    assertRefused(await proxy('/plain', { authorization: 'Basic abc' }), '{"message":"Unauthorized"}', 'Bearer');
    assertRefused(await proxy('/plain', bearer('a.b.c')), '{"message":"Bad token; invalid JSON"}');
    assertRefused(await proxy('/plain', { cookie: 'crumble=garbage' }), '{"message":"Bad token; invalid JSON"}');
    assertRefused(await proxy('/plain', bearer(await hs({ sub: 'x' }, secret))), `{"message":"No mandatory 'iss' in claims"}`);
    assertRefused(await proxy('/plain', bearer(await hs({ iss: '' }, secret))), `{"message":"Invalid 'iss' in claims"}`);
    assertRefused(await proxy('/plain', bearer(await hs({ iss: 'nobody' }, secret))), `{"message":"No credentials found for given 'iss'"}`);
    assertRefused(await proxy('/plain', bearer(await hs({ iss: key }, 'not the secret'))), '{"message":"Invalid signature"}');
    assertRefused(await proxy('/plain', bearer(await hs({ iss: key }, secret, 'HS512'))), '{"message":"Invalid algorithm"}');
    assertRefused(await proxy('/plain', bearer(await signed({ iss: 'rs-iss' }, 'RS256', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey))), '{"message":"Invalid signature"}');
    const a = await hs({ iss: key, n: 1 }, secret);
    const b = await hs({ iss: key, n: 2 }, secret);
    assertRefused(await proxy(`/plain?jwt=${a}`, bearer(b)), '{"message":"Multiple tokens provided"}');

    const realm = (headers: Record<string, string>) => proxy('/realm', headers);
    const x = (token: string) => ({ 'x-token': `Bearer ${token}` });
    assertRefused(await realm({}), '{"message":"Unauthorized"}', 'Bearer realm="tollgate"');
    assertRefused(await realm(x(await hs({ iss: key }, secret))), '{"exp":"must be a number","nbf":"must be a number"}', 'Bearer realm="tollgate", error="invalid_token"');
    assertRefused(await realm(x(await hs({ iss: key, exp: now() - 5, nbf: now() - 10 }, secret))), '{"exp":"token expired"}', 'Bearer realm="tollgate", error="invalid_token"');
    assertRefused(await realm(x(await hs({ iss: key, exp: now() + 60, nbf: now() + 30 }, secret))), '{"nbf":"token not valid yet"}', 'Bearer realm="tollgate", error="invalid_token"');
    assertRefused(await realm(x(await hs({ iss: key, exp: now() + 6000, nbf: now() - 1 }, secret))), '{"exp":"exceeds maximum allowed expiration"}', 'Bearer realm="tollgate", error="invalid_token"');
    assert.equal((await realm(x(await hs({ iss: key, exp: now() + 300, nbf: now() - 1 }, secret)))).status, 200);
  });

  test('each algorithm family proxies with the consumer headers; the credential identifier is the key', async () => {
    const tokens: [string, string][] = [
      [String(hsCred.key), await hs({ iss: hsCred.key }, String(hsCred.secret))],
      ['named-iss', await hs({ iss: 'named-iss' }, 'named-secret')],
      ['rs-iss', await signed({ iss: 'rs-iss' }, 'RS256', rsa.privateKey)],
      ['es-iss', await signed({ iss: 'es-iss' }, 'ES256', ec.privateKey)],
      ['ps-iss', await signed({ iss: 'ps-iss' }, 'PS256', rsa.privateKey)],
      ['ed-iss', await signed({ iss: 'ed-iss' }, 'EdDSA', ed.privateKey)],
    ];
    for (const [iss, token] of tokens) {
      const ok = await proxy('/plain/anything', { ...bearer(token), 'x-consumer-id': 'forged', 'x-anonymous-consumer': 'true' });
      assert.equal(ok.status, 200, `${iss}: ${ok.text}`);
      const echo = echoOf(ok);
      assert.equal(echo.headers['x-consumer-username'], 'luka');
      assert.equal(echo.headers['x-consumer-custom-id'], 'l-1');
      assert.match(String(echo.headers['x-consumer-id']), /^[0-9a-f-]{36}$/);
      assert.equal(echo.headers['x-credential-identifier'], iss);
      assert.equal(echo.headers['x-anonymous-consumer'], undefined);
      // Again: answered from the verified-token cache, the same way.
      const again = await proxy('/plain/anything', bearer(token));
      assert.equal(echoOf(again).headers['x-credential-identifier'], iss);
    }
    const crlf = await proxy('/plain', bearer(await signed({ iss: 'crlf-iss' }, 'RS256', rsa.privateKey)));
    assert.equal(crlf.status, 200, crlf.text);
    assert.equal(echoOf(crlf).headers['x-consumer-username'], 'anon');
  });

  test('token sources: query parameters, a cookie, the configured header', async () => {
    const token = await signed({ iss: 'es-iss' }, 'ES256', ec.privateKey);
    assert.equal((await proxy(`/plain?jwt=${token}`)).status, 200);
    assert.equal((await proxy(`/plain?token=${token}`)).status, 200);
    const viaCookie = await proxy('/plain', { cookie: `other=1; crumble=${token}` });
    assert.equal(viaCookie.status, 200, viaCookie.text);
    assert.equal((await proxy('/plain', { cookie: `crumbles=${token}` })).status, 401);
    assert.equal((await proxy(`/plain?jwt=${token}`, bearer(token))).status, 200, 'the same token twice is one token');
  });

  test('anonymous chains with key-auth (logical OR); preflight passes when run_on_preflight is false', async () => {
    const jwtOnly = await proxy('/chain', bearer(await signed({ iss: 'rs-iss' }, 'RS256', rsa.privateKey)));
    assert.equal(echoOf(jwtOnly).headers['x-consumer-username'], 'luka');
    assert.equal(echoOf(jwtOnly).headers['x-credential-identifier'], 'rs-iss');
    const keyOnly = await proxy('/chain', { apikey: 'anon-api-key' });
    assert.equal(echoOf(keyOnly).headers['x-consumer-username'], 'anon');
    assert.equal(echoOf(keyOnly).headers['x-anonymous-consumer'], undefined);
    const neither = await proxy('/chain', bearer('bad'));
    assert.equal(neither.status, 200);
    assert.equal(echoOf(neither).headers['x-consumer-username'], 'anon');
    assert.equal(echoOf(neither).headers['x-anonymous-consumer'], 'true');

    assert.equal((await proxy('/preflight', {}, 'OPTIONS')).status, 200);
    assertRefused(await proxy('/preflight'), '{"message":"Unauthorized"}', 'Bearer');
    assertRefused(await proxy('/plain', {}, 'OPTIONS'), '{"message":"Unauthorized"}', 'Bearer');
  });

  test('a deleted credential stops working at once, cached token or not', async () => {
    const token = await signed({ iss: 'ps-iss' }, 'PS256', rsa.privateKey);
    assert.equal((await proxy('/plain', bearer(token))).status, 200);
    assert.equal((await admin('DELETE', '/consumers/luka/jwt/ps-iss')).status, 204);
    await waitUntil(async () => (await proxy('/plain', bearer(token))).status === 401, 10_000, 'the deletion on the proxy');
    assertRefused(await proxy('/plain', bearer(token)), `{"message":"No credentials found for given 'iss'"}`);
  });

  if (database === 'sqlite') {
    test('db_export writes the secrets under their consumer; db_import into a new database authenticates the same', async () => {
      await node.stop();
      const exported = await runTollgate(['config', 'db_export'], env);
      assert.equal(exported.code, 0, exported.stderr);
      assert.match(exported.stdout, /jwt_secrets:/);
      assert.match(exported.stdout, /key: rs-iss/);
      const file = join(prefix, 'export.yml');
      writeFileSync(file, exported.stdout);
      const fresh = mkdtempSync(join(tmpdir(), 'tg-jwt-import-'));
      const freshEnv = { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: fresh };
      assert.equal((await runTollgate(['migrations', 'bootstrap'], freshEnv)).code, 0);
      const imported = await runTollgate(['config', 'db_import', file], freshEnv);
      assert.equal(imported.code, 0, imported.stderr);
      node = await startTollgate({ env: freshEnv });
      await waitUntil(async () => (await proxy('/plain')).status === 401, 10_000, 'the imported plugins');
      const ok = await proxy('/plain', bearer(await signed({ iss: 'ed-iss' }, 'EdDSA', ed.privateKey)));
      assert.equal(ok.status, 200, ok.text);
      assert.equal(echoOf(ok).headers['x-credential-identifier'], 'ed-iss');
      assert.equal((await proxy('/plain', bearer(await hs({ iss: hsCred.key }, String(hsCred.secret))))).status, 200);
    });
  }
});

describe('jwt from a DB-less declarative file', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('jwt-dbless');
    const indent = (text: string) => text.trim().split('\n').map((line) => `          ${line}`).join('\n');
    node = await startTollgate({
      config: `_format_version: "3.0"
services:
  - name: locked
    url: http://127.0.0.1:${up.port}
    routes:
      - name: locked
        paths: [/locked]
    plugins:
      - name: jwt
        config:
          key_claim_name: kid
          secret_is_base64: true
consumers:
  - username: ann
    jwt_secrets:
      - key: ann-hs
        secret: ${Buffer.from('decoded secret').toString('base64url')}
        algorithm: HS384
      - key: ann-rs
        algorithm: RS512
        rsa_public_key: |
${indent(pem(rsa.publicKey))}
      - key: ann-ed448
        algorithm: EdDSA
        rsa_public_key: |
${indent(pem(ed448.publicKey))}
`,
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('nested jwt_secrets authenticate; the key claim and base64 secrets are as configured', async () => {
    const hsToken = await new SignJWT({ kid: 'ann-hs' }).setProtectedHeader({ alg: 'HS384' }).sign(new TextEncoder().encode('decoded secret'));
    const ok = await call(`${node.proxy}/locked`, 'GET', bearer(hsToken));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(echoOf(ok).headers['x-credential-identifier'], 'ann-hs');
    assert.equal(echoOf(ok).headers['x-consumer-username'], 'ann');
    // The key claim may sit in the header when the payload lacks it (RS512, jose-signed).
    const rsToken = await new SignJWT({}).setProtectedHeader({ alg: 'RS512', kid: 'ann-rs' }).sign(rsa.privateKey);
    assert.equal((await call(`${node.proxy}/locked`, 'GET', bearer(rsToken))).status, 200);
    assertRefused(await call(`${node.proxy}/locked`, 'GET', bearer(await hs({ iss: 'ann-hs' }, 'x'))), `{"message":"No mandatory 'kid' in claims"}`);
  });

  test('EdDSA with an Ed448 key (jose has no Ed448: verified by Node.js)', async () => {
    const input = `${Buffer.from(JSON.stringify({ alg: 'EdDSA' })).toString('base64url')}.${Buffer.from(JSON.stringify({ kid: 'ann-ed448' })).toString('base64url')}`;
    const token = `${input}.${nodeSign(null, Buffer.from(input), ed448.privateKey).toString('base64url')}`;
    const ok = await call(`${node.proxy}/locked`, 'GET', bearer(token));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(echoOf(ok).headers['x-credential-identifier'], 'ann-ed448');
    assertRefused(await call(`${node.proxy}/locked`, 'GET', bearer(`${input}.${'A'.repeat(152)}`)), '{"message":"Invalid signature"}');
  });
});

describe('jwt in hybrid mode', { timeout: 180_000 }, () => {
  let certs: HybridCerts;
  let up: TestUpstream;
  let cp: ControlPlaneNode;
  let dp: TollgateNode;
  before(async () => {
    certs = makeHybridCerts();
    up = await startUpstream('jwt-hybrid');
    cp = await startControlPlane(certsFor('shared', certs, 'cp'));
    dp = await startDataPlane(certsFor('shared', certs, 'dp1'), [cp]);
  });
  after(async () => {
    await dp?.stop();
    await cp?.stop();
    await up?.close();
    if (certs !== undefined) rmSync(certs.pki.dir, { recursive: true, force: true });
  });

  test('secrets created on the control plane authenticate on the data plane; a deleted one stops', async () => {
    await hybridAdmin(cp, 'POST', '/services', { name: 'svc', url: `http://127.0.0.1:${up.port}` });
    await hybridAdmin(cp, 'POST', '/services/svc/routes', { name: 'r', paths: ['/h'] });
    await hybridAdmin(cp, 'POST', '/routes/r/plugins', { name: 'jwt' });
    await hybridAdmin(cp, 'POST', '/consumers', { username: 'dp-user' });
    await hybridAdmin(cp, 'POST', '/consumers/dp-user/jwt', { key: 'dp-es', algorithm: 'ES256', rsa_public_key: pem(ec.publicKey) });
    const token = await signed({ iss: 'dp-es' }, 'ES256', ec.privateKey);
    await waitUntil(async () => (await call(`${dp.proxy}/h`, 'GET', bearer(token))).status === 200, 20_000, 'the secret on the data plane');
    assert.equal(echoOf(await call(`${dp.proxy}/h`, 'GET', bearer(token))).headers['x-consumer-username'], 'dp-user');
    await hybridAdmin(cp, 'DELETE', '/consumers/dp-user/jwt/dp-es');
    await waitUntil(async () => (await call(`${dp.proxy}/h`, 'GET', bearer(token))).status === 401, 20_000, 'the deletion on the data plane');
  });
});
