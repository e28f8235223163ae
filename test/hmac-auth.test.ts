/**
 * hmac-auth through a real node and a real upstream: credentials on the Admin API (SQLite), Kong's error
 * bodies and challenges for every way a signature fails, the clock skew, the body Digest, the algorithms,
 * enforced headers, anonymous and hide_credentials; then db_export and db_import, and a DB-less declarative
 * file with credentials nested under consumers. Signatures are computed here, as a client computes them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';
import { admin, certsFor, makeHybridCerts, startControlPlane, startDataPlane, type ControlPlaneNode } from './helpers/hybrid.ts';

const SECRET = 'bob-shared-secret';
const NOT_VALID = 'HMAC signature cannot be verified';
const NOT_SAME = 'HMAC signature does not match';
const NO_DATE = 'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication';

type Algorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

function signature(secret: string, algorithm: Algorithm, signingString: string): string {
  return createHmac(algorithm, secret).update(signingString).digest('base64');
}

/** An `hmac` header value, as a client writes it. */
function hmacHeader(username: string, algorithm: string, headers: string, sig: string): string {
  return `hmac username="${username}", algorithm="${algorithm}", headers="${headers}", signature="${sig}"`;
}

/** The usual signed request: Date and the request line, HMAC-SHA256. */
function signedGet(path: string, options: { user?: string; secret?: string; date?: string } = {}): Record<string, string> {
  const date = options.date ?? new Date().toUTCString();
  const sig = signature(options.secret ?? SECRET, 'sha256', `date: ${date}\nGET ${path} HTTP/1.1`);
  return { date, authorization: hmacHeader(options.user ?? 'bob', 'hmac-sha256', 'date request-line', sig) };
}

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await request(`${base}${path}`, {
    method: method as 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? null : JSON.parse(text), text };
}

async function send(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string) {
  const res = await request(url, { method: method as 'GET', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as { message: string } & Echo };
}

describe('hmac-auth from the Admin API (SQLite), then db_export and db_import', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  let prefix: string;
  let bobId: string;
  let anonId: string;
  const env = (p: string) => ({ TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: p });
  before(async () => {
    up = await startUpstream('hmac-up');
    prefix = mkdtempSync(join(tmpdir(), 'tg-hmac-auth-'));
    node = await startTollgate({ env: env(prefix), prefix, keepPrefix: true });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('credentials: Kong\'s routes, a generated secret, username unique, 400 naming the field', async () => {
    assert.equal((await call(node.admin, 'POST', '/services', { name: 'svc', url: `http://127.0.0.1:${up.port}` })).status, 201);
    const bob = await call(node.admin, 'POST', '/consumers', { username: 'bob', custom_id: 'b-1' });
    assert.equal(bob.status, 201);
    bobId = bob.body.id;
    anonId = (await call(node.admin, 'POST', '/consumers', { username: 'anon' })).body.id;
    assert.equal((await call(node.admin, 'POST', '/consumers', { username: 'carol' })).status, 201);

    const cred = await call(node.admin, 'POST', '/consumers/bob/hmac-auth', { username: 'bob', secret: SECRET, tags: ['t1'] });
    assert.equal(cred.status, 201, cred.text);
    assert.equal(cred.body.secret, SECRET);
    assert.deepEqual(cred.body.consumer, { id: bobId });
    assert.equal(typeof cred.body.created_at, 'number');
    const generated = await call(node.admin, 'POST', '/consumers/carol/hmac-auth', { username: 'carol' });
    assert.equal(generated.status, 201, generated.text);
    assert.match(generated.body.secret, /^.{32}$/, 'a secret is generated when omitted');

    assert.equal((await call(node.admin, 'GET', '/consumers/bob/hmac-auth/bob')).body.id, cred.body.id);
    assert.equal((await call(node.admin, 'GET', `/consumers/bob/hmac-auth/${cred.body.id}`)).body.username, 'bob');
    assert.equal((await call(node.admin, 'GET', '/hmac-auths/bob')).body.id, cred.body.id);
    assert.equal((await call(node.admin, 'GET', `/hmac-auths/${cred.body.id}/consumer`)).body.username, 'bob');
    assert.equal((await call(node.admin, 'GET', '/hmac-auths')).body.data.length, 2);
    assert.equal((await call(node.admin, 'GET', '/consumers/carol/hmac-auth/bob')).status, 404, 'another consumer\'s credential');

    const dup = await call(node.admin, 'POST', '/consumers/carol/hmac-auth', { username: 'bob' });
    assert.equal(dup.status, 409, dup.text);
    const noName = await call(node.admin, 'POST', '/consumers/carol/hmac-auth', { secret: 'x' });
    assert.equal(noName.status, 400);
    assert.equal(noName.body.fields.username, 'required field missing');

    const patched = await call(node.admin, 'PATCH', `/hmac-auths/${generated.body.id}`, { secret: 'carol-secret' });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.secret, 'carol-secret');
    const put = await call(node.admin, 'PUT', '/consumers/carol/hmac-auth/carol-2', { secret: 'carol-2-secret' });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.username, 'carol-2', 'a PUT by username creates it');
    assert.equal((await call(node.admin, 'DELETE', '/consumers/carol/hmac-auth/carol-2')).status, 204);
    assert.equal((await call(node.admin, 'DELETE', '/consumers/carol/hmac-auth/carol')).status, 204);
    assert.equal((await call(node.admin, 'GET', '/hmac-auths/carol')).status, 404);
  });

  test('plugin configuration: Kong\'s defaults, 400 naming the field', async () => {
    const defaults = await call(node.admin, 'POST', '/plugins', { name: 'hmac-auth', config: {}, enabled: false });
    assert.equal(defaults.status, 201, defaults.text);
    assert.deepEqual(defaults.body.config, {
      hide_credentials: false,
      clock_skew: 300,
      anonymous: null,
      validate_request_body: false,
      enforce_headers: [],
      algorithms: ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'],
      realm: null,
    });
    assert.equal((await call(node.admin, 'DELETE', `/plugins/${defaults.body.id}`)).status, 204);

    const skew = await call(node.admin, 'POST', '/plugins', { name: 'hmac-auth', config: { clock_skew: 0 } });
    assert.equal(skew.status, 400);
    assert.equal(skew.body.fields.config.clock_skew, 'value must be greater than 0');
    const algo = await call(node.admin, 'POST', '/plugins', { name: 'hmac-auth', config: { algorithms: ['hmac-md5'] } });
    assert.equal(algo.status, 400);
    assert.match(JSON.stringify(algo.body.fields.config.algorithms), /expected one of: hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512/);
    const body = await call(node.admin, 'POST', '/plugins', { name: 'hmac-auth', config: { validate_request_body: 'yes' } });
    assert.equal(body.status, 400);
    assert.equal(body.body.fields.config.validate_request_body, 'expected a boolean');
    const scoped = await call(node.admin, 'POST', '/consumers/bob/plugins', { name: 'hmac-auth' });
    assert.equal(scoped.status, 400);
  });

  test('the proxy: every failure is Kong\'s 401 with its message and challenge', async () => {
    assert.equal((await call(node.admin, 'POST', '/services/svc/routes', { paths: ['/hmac'], name: 'hmac' })).status, 201);
    assert.equal((await call(node.admin, 'POST', '/routes/hmac/plugins', { name: 'hmac-auth', config: { realm: 'test-realm' } })).status, 201);
    await waitUntil(async () => (await send(`${node.proxy}/hmac`)).status === 401, 10_000, 'hmac-auth on the proxy');
    const url = `${node.proxy}/hmac`;
    const date = new Date().toUTCString();

    const none = await send(url);
    assert.equal(none.headers['www-authenticate'], 'hmac realm="test-realm"');
    assert.equal(none.json().message, 'Unauthorized');

    const expectFailure = async (headers: Record<string, string>, message: string, what: string) => {
      const res = await send(url, headers);
      assert.equal(res.status, 401, `${what}: ${res.text}`);
      assert.equal(res.json().message, message, what);
      assert.equal(res.headers['www-authenticate'], 'hmac realm="test-realm"', what);
    };
    await expectFailure({ date, authorization: 'asd' }, NOT_VALID, 'not an hmac header');
    await expectFailure({ date, 'proxy-authorization': 'this is no hmac token at all is it?' }, NOT_VALID, 'not an hmac proxy header');
    await expectFailure({ authorization: signedGet('/hmac').authorization }, NO_DATE, 'no date');
    await expectFailure({ 'x-date': 'wrong date', authorization: signedGet('/hmac').authorization }, NO_DATE, 'a malformed x-date');
    const old = new Date(Date.now() - 400_000).toUTCString();
    await expectFailure(signedGet('/hmac', { date: old }), NO_DATE, 'a date outside the clock skew');
    const future = new Date(Date.now() + 400_000).toUTCString();
    await expectFailure(signedGet('/hmac', { date: future }), NO_DATE, 'a date ahead by more than the skew');
    await expectFailure({ date, authorization: hmacHeader('bob', 'hmac-sha1', 'date', 'not really a base64 encoded value!!!') }, NOT_SAME, 'a signature that is not base64');
    await expectFailure(signedGet('/hmac', { secret: 'wrong-secret' }), NOT_SAME, 'a wrong secret');
    await expectFailure(signedGet('/other'), NOT_SAME, 'signed for another path');
    await expectFailure(signedGet('/hmac', { user: 'nobody' }), NOT_VALID, 'an unknown username');
    await expectFailure({ date, authorization: 'hmac username="bob"' }, NOT_VALID, 'only the username');
    await expectFailure({ date, authorization: `hmac username="bob", algorithm="hmac-sha256", headers="date", signatur="${signature(SECRET, 'sha256', `date: ${date}`)}"` }, NOT_VALID, 'a misspelt field');
    await expectFailure({ date, authorization: hmacHeader('bob', 'hmac-sha999', 'date', signature(SECRET, 'sha256', `date: ${date}`)) }, NOT_VALID, 'an unknown algorithm');
  });

  test('the proxy: good signatures pass, with the consumer headers upstream', async () => {
    const url = `${node.proxy}/hmac`;
    const ok = await send(url, { ...signedGet('/hmac'), 'x-consumer-username': 'forged', 'x-anonymous-consumer': 'true' });
    assert.equal(ok.status, 200, ok.text);
    const echo = ok.json();
    assert.equal(echo.headers['x-consumer-id'], bobId);
    assert.equal(echo.headers['x-consumer-username'], 'bob');
    assert.equal(echo.headers['x-consumer-custom-id'], 'b-1');
    assert.equal(echo.headers['x-credential-identifier'], 'bob');
    assert.equal(echo.headers['x-anonymous-consumer'], undefined);
    assert.match(String(echo.headers.authorization), /^hmac username="bob"/, 'kept without hide_credentials');

    const date = new Date().toUTCString();
    for (const algorithm of ['sha1', 'sha256', 'sha384', 'sha512'] as const) {
      const sig = signature(SECRET, algorithm, `date: ${date}\ncontent-md5: md5\nGET /hmac?a=1&b=x%20y HTTP/1.1`);
      const res = await send(`${url}?a=1&b=x%20y`, { date, 'content-md5': 'md5', authorization: hmacHeader('bob', `hmac-${algorithm}`, 'date content-md5 request-line', sig) });
      assert.equal(res.status, 200, `hmac-${algorithm}: ${res.text}`);
    }
    // X-Date instead of Date; @request-target; no spaces between fields; an absent signed header signs as `name:`.
    const xdate = await send(url, {
      'x-date': date,
      authorization: `hmac username="bob",algorithm="hmac-sha1",headers="x-date @request-target x-absent",signature="${signature(SECRET, 'sha1', `x-date: ${date}\n@request-target: get /hmac\nx-absent:`)}"`,
    });
    assert.equal(xdate.status, 200, xdate.text);
    // A malformed X-Date beside a good Date passes the skew check on the Date.
    const both = await send(url, { 'x-date': 'wrong date', date, authorization: hmacHeader('bob', 'hmac-sha256', 'date', signature(SECRET, 'sha256', `date: ${date}`)) });
    assert.equal(both.status, 200, both.text);
    // Proxy-Authorization is read first; a junk Authorization beside it does not matter, and the other way round.
    const proxyAuth = await send(url, { date, 'proxy-authorization': signedGet('/hmac', { date }).authorization, authorization: 'hello' });
    assert.equal(proxyAuth.status, 200, proxyAuth.text);
    const authAfterProxy = await send(url, { date, 'proxy-authorization': 'hello', authorization: signedGet('/hmac', { date }).authorization });
    assert.equal(authAfterProxy.status, 200, authAfterProxy.text);
    // HTTP/1.0 requests sign as HTTP/1.0 (a raw request, undici speaks only 1.1).
    const { connect } = await import('node:net');
    const raw = await new Promise<string>((resolve, reject) => {
      const s = connect(node.proxyPort, '127.0.0.1', () => {
        const sig = signature(SECRET, 'sha256', `date: ${date}\nGET /hmac HTTP/1.0`);
        s.write(`GET /hmac HTTP/1.0\r\nHost: x\r\nDate: ${date}\r\nAuthorization: ${hmacHeader('bob', 'hmac-sha256', 'date request-line', sig)}\r\n\r\n`);
      });
      let got = '';
      s.on('data', (c: Buffer) => (got += c.toString()));
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.[01] 200 /, raw);
  });

  test('algorithms and enforce_headers restrict what is accepted', async () => {
    assert.equal((await call(node.admin, 'POST', '/services/svc/routes', { paths: ['/strict'], name: 'strict' })).status, 201);
    const plugin = await call(node.admin, 'POST', '/routes/strict/plugins', { name: 'hmac-auth', config: { algorithms: ['hmac-sha512'], enforce_headers: ['date', 'request-line'] } });
    assert.equal(plugin.status, 201, plugin.text);
    await waitUntil(async () => (await send(`${node.proxy}/strict`)).status === 401, 10_000, 'the strict route');
    const date = new Date().toUTCString();
    const sha256 = await send(`${node.proxy}/strict`, signedGet('/strict', { date }));
    assert.equal(sha256.status, 401);
    assert.equal(sha256.json().message, NOT_VALID);
    assert.equal(sha256.headers['www-authenticate'], 'hmac');
    const missingLine = await send(`${node.proxy}/strict`, { date, authorization: hmacHeader('bob', 'hmac-sha512', 'date', signature(SECRET, 'sha512', `date: ${date}`)) });
    assert.equal(missingLine.status, 401);
    assert.equal(missingLine.json().message, NOT_VALID);
    const ok = await send(`${node.proxy}/strict`, { date, authorization: hmacHeader('bob', 'hmac-sha512', 'date request-line', signature(SECRET, 'sha512', `date: ${date}\nGET /strict HTTP/1.1`)) });
    assert.equal(ok.status, 200, ok.text);
  });

  test('validate_request_body: the Digest header must match the body', async () => {
    assert.equal((await call(node.admin, 'POST', '/services/svc/routes', { paths: ['/body'], name: 'body' })).status, 201);
    assert.equal((await call(node.admin, 'POST', '/routes/body/plugins', { name: 'hmac-auth', config: { validate_request_body: true } })).status, 201);
    await waitUntil(async () => (await send(`${node.proxy}/body`)).status === 401, 10_000, 'the body route');
    const url = `${node.proxy}/body`;
    const date = new Date().toUTCString();
    const payload = '{"name":"tollgate"}';
    const digest = `SHA-256=${createHash('sha256').update(payload).digest('base64')}`;
    const signed = (d: string) => hmacHeader('bob', 'hmac-sha256', 'date request-line digest', signature(SECRET, 'sha256', `date: ${date}\nPOST /body HTTP/1.1\ndigest: ${d}`));

    const good = await send(url, { date, digest, 'content-type': 'application/json', authorization: signed(digest) }, 'POST', payload);
    assert.equal(good.status, 200, good.text);
    assert.equal(good.json().bodyLength, payload.length, 'the body reaches the upstream whole');
    const tampered = await send(url, { date, digest, 'content-type': 'application/json', authorization: signed(digest) }, 'POST', '{"name":"evil"}');
    assert.equal(tampered.status, 401);
    assert.equal(tampered.json().message, NOT_SAME);
    assert.equal(tampered.headers['www-authenticate'], 'hmac');
    const badDigest = `SHA-256=${createHash('sha256').update('other').digest('base64')}`;
    const wrongDigest = await send(url, { date, digest: badDigest, 'content-type': 'application/json', authorization: signed(badDigest) }, 'POST', payload);
    assert.equal(wrongDigest.json().message, NOT_SAME);
    // The digest need not be signed, but it must be there when there is a body.
    const unsignedDigest = await send(url, { date, digest, authorization: hmacHeader('bob', 'hmac-sha256', 'date', signature(SECRET, 'sha256', `date: ${date}`)) }, 'POST', payload);
    assert.equal(unsignedDigest.status, 200, unsignedDigest.text);
    const noDigest = await send(url, { date, authorization: hmacHeader('bob', 'hmac-sha256', 'date', signature(SECRET, 'sha256', `date: ${date}`)) }, 'POST', payload);
    assert.equal(noDigest.status, 401);
    assert.equal(noDigest.json().message, NOT_SAME);
    const emptyNoDigest = await send(url, { date, authorization: hmacHeader('bob', 'hmac-sha256', 'date', signature(SECRET, 'sha256', `date: ${date}`)) });
    assert.equal(emptyNoDigest.status, 200, 'no body and no digest');
    const emptyDigest = `SHA-256=${createHash('sha256').update('').digest('base64')}`;
    const emptyWithDigest = await send(url, { date, digest: emptyDigest, authorization: hmacHeader('bob', 'hmac-sha256', 'date', signature(SECRET, 'sha256', `date: ${date}`)) });
    assert.equal(emptyWithDigest.status, 200, 'no body and the empty body\'s digest');
  });

  test('anonymous and hide_credentials; a missing anonymous consumer is a 500', async () => {
    assert.equal((await call(node.admin, 'POST', '/services/svc/routes', { paths: ['/open'], name: 'open' })).status, 201);
    assert.equal((await call(node.admin, 'POST', '/routes/open/plugins', { name: 'hmac-auth', config: { anonymous: anonId, hide_credentials: true } })).status, 201);
    await waitUntil(async () => (await send(`${node.proxy}/open`)).status === 200, 10_000, 'the open route');
    const anonymous = (await send(`${node.proxy}/open`, { date: new Date().toUTCString(), authorization: 'hmac junk' })).json();
    assert.equal(anonymous.headers['x-anonymous-consumer'], 'true');
    assert.equal(anonymous.headers['x-consumer-username'], 'anon');
    assert.equal(anonymous.headers['x-credential-identifier'], undefined);
    assert.equal(anonymous.headers.authorization, undefined, 'hide_credentials removes the header even when it did not verify');
    const known = await send(`${node.proxy}/open`, signedGet('/open'));
    assert.equal(known.status, 200);
    assert.equal(known.json().headers['x-consumer-username'], 'bob');
    assert.equal(known.json().headers.authorization, undefined);
    const proxyKnown = await send(`${node.proxy}/open`, { ...signedGet('/open'), 'proxy-authorization': signedGet('/open').authorization, authorization: 'kept' });
    assert.equal(proxyKnown.json().headers['proxy-authorization'], undefined, 'the header that authenticated is removed');
    assert.equal(proxyKnown.json().headers.authorization, 'kept');

    assert.equal((await call(node.admin, 'POST', '/services/svc/routes', { paths: ['/ghost'], name: 'ghost' })).status, 201);
    const ghost = '0f9a1a4c-8a5e-4a57-9f6c-1d1d1d1d1d1d';
    assert.equal((await call(node.admin, 'POST', '/routes/ghost/plugins', { name: 'hmac-auth', config: { anonymous: ghost } })).status, 201);
    await waitUntil(async () => (await send(`${node.proxy}/ghost`)).status === 500, 10_000, 'the ghost route');
    assert.equal((await send(`${node.proxy}/ghost`)).json().message, `anonymous consumer ${ghost} is configured but doesn't exist`);
  });

  test('db_export holds the credentials; db_import into a new database authenticates the same', async () => {
    await node.stop();
    const exported = await runTollgate(['config', 'db_export'], env(prefix));
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /hmacauth_credentials:/);
    assert.match(exported.stdout, new RegExp(`secret: ${SECRET}`));
    const file = join(prefix, 'export.yml');
    writeFileSync(file, exported.stdout);
    const fresh = mkdtempSync(join(tmpdir(), 'tg-hmac-auth-import-'));
    assert.equal((await runTollgate(['migrations', 'bootstrap'], env(fresh))).code, 0);
    const imported = await runTollgate(['config', 'db_import', file], env(fresh));
    assert.equal(imported.code, 0, imported.stderr);
    const second = await startTollgate({ env: env(fresh) });
    try {
      await waitUntil(async () => (await send(`${second.proxy}/hmac`)).status === 401, 10_000, 'the imported plugins');
      const ok = await send(`${second.proxy}/hmac`, signedGet('/hmac'));
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json().headers['x-credential-identifier'], 'bob');
    } finally {
      await second.stop();
    }
  });
});

describe('hmac-auth from a DB-less declarative file', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('hmac-dbless');
    node = await startTollgate({
      config: `_format_version: "3.0"
services:
  - name: signed
    url: http://127.0.0.1:${up.port}
    routes:
      - name: signed
        paths: [/signed]
    plugins:
      - name: hmac-auth
        config:
          hide_credentials: true
          clock_skew: 60
consumers:
  - username: dora
    hmacauth_credentials:
      - username: dora-key
        secret: dora-secret
`,
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('credentials nested under consumers authenticate; the clock skew is the configured one', async () => {
    const ok = await send(`${node.proxy}/signed`, signedGet('/signed', { user: 'dora-key', secret: 'dora-secret' }));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json().headers['x-consumer-username'], 'dora');
    assert.equal(ok.json().headers['x-credential-identifier'], 'dora-key');
    assert.equal(ok.json().headers.authorization, undefined);
    const late = await send(`${node.proxy}/signed`, signedGet('/signed', { user: 'dora-key', secret: 'dora-secret', date: new Date(Date.now() - 120_000).toUTCString() }));
    assert.equal(late.status, 401);
    assert.equal(late.json().message, NO_DATE);
    const read = await call(node.admin, 'GET', '/hmac-auths/dora-key');
    assert.equal(read.status, 200);
    assert.equal(read.body.secret, 'dora-secret');
    assert.ok(!node.output().includes('dora-secret'), 'the secret is in no log');
  });
});

describe('hmac-auth in hybrid mode: credentials pushed to a data plane', () => {
  let up: TestUpstream;
  let cp: ControlPlaneNode;
  let dp: TollgateNode;
  before(async () => {
    up = await startUpstream('hmac-hybrid');
    const certs = makeHybridCerts();
    cp = await startControlPlane(certsFor('shared', certs, 'cp'));
    dp = await startDataPlane(certsFor('shared', certs, 'dp1'), [cp]);
  });
  after(async () => {
    await dp?.stop();
    await cp?.stop();
    await up?.close();
  });

  test('the data plane authenticates with the pushed credential, and follows a change of secret', async () => {
    await admin(cp, 'POST', '/services', { name: 'svc', url: `http://127.0.0.1:${up.port}` });
    await admin(cp, 'POST', '/services/svc/routes', { name: 'r', paths: ['/hybrid'] });
    await admin(cp, 'POST', '/routes/r/plugins', { name: 'hmac-auth' });
    await admin(cp, 'POST', '/consumers', { username: 'eve' });
    await admin(cp, 'POST', '/consumers/eve/hmac-auth', { username: 'eve', secret: 'first-secret' });
    const url = `${dp.proxy}/hybrid`;
    // While the data plane takes its first configuration a request may fail outright: that is a "not yet".
    const statusWith = async (secret: string) => (await send(url, signedGet('/hybrid', { user: 'eve', secret })).catch(() => ({ status: 0 }))).status;
    await waitUntil(async () => (await statusWith('first-secret')) === 200, 30_000, 'the credential on the data plane');
    assert.equal((await send(url, signedGet('/hybrid', { user: 'eve', secret: 'second-secret' }))).status, 401);
    await admin(cp, 'PATCH', '/consumers/eve/hmac-auth/eve', { secret: 'second-secret' });
    await waitUntil(async () => (await statusWith('second-secret')) === 200, 30_000, 'the new secret on the data plane');
    const old = await send(url, signedGet('/hybrid', { user: 'eve', secret: 'first-secret' }));
    assert.equal(old.status, 401);
    assert.equal(old.json().message, NOT_SAME);
  });
});
