/**
 * openid-connect's credential-exchanging and token-checking methods through a real node on PostgreSQL (two
 * workers), a real upstream and a real OpenID provider (oidc-provider, with the password grant registered by
 * the test helper): `password` and `client_credentials` exchanged at the token endpoint and cached node-wide
 * (the provider's /token is counted), `refresh_token` from a header, `userinfo` asked of the provider's user
 * info endpoint (cached), and `kong_oauth2` accepting tokens the node's own oauth2 plugin issued. Failures
 * answer Kong's 401, and no credential reaches the node's logs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { startProvider, USER_PASSWORD, type TestProvider } from './helpers/oidc-provider.ts';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';

const CLIENT = 'gateway';
const SECRET = 'gateway-secret-0123456789';
const APP = 'machine';
const APP_SECRET = 'machine-secret-9876543210';
const OAUTH2_SECRET = 'kong-oauth2-app-secret-555';
const WRONG = 'wrong-password-not-to-be-logged';
const WAIT = 60_000;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => { message: string } & Echo;
}

async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const res = await request(url, { method: (init.method ?? 'GET') as 'GET', headers: init.headers ?? {}, body: init.body, reset: true });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as { message: string } & Echo };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = (fields: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', body: new URLSearchParams(fields).toString() });

/** Tokens straight from the provider (as a client would hold them before calling the gateway). */
async function providerTokens(op: TestProvider, fields: Record<string, string>): Promise<Record<string, string>> {
  const { body, ...headers } = form(fields);
  const res = await send(`${op.issuer}/token`, { method: 'POST', headers: { ...headers, authorization: basic(CLIENT, SECRET) }, body });
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text) as Record<string, string>;
}

describe('openid-connect grants, userinfo and kong_oauth2 against a real provider', { timeout: 300_000 }, () => {
  let db: TestDatabase;
  let up: TestUpstream;
  let op: TestProvider;
  let node: TollgateNode;
  const hits = (path: string) => op.hits.get(path) ?? 0;
  const admin = async (method: string, path: string, json: unknown) => {
    const res = await request(`${node.admin}${path}`, { method: method as 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) });
    const text = await res.body.text();
    assert.ok(res.statusCode < 300, `${method} ${path}: ${res.statusCode} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };

  before(async () => {
    db = await createTestDatabase();
    const boot = await runTollgate(['migrations', 'bootstrap'], db.env);
    assert.equal(boot.code, 0, boot.stderr + boot.stdout);
    up = await startUpstream('oidc-grants-up');
    op = await startProvider([
      { client_id: CLIENT, client_secret: SECRET, redirect_uris: ['http://127.0.0.1/unused'] },
      { client_id: APP, client_secret: APP_SECRET, redirect_uris: ['http://127.0.0.1/unused'] },
    ]);
    node = await startTollgate({ env: { ...db.env, TOLLGATE_TRUSTED_IPS: '127.0.0.1' }, workers: 2 });
    const url = `http://127.0.0.1:${up.port}`;
    const oidc = (extra: Record<string, unknown>) => ({
      name: 'openid-connect',
      config: { issuer: op.issuer, client_id: [CLIENT], client_secret: [SECRET], display_errors: true, ...extra },
    });
    const services: Record<string, Record<string, unknown>> = {
      password: oidc({ auth_methods: ['password'], scopes: ['openid', 'read'], consumer_claim: ['sub'], upstream_headers_claims: ['sub'], upstream_headers_names: ['x-user'] }),
      'password-header': oidc({ auth_methods: ['password'], scopes: ['openid', 'read'], password_param_type: ['header'], cache_tokens: false }),
      machines: oidc({ auth_methods: ['client_credentials'], scopes: ['read'], consumer_claim: ['client_id'], hide_credentials: true }),
      userinfo: oidc({ auth_methods: ['userinfo'], consumer_claim: ['sub'], upstream_headers_claims: ['sub'], upstream_headers_names: ['x-user'] }),
      'userinfo-unremembered': oidc({ auth_methods: ['userinfo'], cache_ttl_neg: 0 }),
      refresh: oidc({ auth_methods: ['refresh_token'], refresh_token_param_name: 'x-refresh-token', refresh_token_param_type: ['header'], consumer_claim: ['sub'], hide_credentials: true }),
      'kong-tokens': oidc({ auth_methods: ['kong_oauth2'], scopes_required: ['email'] }),
      issuer: { name: 'oauth2', config: { enable_client_credentials: true, global_credentials: true, accept_http_if_already_terminated: true, scopes: ['email'] } },
      'local-issuer': { name: 'oauth2', config: { enable_client_credentials: true, accept_http_if_already_terminated: true, scopes: ['email'] } },
    };
    await admin('POST', '/consumers', { username: 'alice' });
    await admin('POST', '/consumers', { username: APP });
    await admin('POST', '/consumers', { username: 'bob' });
    await admin('POST', '/consumers/bob/oauth2', { name: 'bobs-app', client_id: 'bobs-app', client_secret: OAUTH2_SECRET, redirect_uris: ['http://127.0.0.1/unused'] });
    for (const [name, plugin] of Object.entries(services)) {
      await admin('POST', '/services', { name, url });
      await admin('POST', `/services/${name}/routes`, { name, paths: [`/${name}`] });
      await admin('POST', `/services/${name}/plugins`, plugin);
    }
    // The proxy has the configuration once the last plugin answers as configured.
    await waitUntil(async () => (await send(`${node.proxy}/issuer`)).status !== 404 && (await send(`${node.proxy}/kong-tokens`)).status === 401, WAIT, 'the configuration on the proxy');
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await op?.close();
    await db?.drop();
  });

  test('password: Basic credentials exchanged once, then answered from the node cache', async () => {
    const before = hits('/token');
    const ok = await send(`${node.proxy}/password`, { headers: { authorization: basic('alice', USER_PASSWORD) } });
    assert.equal(ok.status, 200, ok.text);
    const echo = ok.json();
    assert.equal(echo.headers['x-consumer-username'], 'alice');
    assert.equal(echo.headers['x-user'], 'alice');
    // The access token the provider issued goes upstream instead of the client's Basic credentials.
    assert.match(String(echo.headers.authorization), /^Bearer eyJ/);
    assert.equal(hits('/token') - before, 1);
    // Fresh connections reach both workers: every one is served from the node-wide cache.
    for (let i = 0; i < 6; i++) assert.equal((await send(`${node.proxy}/password`, { headers: { authorization: basic('alice', USER_PASSWORD) } })).status, 200);
    assert.equal(hits('/token') - before, 1, 'the token endpoint is asked once for repeated credentials');
    // Query and form arguments are places Kong looks too (password_param_type defaults to all three).
    const query = await send(`${node.proxy}/password?username=carol&password=${encodeURIComponent(USER_PASSWORD)}`);
    assert.equal(query.status, 401, 'carol is no consumer');
    const body = await send(`${node.proxy}/password`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: 'alice', password: USER_PASSWORD }).toString() });
    assert.equal(body.status, 200, body.text);
    // A burst with new credentials: at most one exchange per worker (two), whatever the burst's size.
    const burst = hits('/token');
    const answers = await Promise.all(Array.from({ length: 12 }, () => send(`${node.proxy}/password`, { headers: { authorization: basic('dave', USER_PASSWORD) } })));
    assert.ok(answers.every((a) => a.status === 401), 'dave is no consumer');
    assert.ok(hits('/token') - burst <= 2, `${hits('/token') - burst} exchanges for one burst`);
  });

  test('password: a wrong password is Kong\'s 401, never cached, never logged', async () => {
    const before = hits('/token');
    for (let i = 0; i < 2; i++) {
      const wrong = await send(`${node.proxy}/password`, { headers: { authorization: basic('alice', WRONG) } });
      assert.equal(wrong.status, 401, wrong.text);
      assert.equal(wrong.json().message, 'Unauthorized (password grant failed (invalid_grant))');
      assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="127.0.0.1"');
    }
    assert.equal(hits('/token') - before, 2, 'refusals are not cached');
    // password_param_type: [header] ignores credentials in the query.
    const query = await send(`${node.proxy}/password-header?username=alice&password=${encodeURIComponent(USER_PASSWORD)}`);
    assert.equal(query.status, 401);
    assert.equal(query.json().message, 'Unauthorized (no credentials found)');
    // cache_tokens: false asks the provider every time.
    const uncached = hits('/token');
    for (let i = 0; i < 2; i++) assert.equal((await send(`${node.proxy}/password-header`, { headers: { authorization: basic('alice', USER_PASSWORD) } })).status, 200);
    assert.equal(hits('/token') - uncached, 2);
    assert.doesNotMatch(node.output(), new RegExp(`${WRONG}|${USER_PASSWORD}|${SECRET}`));
  });

  test('client_credentials: the client\'s own id and secret, from Basic or the form body, cached', async () => {
    const before = hits('/token');
    const ok = await send(`${node.proxy}/machines?keep=1`, { headers: { authorization: basic(APP, APP_SECRET) } });
    assert.equal(ok.status, 200, ok.text);
    const echo = ok.json();
    assert.equal(echo.headers['x-consumer-username'], APP);
    assert.match(String(echo.headers.authorization), /^Bearer eyJ/, 'hide_credentials removed Basic; the access token replaced it');
    assert.equal(hits('/token') - before, 1);
    for (let i = 0; i < 4; i++) assert.equal((await send(`${node.proxy}/machines`, { headers: { authorization: basic(APP, APP_SECRET) } })).status, 200);
    assert.equal(hits('/token') - before, 1, 'cached for the token\'s expires_in');
    const { body, ...headers } = form({ client_id: APP, client_secret: APP_SECRET });
    assert.equal((await send(`${node.proxy}/machines`, { method: 'POST', headers, body })).status, 200);
    // From the query, hide_credentials removes the pair from the upstream URL and keeps the other arguments.
    const query = await send(`${node.proxy}/machines?keep=1&client_id=${APP}&client_secret=${APP_SECRET}`);
    assert.equal(query.status, 200, query.text);
    assert.equal(query.json().url, '/?keep=1', 'the route strips its path; only keep is left');
    const wrong = await send(`${node.proxy}/machines`, { headers: { authorization: basic(APP, 'not-the-secret') } });
    assert.equal(wrong.status, 401, wrong.text);
    assert.equal(wrong.json().message, 'Unauthorized (client_credentials grant failed (invalid_client))');
  });

  test('refresh_token: the header\'s refresh token exchanged for a new access token', async () => {
    const tokens = await providerTokens(op, { grant_type: 'password', username: 'alice', password: USER_PASSWORD, scope: 'openid offline_access read' });
    assert.ok(tokens.refresh_token);
    const before = hits('/token');
    const ok = await send(`${node.proxy}/refresh`, { headers: { 'x-refresh-token': tokens.refresh_token! } });
    assert.equal(ok.status, 200, ok.text);
    const echo = ok.json();
    assert.equal(echo.headers['x-consumer-username'], 'alice');
    assert.match(String(echo.headers.authorization), /^Bearer eyJ/);
    assert.notEqual(String(echo.headers.authorization), `Bearer ${tokens.access_token}`, 'a new access token');
    assert.equal(echo.headers['x-refresh-token'], undefined, 'hide_credentials keeps the refresh token from the upstream');
    assert.equal(hits('/token') - before, 1);
    const bogus = await send(`${node.proxy}/refresh`, { headers: { 'x-refresh-token': 'not-a-refresh-token' } });
    assert.equal(bogus.status, 401, bogus.text);
    assert.equal(bogus.json().message, 'Unauthorized (refresh_token grant failed (invalid_grant))');
  });

  test('userinfo: the provider\'s user info endpoint vouches for the token once; its claims map the consumer', async () => {
    const { access_token: token } = await providerTokens(op, { grant_type: 'password', username: 'alice', password: USER_PASSWORD, scope: 'openid' });
    assert.doesNotMatch(token!, /\./, 'an opaque token only the provider can check');
    const before = hits('/me');
    const ok = await send(`${node.proxy}/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json().headers['x-consumer-username'], 'alice');
    assert.equal(ok.json().headers['x-user'], 'alice');
    assert.equal(hits('/me') - before, 1);
    for (let i = 0; i < 4; i++) assert.equal((await send(`${node.proxy}/userinfo`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal(hits('/me') - before, 1, 'cache_user_info: asked once for the node');
    // A burst with a token the node has not seen: at most one call per worker.
    const { access_token: fresh } = await providerTokens(op, { grant_type: 'password', username: 'alice', password: USER_PASSWORD, scope: 'openid' });
    const burst = hits('/me');
    const answers = await Promise.all(Array.from({ length: 12 }, () => send(`${node.proxy}/userinfo`, { headers: { authorization: `Bearer ${fresh}` } })));
    assert.ok(answers.every((a) => a.status === 200));
    assert.ok(hits('/me') - burst <= 2, `${hits('/me') - burst} user info calls for one burst`);
    const bad = await send(`${node.proxy}/userinfo`, { headers: { authorization: 'Bearer made-up-token' } });
    assert.equal(bad.status, 401, bad.text);
    assert.equal(bad.headers['www-authenticate'], 'Bearer realm="127.0.0.1", error="invalid_token", error_description="the user info endpoint refused the token"');
    // cache_ttl_neg (default: cache_ttl, at most 300 s): the refusal is remembered node-wide, so the same bad
    // token again, on any worker, does not reach the provider.
    const refusedOnce = hits('/me');
    for (let i = 0; i < 4; i++) assert.equal((await send(`${node.proxy}/userinfo`, { headers: { authorization: 'Bearer made-up-token' } })).status, 401);
    assert.equal(hits('/me'), refusedOnce, 'a refused token is not asked about again within cache_ttl_neg');
    // With cache_ttl_neg 0 every request with the bad token asks the provider.
    const unremembered = hits('/me');
    for (let i = 0; i < 3; i++) assert.equal((await send(`${node.proxy}/userinfo-unremembered`, { headers: { authorization: 'Bearer another-made-up-token' } })).status, 401);
    assert.equal(hits('/me') - unremembered, 3);
    // A JWT for the API is no user info token: the provider refuses it too.
    const { access_token: jwt } = await providerTokens(op, { grant_type: 'password', username: 'alice', password: USER_PASSWORD, scope: 'openid read' });
    assert.equal((await send(`${node.proxy}/userinfo`, { headers: { authorization: `Bearer ${jwt}` } })).status, 401);
  });

  test('kong_oauth2: a token of the node\'s own oauth2 plugin authenticates as its application\'s consumer', async () => {
    const issue = async (service: string) => {
      const issued = await send(`${node.proxy}/${service}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'bobs-app', client_secret: OAUTH2_SECRET, scope: 'email' }).toString(),
      });
      assert.equal(issued.status, 200, issued.text);
      return (JSON.parse(issued.text) as { access_token: string }).access_token;
    };
    const token = await issue('issuer');
    const seen = [...op.hits.values()].reduce((a, b) => a + b, 0);
    const ok = await send(`${node.proxy}/kong-tokens`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json().headers['x-consumer-username'], 'bob');
    assert.equal([...op.hits.values()].reduce((a, b) => a + b, 0) - seen, 0, 'no provider call for a Kong token');
    const unknown = await send(`${node.proxy}/kong-tokens`, { headers: { authorization: 'Bearer no-such-kong-token' } });
    assert.equal(unknown.status, 401, unknown.text);
    assert.equal(unknown.json().message, 'Unauthorized (token not accepted)');
    // A token bound to another service (its oauth2 plugin has no global_credentials) is refused.
    const local = await send(`${node.proxy}/kong-tokens`, { headers: { authorization: `Bearer ${await issue('local-issuer')}` } });
    assert.equal(local.status, 401, local.text);
    assert.equal(local.json().message, 'Unauthorized (token was issued for another service)');
  });

  test('no secret, password or token endpoint credential reaches the logs', () => {
    assert.doesNotMatch(node.output(), new RegExp(`${APP_SECRET}|${OAUTH2_SECRET}|${USER_PASSWORD}`));
  });
});
