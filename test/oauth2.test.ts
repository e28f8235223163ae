/**
 * oauth2 through a real node on PostgreSQL with an HTTPS proxy listener and a real upstream: every grant
 * (authorization code, implicit, client credentials, password, refresh), PKCE in lax and strict modes, Kong's
 * error bodies and statuses, token expiry, scopes, hide_credentials, anonymous, HTTPS enforcement and
 * X-Forwarded-Proto from trusted addresses, the Admin API (credentials nested under consumers, tokens,
 * 400s naming the field), tokens through db_export and db_import into a new database, then a DB-less node
 * loading credentials and tokens nested under consumers (which serves those tokens but cannot issue any, as in
 * Kong). Client secrets and tokens never reach the node's logs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Agent, request } from 'undici';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { freePort } from './helpers/ports.ts';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';

const SECRET = 'secret-of-the-confidential-app';
const HASHED_SECRET = 'secret-of-the-hashed-app';
const REDIRECT = 'http://google.com/kong';
const VERIFIER = 'a'.repeat(20) + 'verifier-of-at-least-43-characters';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const insecure = new Agent({ connect: { rejectUnauthorized: false } });
const WAIT = 60_000;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  text: string;
}

async function send(url: string, method: string, options: { form?: Record<string, string>; json?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let body: string | undefined;
  if (options.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const res = await request(url, { method: method as 'POST', headers, body, dispatcher: insecure });
  const text = await res.body.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    // not JSON
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, text };
}

const echoOf = (answer: Answer) => JSON.parse(answer.text) as Echo;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('oauth2 on PostgreSQL through an HTTPS listener', { timeout: 300_000 }, () => {
  let db: TestDatabase;
  let up: TestUpstream;
  let node: TollgateNode;
  let https: string;
  const admin = (method: string, path: string, json?: unknown) => send(`${node.admin}${path}`, method, json === undefined ? {} : { json });
  const token = (path: string, form: Record<string, string>, headers?: Record<string, string>) => send(`${https}${path}`, 'POST', { form, headers });
  const authorize = (path: string, form: Record<string, string>) => send(`${https}${path}/oauth2/authorize`, 'POST', { form });
  const get = (path: string, headers: Record<string, string> = {}) => send(`${https}${path}`, 'GET', { headers });
  const confidential = { client_id: 'clientid123', client_secret: SECRET };

  before(async () => {
    db = await createTestDatabase();
    const boot = await runTollgate(['migrations', 'bootstrap'], db.env);
    assert.equal(boot.code, 0, boot.stderr + boot.stdout);
    up = await startUpstream('oauth2-up');
    const tlsPort = await freePort();
    node = await startTollgate({
      env: { ...db.env, TOLLGATE_TRUSTED_IPS: '127.0.0.1' },
      workers: 2,
      extraProxyListen: `127.0.0.1:${tlsPort} ssl`,
    });
    https = `https://127.0.0.1:${tlsPort}`;
    const url = `http://127.0.0.1:${up.port}`;
    for (const name of ['a', 'b', 'c', 'd']) {
      assert.equal((await admin('POST', '/services', { name, url })).status, 201);
      assert.equal((await admin('POST', `/services/${name}/routes`, { name, paths: [`/${name}`] })).status, 201);
    }
    const pluginA = await admin('POST', '/services/a/plugins', {
      name: 'oauth2',
      config: {
        scopes: ['email', 'profile'],
        enable_authorization_code: true,
        enable_implicit_grant: true,
        enable_client_credentials: true,
        enable_password_grant: true,
        provision_key: 'provision123',
        realm: 'service-a',
      },
    });
    assert.equal(pluginA.status, 201, pluginA.text);
    assert.equal(pluginA.body.config && (pluginA.body.config as Record<string, unknown>).token_expiration, 7200);
    const pluginB = await admin('POST', '/services/b/plugins', {
      name: 'oauth2',
      config: { enable_client_credentials: true, enable_authorization_code: true, token_expiration: 10, hide_credentials: true, pkce: 'strict', provision_key: 'pk-b' },
    });
    assert.equal(pluginB.status, 201, pluginB.text);
    assert.equal((await admin('POST', '/consumers', { username: 'bob', custom_id: 'bob-1' })).status, 201);
    assert.equal((await admin('POST', '/consumers', { username: 'anon' })).status, 201);
    const pluginC = await admin('POST', '/services/c/plugins', {
      name: 'oauth2',
      config: { enable_client_credentials: true, anonymous: 'anon', accept_http_if_already_terminated: true, global_credentials: true },
    });
    assert.equal(pluginC.status, 201, pluginC.text);
    const pluginD = await admin('POST', '/services/d/plugins', {
      name: 'oauth2',
      config: { enable_password_grant: true, reuse_refresh_token: true, provision_key: 'pk-d', auth_header_name: 'x-token' },
    });
    assert.equal(pluginD.status, 201, pluginD.text);
    const apps = [
      { name: 'confidential', client_id: 'clientid123', client_secret: SECRET, redirect_uris: [REDIRECT, 'http://example.com/second?keep=1'] },
      { name: 'public', client_id: 'publicapp', client_type: 'public', redirect_uris: [REDIRECT] },
      { name: 'hashed', client_id: 'hashedapp', client_secret: HASHED_SECRET, hash_secret: true, redirect_uris: [REDIRECT] },
    ];
    for (const app of apps) {
      const created = await admin('POST', '/consumers/bob/oauth2', app);
      assert.equal(created.status, 201, created.text);
    }
    // The applications reach the workers with the next configuration.
    await waitUntil(async () => (await token('/a/oauth2/token', { grant_type: 'client_credentials', ...confidential })).status === 200, WAIT, 'the credentials on the proxy');
  });

  after(async () => {
    await node?.stop();
    await up?.close();
    await db?.drop();
  });

  test('Admin API: credentials under the consumer and at /oauth2, generated ids, hashed secrets, 400s naming the field', async () => {
    const generated = await admin('POST', '/consumers/bob/oauth2', { name: 'generated', redirect_uris: [REDIRECT] });
    assert.equal(generated.status, 201, generated.text);
    assert.match(String(generated.body.client_id), /^[A-Za-z0-9]{32}$/);
    assert.match(String(generated.body.client_secret), /^[A-Za-z0-9]{32}$/);
    assert.equal(generated.body.client_type, 'confidential');
    assert.equal(generated.body.hash_secret, false);
    assert.equal((await admin('GET', `/oauth2/${String(generated.body.client_id)}`)).body.id, generated.body.id);
    assert.equal((await admin('GET', `/consumers/bob/oauth2/${String(generated.body.id)}`)).body.name, 'generated');
    const patched = await admin('PATCH', `/oauth2/${String(generated.body.id)}`, { name: 'renamed' });
    assert.equal(patched.body.name, 'renamed');
    assert.equal((await admin('DELETE', `/consumers/bob/oauth2/${String(generated.body.id)}`)).status, 204);
    const listed = await admin('GET', '/consumers/bob/oauth2');
    assert.deepEqual((listed.body.data as { name: string }[]).map((c) => c.name).sort(), ['confidential', 'hashed', 'public']);

    const hashed = await admin('GET', '/oauth2/hashedapp');
    assert.match(String(hashed.body.client_secret), /^\$pbkdf2-sha512\$i=10000,l=32\$/);
    assert.ok(!hashed.text.includes(HASHED_SECRET));
    const rehashed = await admin('POST', '/consumers/bob/oauth2', { name: 'rehashed', client_secret: 'first', hash_secret: true });
    const changed = await admin('PATCH', `/oauth2/${String(rehashed.body.id)}`, { client_secret: 'second-secret' });
    assert.match(String(changed.body.client_secret), /^\$pbkdf2-sha512\$/, 'a new secret alone is hashed too');
    assert.notEqual(changed.body.client_secret, rehashed.body.client_secret);
    const renamed = await admin('PATCH', `/oauth2/${String(rehashed.body.id)}`, { name: 'renamed', hash_secret: true });
    assert.equal(renamed.body.client_secret, changed.body.client_secret, 'a stored hash is not hashed again');
    assert.equal((await admin('DELETE', `/oauth2/${String(rehashed.body.id)}`)).status, 204);

    const noName = await admin('POST', '/consumers/bob/oauth2', { redirect_uris: [REDIRECT] });
    assert.equal(noName.status, 400);
    assert.deepEqual(noName.body.fields, { name: 'required field missing' });
    const badUri = await admin('POST', '/consumers/bob/oauth2', { name: 'x', redirect_uris: ['not a uri'] });
    assert.equal(badUri.status, 400);
    assert.deepEqual(badUri.body.fields, { redirect_uris: ["cannot parse 'not a uri'"] });
    const fragment = await admin('POST', '/consumers/bob/oauth2', { name: 'x', redirect_uris: ['http://a.test/cb#frag'] });
    assert.deepEqual(fragment.body.fields, { redirect_uris: ["fragment not allowed in 'http://a.test/cb#frag'"] });
    const badType = await admin('POST', '/consumers/bob/oauth2', { name: 'x', client_type: 'secret' });
    assert.deepEqual(badType.body.fields, { client_type: 'expected one of: confidential, public' });

    const noFlow = await admin('POST', '/plugins', { name: 'oauth2', config: {} });
    assert.equal(noFlow.status, 400);
    assert.deepEqual(noFlow.body.fields, {
      config: 'at least one of these fields must be true: enable_authorization_code, enable_implicit_grant, enable_client_credentials, enable_password_grant',
    });
    const noScopes = await admin('POST', '/plugins', { name: 'oauth2', config: { enable_password_grant: true, mandatory_scope: true } });
    assert.equal(noScopes.status, 400);
    assert.deepEqual(noScopes.body.fields, {
      config: { '@entity': ["failed conditional validation given value of field 'mandatory_scope'"], scopes: 'required field missing' },
    });
    const badPkce = await admin('POST', '/plugins', { name: 'oauth2', config: { enable_password_grant: true, pkce: 'sometimes' } });
    assert.deepEqual(badPkce.body.fields, { config: { pkce: 'expected one of: none, lax, strict' } });
    const onConsumer = await admin('POST', '/consumers/bob/plugins', { name: 'oauth2', config: { enable_password_grant: true } });
    assert.equal(onConsumer.status, 400);
    assert.ok('consumer' in (onConsumer.body.fields as object), onConsumer.text);
  });

  test('the endpoints refuse plain HTTP, other methods, unknown grants and bad clients with Kong\'s bodies', async () => {
    const plain = await send(`${node.proxy}/a/oauth2/token`, 'POST', { form: { grant_type: 'client_credentials', ...confidential } });
    assert.equal(plain.status, 400);
    assert.deepEqual(plain.body, { error: 'access_denied', error_description: 'You must use HTTPS' });
    const plainAuthorize = await send(`${node.proxy}/a/oauth2/authorize`, 'POST', { form: { provision_key: 'provision123' } });
    assert.deepEqual(plainAuthorize.body, { error: 'access_denied', error_description: 'You must use HTTPS' });

    const getToken = await get('/a/oauth2/token');
    assert.equal(getToken.status, 405);
    assert.deepEqual(getToken.body, { error: 'invalid_method', error_description: 'The HTTP method GET is invalid for the token endpoint' });
    assert.equal(
      getToken.headers['www-authenticate'],
      'Bearer realm="service-a", error="invalid_method", error_description="The HTTP method GET is invalid for the token endpoint"',
    );
    assert.equal((await get('/a/oauth2/authorize/')).body.error_description, 'The HTTP method GET is invalid for the authorization endpoint');

    const unknown = await token('/a/oauth2/token', { grant_type: 'magic', ...confidential });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' });
    assert.equal(unknown.headers['cache-control'], 'no-store');
    assert.equal(unknown.headers.pragma, 'no-cache');

    const wrongBody = await token('/a/oauth2/token', { grant_type: 'client_credentials', client_id: 'clientid123', client_secret: 'wrong' });
    assert.equal(wrongBody.status, 400);
    assert.deepEqual(wrongBody.body, { error: 'invalid_client', error_description: 'Invalid client authentication' });
    const wrongHeader = await token('/a/oauth2/token', { grant_type: 'client_credentials' }, { authorization: basic('clientid123', 'wrong') });
    assert.equal(wrongHeader.status, 401);
    assert.equal(wrongHeader.headers['www-authenticate'], 'Basic realm="OAuth2.0"');
    const unknownClient = await token('/a/oauth2/token', { grant_type: 'password', client_id: 'nobody', client_secret: 'x', provision_key: 'provision123', authenticated_userid: 'u' });
    assert.deepEqual(unknownClient.body, { error: 'invalid_client', error_description: 'Invalid client authentication' });
    const badScope = await token('/a/oauth2/token', { grant_type: 'client_credentials', ...confidential, scope: 'email admin' });
    assert.deepEqual(badScope.body, { error: 'invalid_scope', error_description: '"admin" is an invalid scope' });
    const badRedirect = await token('/a/oauth2/token', { grant_type: 'password', ...confidential, redirect_uri: 'http://evil.test/' });
    assert.deepEqual(badRedirect.body, {
      error: 'invalid_request',
      error_description: 'Invalid redirect_uri that does not match with any redirect_uri created with the application',
    });
    const publicSecret = await token('/a/oauth2/token', { grant_type: 'password', client_id: 'publicapp', client_secret: 'anything', provision_key: 'provision123', authenticated_userid: 'u' });
    assert.deepEqual(publicSecret.body, { error: 'invalid_request', error_description: 'client_secret is disallowed for public clients' });
  });

  test('client credentials: a token without refresh token; the consumer headers upstream; by header, query or body', async () => {
    const issued = await token('/a/oauth2/token', { grant_type: 'client_credentials', ...confidential, scope: 'email', state: 's1' });
    assert.equal(issued.status, 200, issued.text);
    assert.match(String(issued.body.access_token), /^[A-Za-z0-9]{32}$/);
    assert.equal(issued.body.token_type, 'bearer');
    assert.equal(issued.body.expires_in, 7200);
    assert.equal(issued.body.state, 's1');
    assert.equal(issued.body.refresh_token, undefined);
    const accessToken = String(issued.body.access_token);

    const byHeader = await get('/a/resource', { authorization: `Bearer ${accessToken}`, 'x-authenticated-userid': 'forged' });
    assert.equal(byHeader.status, 200, byHeader.text);
    const seen = echoOf(byHeader).headers;
    assert.equal(seen['x-consumer-username'], 'bob');
    assert.equal(seen['x-consumer-custom-id'], 'bob-1');
    assert.equal(seen['x-credential-identifier'], 'clientid123');
    assert.equal(seen['x-authenticated-scope'], 'email');
    assert.equal(seen['x-authenticated-userid'], undefined, 'a forged header is removed');
    assert.equal(seen.authorization, `Bearer ${accessToken}`, 'kept without hide_credentials');
    assert.equal((await get(`/a/resource?access_token=${accessToken}`)).status, 200);
    const inBody = await send(`${https}/a/resource`, 'POST', { form: { access_token: accessToken } });
    assert.equal(inBody.status, 200);

    const byBasic = await token('/a/oauth2/token', { grant_type: 'client_credentials' }, { authorization: basic('clientid123', SECRET) });
    assert.equal(byBasic.status, 200, byBasic.text);
    const hashed = await token('/a/oauth2/token', { grant_type: 'client_credentials', client_id: 'hashedapp', client_secret: HASHED_SECRET });
    assert.equal(hashed.status, 200, hashed.text);
    assert.equal((await token('/a/oauth2/token', { grant_type: 'client_credentials', client_id: 'hashedapp', client_secret: 'wrong' })).status, 400);
  });

  test('missing, unknown and other-service tokens: 401 with Kong\'s bodies and Bearer challenges', async () => {
    const missing = await get('/a/resource');
    assert.equal(missing.status, 401);
    assert.deepEqual(missing.body, { error: 'invalid_request', error_description: 'The access token is missing' });
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="service-a"');
    const unknown = await get('/a/resource', { authorization: 'Bearer not-a-token' });
    assert.equal(unknown.status, 401);
    assert.deepEqual(unknown.body, { error: 'invalid_token', error_description: 'The access token is invalid or has expired' });
    assert.equal(
      unknown.headers['www-authenticate'],
      'Bearer realm="service-a", error="invalid_token", error_description="The access token is invalid or has expired"',
    );
    const forA = String((await token('/a/oauth2/token', { grant_type: 'client_credentials', ...confidential })).body.access_token);
    const onB = await get('/b/resource', { authorization: `bearer ${forA}` });
    assert.equal(onB.status, 401);
    assert.equal(onB.headers['www-authenticate'], 'Bearer error="invalid_token", error_description="The access token is invalid or has expired"');
  });

  test('password grant: provision key and user required; a refresh token; refresh replaces the token', async () => {
    const noKey = await token('/a/oauth2/token', { grant_type: 'password', ...confidential, authenticated_userid: 'alice' });
    assert.deepEqual(noKey.body, { error: 'invalid_provision_key', error_description: 'Invalid provision_key' });
    const noUser = await token('/a/oauth2/token', { grant_type: 'password', ...confidential, provision_key: 'provision123' });
    assert.deepEqual(noUser.body, { error: 'invalid_authenticated_userid', error_description: 'Missing authenticated_userid parameter' });
    const issued = await token('/a/oauth2/token', { grant_type: 'password', ...confidential, provision_key: 'provision123', authenticated_userid: 'alice', scope: 'email profile' });
    assert.equal(issued.status, 200, issued.text);
    assert.match(String(issued.body.refresh_token), /^[A-Za-z0-9]{32}$/);
    const first = String(issued.body.access_token);
    const seen = echoOf(await get('/a/resource', { authorization: `Bearer ${first}` })).headers;
    assert.equal(seen['x-authenticated-userid'], 'alice');
    assert.equal(seen['x-authenticated-scope'], 'email profile');

    const otherClient = await token('/a/oauth2/token', { grant_type: 'refresh_token', client_id: 'hashedapp', client_secret: HASHED_SECRET, refresh_token: String(issued.body.refresh_token) });
    assert.deepEqual(otherClient.body, { error: 'invalid_client', error_description: 'Invalid client authentication' });
    const refreshed = await token('/a/oauth2/token', { grant_type: 'refresh_token', ...confidential, refresh_token: String(issued.body.refresh_token) });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.notEqual(refreshed.body.access_token, first);
    assert.notEqual(refreshed.body.refresh_token, issued.body.refresh_token);
    assert.equal((await get('/a/resource', { authorization: `Bearer ${String(refreshed.body.access_token)}` })).status, 200);
    assert.equal((await get('/a/resource', { authorization: `Bearer ${first}` })).status, 401, 'the refreshed token is gone');
    const again = await token('/a/oauth2/token', { grant_type: 'refresh_token', ...confidential, refresh_token: String(issued.body.refresh_token) });
    assert.deepEqual(again.body, { error: 'invalid_request', error_description: 'Invalid refresh_token' });
  });

  test('authorization code: the code in the redirect URI, exchanged once for a token with the user and scope', async () => {
    const base = { provision_key: 'provision123', authenticated_userid: 'user-42', client_id: 'clientid123', scope: 'profile', state: 'xyz' };
    const wrongKey = await authorize('/a', { ...base, response_type: 'code', provision_key: 'nope' });
    assert.equal(wrongKey.status, 400);
    assert.deepEqual(wrongKey.body, { error: 'invalid_provision_key', error_description: 'Invalid provision_key', state: 'xyz' });
    const noUser = await authorize('/a', { ...base, response_type: 'code', authenticated_userid: ' ' });
    assert.equal(noUser.body.error, 'invalid_authenticated_userid');
    const badType = await authorize('/a', { ...base, response_type: 'id_token' });
    assert.equal(badType.status, 400);
    assert.equal(badType.body.redirect_uri, `${REDIRECT}?error=unsupported_response_type&error_description=Invalid%20response_type&state=xyz`);
    const badRedirect = await authorize('/a', { ...base, response_type: 'code', redirect_uri: 'http://evil.test/' });
    assert.match(String(badRedirect.body.redirect_uri), /^http:\/\/google\.com\/kong\?error=invalid_request&/, 'the error goes to the registered URI');
    const unknownClient = await authorize('/a', { ...base, response_type: 'code', client_id: 'nobody' });
    assert.deepEqual(unknownClient.body, { error: 'invalid_client', error_description: 'Invalid client authentication', state: 'xyz' });

    const granted = await authorize('/a', { ...base, response_type: 'code', redirect_uri: 'http://example.com/second?keep=1' });
    assert.equal(granted.status, 200, granted.text);
    const redirect = new URL(String(granted.body.redirect_uri));
    assert.equal(`${redirect.origin}${redirect.pathname}`, 'http://example.com/second');
    assert.equal(redirect.searchParams.get('keep'), '1', 'the URI\'s own arguments are kept');
    assert.equal(redirect.searchParams.get('state'), 'xyz');
    const code = redirect.searchParams.get('code')!;
    assert.match(code, /^[A-Za-z0-9]{32}$/);

    assert.deepEqual((await token('/a/oauth2/token', { grant_type: 'authorization_code', client_id: 'hashedapp', client_secret: HASHED_SECRET, code })).body, {
      error: 'invalid_request',
      error_description: 'Invalid code',
    });
    const issued = await token('/a/oauth2/token', { grant_type: 'authorization_code', ...confidential, code, redirect_uri: 'http://example.com/second?keep=1' });
    assert.equal(issued.status, 200, issued.text);
    assert.ok(typeof issued.body.refresh_token === 'string');
    const seen = echoOf(await get('/a/resource', { authorization: `Bearer ${String(issued.body.access_token)}` })).headers;
    assert.equal(seen['x-authenticated-userid'], 'user-42');
    assert.equal(seen['x-authenticated-scope'], 'profile');
    const replay = await token('/a/oauth2/token', { grant_type: 'authorization_code', ...confidential, code });
    assert.deepEqual(replay.body, { error: 'invalid_request', error_description: 'Invalid code' });
    // Codes have no Admin API (as in Kong): the database shows the used one is gone.
    const client = new pg.Client({
      host: db.env.TOLLGATE_PG_HOST,
      port: Number(db.env.TOLLGATE_PG_PORT),
      user: db.env.TOLLGATE_PG_USER,
      password: db.env.TOLLGATE_PG_PASSWORD,
      database: db.env.TOLLGATE_PG_DATABASE,
    });
    await client.connect();
    try {
      assert.equal((await client.query('SELECT 1 FROM oauth2_authorization_codes WHERE code = $1', [code])).rowCount, 0, 'a used code is deleted');
    } finally {
      await client.end();
    }
    assert.equal((await admin('GET', '/oauth2_authorization_codes')).status, 404);
  });

  test('implicit grant: the token in the redirect URI\'s fragment, without a refresh token', async () => {
    const granted = await authorize('/a', { provision_key: 'provision123', authenticated_userid: 'imp', client_id: 'clientid123', response_type: 'token', state: 'st' });
    assert.equal(granted.status, 200, granted.text);
    const uri = String(granted.body.redirect_uri);
    assert.match(uri, /^http:\/\/google\.com\/kong#access_token=[A-Za-z0-9]{32}&expires_in=7200&state=st&token_type=bearer$/);
    const accessToken = new URLSearchParams(uri.split('#')[1]).get('access_token')!;
    assert.equal(echoOf(await get('/a/resource', { authorization: `Bearer ${accessToken}` })).headers['x-authenticated-userid'], 'imp');
  });

  test('PKCE: public clients must send an S256 challenge (lax); strict requires it of every client', async () => {
    const base = { provision_key: 'provision123', authenticated_userid: 'pk', client_id: 'publicapp', response_type: 'code' };
    const none = await authorize('/a', base);
    assert.equal(new URL(String(none.body.redirect_uri)).searchParams.get('error_description'), 'code_challenge is required for public clients');
    const plain = await authorize('/a', { ...base, code_challenge: CHALLENGE, code_challenge_method: 'plain' });
    assert.equal(new URL(String(plain.body.redirect_uri)).searchParams.get('error_description'), 'code_challenge_method is not supported, must be S256');
    const granted = await authorize('/a', { ...base, code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    const code = new URL(String(granted.body.redirect_uri)).searchParams.get('code')!;
    assert.ok(code, granted.text);
    const noVerifier = await token('/a/oauth2/token', { grant_type: 'authorization_code', client_id: 'publicapp', code });
    assert.deepEqual(noVerifier.body, { error: 'invalid_request', error_description: 'code_verifier is required for PKCE authorization requests' });
    const short = await token('/a/oauth2/token', { grant_type: 'authorization_code', client_id: 'publicapp', code, code_verifier: 'short' });
    assert.deepEqual(short.body, { error: 'invalid_request', error_description: 'code_verifier must be between 43 and 128 characters' });
    const wrong = await token('/a/oauth2/token', { grant_type: 'authorization_code', client_id: 'publicapp', code, code_verifier: 'b'.repeat(50) });
    assert.deepEqual(wrong.body, { error: 'invalid_grant', error_description: 'Invalid code' });
    const issued = await token('/a/oauth2/token', { grant_type: 'authorization_code', client_id: 'publicapp', code, code_verifier: VERIFIER });
    assert.equal(issued.status, 200, issued.text);

    // A confidential client needs no challenge in lax mode, but one in strict mode (service b).
    const lax = await authorize('/a', { ...base, client_id: 'clientid123' });
    assert.ok(new URL(String(lax.body.redirect_uri)).searchParams.get('code'));
    const strict = await authorize('/b', { ...base, client_id: 'clientid123', provision_key: 'pk-b' });
    assert.equal(new URL(String(strict.body.redirect_uri)).searchParams.get('error_description'), 'code_challenge is required for confidential clients');
    const strictOk = await authorize('/b', { ...base, client_id: 'clientid123', provision_key: 'pk-b', code_challenge: CHALLENGE });
    const strictCode = new URL(String(strictOk.body.redirect_uri)).searchParams.get('code')!;
    assert.ok(strictCode, strictOk.text);
    assert.equal((await token('/a/oauth2/token', { grant_type: 'authorization_code', ...confidential, code: strictCode, code_verifier: VERIFIER })).body.error_description, 'Invalid code', 'a code of service b is not valid on a');
    assert.equal((await token('/b/oauth2/token', { grant_type: 'authorization_code', ...confidential, code: strictCode, code_verifier: VERIFIER })).status, 200);
  });

  // token_expiration is 10 s on service b: long enough for the checks before the expiry on a loaded machine.
  test('hide_credentials removes the token upstream; tokens expire after token_expiration', async () => {
    const issued = await token('/b/oauth2/token', { grant_type: 'client_credentials', ...confidential });
    assert.equal(issued.status, 200, issued.text);
    assert.equal(issued.body.expires_in, 10);
    const accessToken = String(issued.body.access_token);
    const byHeader = await get('/b/resource?keep=1', { authorization: `Bearer ${accessToken}` });
    assert.equal(byHeader.status, 200, byHeader.text);
    assert.equal(echoOf(byHeader).headers.authorization, undefined);
    const byQuery = await get(`/b/resource?access_token=${accessToken}&keep=1`);
    assert.equal(byQuery.status, 200, byQuery.text);
    assert.equal(echoOf(byQuery).url, '/resource?keep=1');
    const inForm = await send(`${https}/b/resource`, 'POST', { form: { access_token: accessToken, other: 'x' } });
    assert.equal(inForm.status, 200, inForm.text);
    assert.equal(echoOf(inForm).bodyLength, 'other=x'.length, 'the token is removed from a form body');
    await waitUntil(async () => (await get('/b/resource', { authorization: `Bearer ${accessToken}` })).status === 401, WAIT, 'the token to expire');
    const expired = await get('/b/resource', { authorization: `Bearer ${accessToken}` });
    assert.deepEqual(expired.body, { error: 'invalid_token', error_description: 'The access token is invalid or has expired' });
  });

  test('reuse_refresh_token keeps the refresh token; auth_header_name carries the token', async () => {
    const issued = await token('/d/oauth2/token', { grant_type: 'password', ...confidential, provision_key: 'pk-d', authenticated_userid: 'reuser' });
    assert.equal(issued.status, 200, issued.text);
    const first = String(issued.body.access_token);
    assert.equal((await get('/d/resource', { 'x-token': `Bearer ${first}` })).status, 200);
    assert.equal((await get('/d/resource', { authorization: `Bearer ${first}` })).status, 401, 'only the configured header counts');
    const refreshed = await token('/d/oauth2/token', { grant_type: 'refresh_token', ...confidential, refresh_token: String(issued.body.refresh_token) });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(refreshed.body.refresh_token, issued.body.refresh_token);
    assert.notEqual(refreshed.body.access_token, first);
    assert.equal((await get('/d/resource', { 'x-token': `Bearer ${String(refreshed.body.access_token)}` })).status, 200);
    assert.equal((await get('/d/resource', { 'x-token': `Bearer ${first}` })).status, 401, 'the row has a new access token');
    const again = await token('/d/oauth2/token', { grant_type: 'refresh_token', ...confidential, refresh_token: String(issued.body.refresh_token) });
    assert.equal(again.status, 200, 'the same refresh token works again');
  });

  test('anonymous, global credentials and X-Forwarded-Proto from a trusted address', async () => {
    const anonymous = await get('/c/resource');
    assert.equal(anonymous.status, 200, anonymous.text);
    assert.equal(echoOf(anonymous).headers['x-anonymous-consumer'], 'true');
    assert.equal(echoOf(anonymous).headers['x-consumer-username'], 'anon');
    // Plain HTTP is accepted from a trusted address that says the client used HTTPS.
    const overHttp = await send(`${node.proxy}/c/oauth2/token`, 'POST', { form: { grant_type: 'client_credentials', ...confidential }, headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(overHttp.status, 200, overHttp.text);
    const twice = await send(`${node.proxy}/c/oauth2/token`, 'POST', { form: { grant_type: 'client_credentials', ...confidential }, headers: { 'x-forwarded-proto': 'https, http' } });
    assert.deepEqual(twice.body, { error: 'access_denied', error_description: 'Only one X-Forwarded-Proto header allowed' });
    const global = String(overHttp.body.access_token);
    const seen = echoOf(await get('/c/resource', { authorization: `Bearer ${global}` })).headers;
    assert.equal(seen['x-credential-identifier'], 'clientid123');
    assert.equal(seen['x-anonymous-consumer'], undefined);
    const onA = await get('/a/resource', { authorization: `Bearer ${global}` });
    assert.equal(onA.status, 401);
    assert.equal(onA.body.error_description, "The access token is global, but the current plugin is configured without 'global_credentials'");
  });

  test('Admin API: tokens listed and read by access token; a deleted token stops working', async () => {
    const issued = await token('/a/oauth2/token', { grant_type: 'password', ...confidential, provision_key: 'provision123', authenticated_userid: 'del' });
    const accessToken = String(issued.body.access_token);
    const read = await admin('GET', `/oauth2_tokens/${accessToken}`);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.authenticated_userid, 'del');
    assert.equal(read.body.expires_in, 7200);
    assert.equal(read.body.token_type, 'bearer');
    assert.ok(typeof read.body.ttl === 'number' && read.body.ttl > 1_209_000, 'the row lives refresh_token_ttl');
    assert.equal((read.body.credential as { id: string }).id, (await admin('GET', '/oauth2/clientid123')).body.id);
    assert.ok(((await admin('GET', '/oauth2_tokens')).body.data as unknown[]).length > 0);
    assert.equal((await get('/a/resource', { authorization: `Bearer ${accessToken}` })).status, 200);
    assert.equal((await admin('DELETE', `/oauth2_tokens/${accessToken}`)).status, 204);
    await waitUntil(async () => (await get('/a/resource', { authorization: `Bearer ${accessToken}` })).status === 401, WAIT, 'the deleted token to be refused');
  });

  test('db_export writes applications and tokens (not codes, as Kong); db_import into a new database serves the tokens', async () => {
    const issued = await token('/a/oauth2/token', { grant_type: 'password', ...confidential, provision_key: 'provision123', authenticated_userid: 'exported', scope: 'email' });
    assert.equal(issued.status, 200, issued.text);
    const accessToken = String(issued.body.access_token);
    const refreshToken = String(issued.body.refresh_token);
    // Codes stay in the database (Kong: db_export = false): one issued here is never in the file.
    const code = await authorize('/a', { client_id: 'clientid123', response_type: 'code', provision_key: 'provision123', authenticated_userid: 'exported' });
    assert.equal(code.status, 200, code.text);

    const exported = await runTollgate(['config', 'db_export'], db.env);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /consumers:[\s\S]*oauth2_credentials:[\s\S]*client_id: clientid123/);
    assert.match(exported.stdout, /oauth2_tokens:/);
    assert.ok(exported.stdout.includes(`access_token: ${accessToken}`), 'the token is exported');
    assert.ok(exported.stdout.includes(`refresh_token: ${refreshToken}`));
    assert.doesNotMatch(exported.stdout, /oauth2_authorization_codes/);
    const issuedCode = new URL(String(code.body.redirect_uri)).searchParams.get('code');
    assert.ok(issuedCode !== null && !exported.stdout.includes(issuedCode), 'no code in the file');

    const fresh = await createTestDatabase();
    let second: TollgateNode | undefined;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'tg-oauth2-export-'));
      const file = join(dir, 'export.yml');
      writeFileSync(file, exported.stdout);
      assert.equal((await runTollgate(['migrations', 'bootstrap'], fresh.env)).code, 0);
      const imported = await runTollgate(['config', 'db_import', file], fresh.env);
      assert.equal(imported.code, 0, imported.stderr + imported.stdout);
      const tlsPort = await freePort();
      second = await startTollgate({ env: fresh.env, extraProxyListen: `127.0.0.1:${tlsPort} ssl` });
      const read = await send(`${second.admin}/oauth2_tokens/${accessToken}`, 'GET');
      assert.equal(read.status, 200, read.text);
      assert.equal(read.body.authenticated_userid, 'exported');
      assert.equal(read.body.scope, 'email');
      assert.equal(read.body.created_at, (await admin('GET', `/oauth2_tokens/${accessToken}`)).body.created_at, 'the issue time is kept, so the token expires as before');
      const resource = () => send(`https://127.0.0.1:${tlsPort}/a/resource`, 'GET', { headers: { authorization: `Bearer ${accessToken}` } });
      await waitUntil(async () => (await resource()).status === 200, WAIT, 'the imported token on the new node');
      const seen = echoOf(await resource()).headers;
      assert.equal(seen['x-credential-identifier'], 'clientid123');
      assert.equal(seen['x-authenticated-userid'], 'exported');
      // The refresh token came along too.
      const refreshed = await send(`https://127.0.0.1:${tlsPort}/a/oauth2/token`, 'POST', { form: { grant_type: 'refresh_token', refresh_token: refreshToken, ...confidential } });
      assert.equal(refreshed.status, 200, refreshed.text);
    } finally {
      await second?.stop();
      await fresh.drop();
    }
  });

  test('client secrets and tokens never reach the logs', async () => {
    const issued = await token('/a/oauth2/token', { grant_type: 'client_credentials', ...confidential });
    await get('/a/resource', { authorization: `Bearer ${String(issued.body.access_token)}` });
    const logs = node.output() + readdirSync(join(node.prefix, 'logs')).map((f) => readFileSync(join(node.prefix, 'logs', f), 'utf8')).join('');
    assert.ok(!logs.includes(SECRET));
    assert.ok(!logs.includes(HASHED_SECRET));
    assert.ok(!logs.includes(String(issued.body.access_token)));
  });
});

describe('oauth2 DB-less: credentials nested under consumers, tokens in the file', { timeout: 120_000 }, () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('oauth2-dbless');
    const tlsPort = await freePort();
    node = await startTollgate({
      extraProxyListen: `127.0.0.1:${tlsPort} ssl`,
      config: `_format_version: "3.0"
services:
  - name: s
    url: http://127.0.0.1:${up.port}
    routes:
      - name: r
        paths: [/s]
    plugins:
      - name: oauth2
        config:
          enable_client_credentials: true
          provision_key: dbless-key
consumers:
  - username: carol
    oauth2_credentials:
      - name: app
        client_id: carol-app
        client_secret: ${SECRET}
        redirect_uris: [${REDIRECT}]
oauth2_tokens:
  - access_token: configured-token
    credential: carol-app
    service: s
    expires_in: 0
    authenticated_userid: from-file
  - access_token: expired-token
    credential: carol-app
    service: s
    expires_in: 60
    created_at: 1000000000
`,
    });
    (node as TollgateNode & { https: string }).https = `https://127.0.0.1:${tlsPort}`;
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('the credential loads and is served by the Admin API; issuing a token needs a database (500, as in Kong); tokens come from the file', async () => {
    const cred = await send(`${node.admin}/oauth2/carol-app`, 'GET');
    assert.equal(cred.status, 200, cred.text);
    assert.equal(cred.body.name, 'app');
    const https = (node as TollgateNode & { https: string }).https;
    const issued = await send(`${https}/s/oauth2/token`, 'POST', { form: { grant_type: 'client_credentials', client_id: 'carol-app', client_secret: SECRET } });
    assert.equal(issued.status, 500, issued.text);
    assert.equal(issued.body.message, 'An unexpected error occurred');
    const missing = await send(`${https}/s/anything`, 'GET');
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error_description, 'The access token is missing');
    const unknown = await send(`${https}/s/anything`, 'GET', { headers: { authorization: 'Bearer some-token' } });
    assert.equal(unknown.status, 401, 'a token is looked up and not found, as in Kong');
    assert.equal(unknown.body.error, 'invalid_token');
    // As a Kong DB-less node, one serves the tokens its file lists (what db_export writes).
    const configured = await send(`${https}/s/anything`, 'GET', { headers: { authorization: 'Bearer configured-token' } });
    assert.equal(configured.status, 200, configured.text);
    assert.equal(echoOf(configured).headers['x-authenticated-userid'], 'from-file');
    assert.equal(echoOf(configured).headers['x-credential-identifier'], 'carol-app');
    const expired = await send(`${https}/s/anything`, 'GET', { headers: { authorization: 'Bearer expired-token' } });
    assert.equal(expired.status, 401, 'expires_in still counts from created_at');
    const config = await send(`${node.admin}/config`, 'GET');
    assert.match(config.text, /oauth2_credentials/);
    assert.match(config.text, /oauth2_tokens/);
  });
});
