/**
 * openid-connect through a real node (two workers), a real upstream and a real OpenID provider (the
 * oidc-provider package, started here on a claimed port): bearer JWTs from the client_credentials grant,
 * audience and scope refusals with Kong's 401/403 and Bearer challenges, consumer mapping, key rotation
 * (one JWKS refresh for the new kid; unknown kids refused without asking the provider again), token
 * introspection cached node-wide, and the authorization-code flow driven with plain HTTP requests through the
 * provider's login and consent pages, then the session cookie, its tampering and logout.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { importJWK, SignJWT, generateKeyPair, type JWK } from 'jose';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';
import { API, OPAQUE, startProvider, type TestProvider } from './helpers/oidc-provider.ts';
import { freePort } from './helpers/ports.ts';
import { CookieJar } from './helpers/cookie-jar.ts';

const CLIENT = 'gateway';
const SECRET = 'gateway-secret-0123456789';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => { message: string } & Echo;
}

async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}, fresh = true): Promise<Answer> {
  const res = await request(url, { method: (init.method ?? 'GET') as 'GET', headers: init.headers ?? {}, body: init.body, reset: fresh });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as { message: string } & Echo };
}

const setCookies = (a: Answer): string[] => {
  const v = a.headers['set-cookie'];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

async function clientCredentials(p: TestProvider, scope: string, resource?: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope });
  if (resource !== undefined) body.set('resource', resource);
  const res = await send(`${p.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${CLIENT}:${SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
  });
  assert.equal(res.status, 200, res.text);
  return (JSON.parse(res.text) as { access_token: string }).access_token;
}

async function sign(key: JWK, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid!, typ: 'at+jwt' }).sign(await importJWK(key, 'RS256'));
}

describe('openid-connect against a real OpenID provider', () => {
  let up: TestUpstream;
  let op: TestProvider;
  let node: TollgateNode;
  let proxy: string;

  before(async () => {
    up = await startUpstream('oidc-up');
    const ports = { proxy: await freePort(), admin: await freePort(), status: await freePort() };
    proxy = `http://127.0.0.1:${ports.proxy}`;
    op = await startProvider([{
      client_id: CLIENT,
      client_secret: SECRET,
      redirect_uris: [`${proxy}/app/callback`],
      post_logout_redirect_uris: [`${proxy}/bye`],
    }]);
    const plugin = (extra: string) => `
      - name: openid-connect
        config:
          issuer: ${op.issuer}
          client_id: [${CLIENT}]
          client_secret: [${SECRET}]
          rediscovery_lifetime: 600
${extra}`;
    const route = (name: string, plugins: string) => `
  - name: ${name}
    url: http://127.0.0.1:${up.port}
    routes:
      - name: ${name}
        paths: [/${name}]
    plugins:${plugins}`;
    const bearer = '          auth_methods: [bearer]\n';
    const deadPort = await freePort();
    node = await startTollgate({
      workers: 2,
      ports,
      config: `_format_version: "3.0"
consumers:
  - username: ${CLIENT}
  - username: alice
    custom_id: alice-42
  - username: nobody
services:${route('api', plugin(`${bearer}          audience_required: ["${API}"]
          scopes_required: [read]
          consumer_claim: [client_id]
          credential_claim: [client_id]
          upstream_headers_claims: [scope, aud]
          upstream_headers_names: [x-scope, x-audience]`))}${route('admin', plugin(`${bearer}          scopes_required: ["read admin", superuser]`))}${route('elsewhere', plugin(`${bearer}          audience_required: [https://other.example]`))}${route('unmapped', plugin(`${bearer}          consumer_claim: [scope]`))}${route('optional', plugin(`${bearer}          consumer_claim: [scope]\n          consumer_optional: true\n          display_errors: true`))}${route('anon', plugin(`${bearer}          anonymous: nobody`))}${route('introspect', plugin(`          auth_methods: [introspection]
          scopes_required: [read]
          upstream_headers_claims: [aud]
          upstream_headers_names: [x-audience]`))}${route('lenient', plugin(`${bearer}          leeway: 600`))}${route('cookie', plugin(`${bearer}          bearer_token_param_type: [cookie]
          bearer_token_cookie_name: at`))}${route('cookieshown', plugin(`${bearer}          bearer_token_param_type: [header, cookie]
          bearer_token_cookie_name: at
          hide_credentials: false
          upstream_access_token_header: x-access-token`))}${route('introspectbrief', plugin(`          auth_methods: [introspection]
          cache_ttl_neg: 1`))}${route('secure', plugin(`          auth_methods: [authorization_code]
          redirect_uri: [${proxy}/app/callback]
          session_cookie_secure: true
          session_cookie_same_site: Strict`))}${route('deadop', `
      - name: openid-connect
        config:
          issuer: http://127.0.0.1:${deadPort}
          auth_methods: [bearer]
          timeout: 3000`)}${route('app', plugin(`          auth_methods: [authorization_code, session]
          redirect_uri: [${proxy}/app/callback]
          logout_redirect_uri: [${proxy}/bye]
          logout_uri_suffix: /logout
          session_secret: a-long-session-secret-for-tests
          consumer_claim: [sub]
          upstream_headers_claims: [sub]
          upstream_headers_names: [x-user]
          upstream_id_token_header: x-id-token
          login_action: redirect
          login_tokens: []
          preserve_query_args: true`))}
`,
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await op?.close();
  });

  test('a client_credentials JWT passes: consumer, credential, claims and the token upstream', async () => {
    const token = await clientCredentials(op, 'read write');
    const ok = await send(`${proxy}/api`, { headers: { authorization: `Bearer ${token}`, 'x-consumer-username': 'forged' } });
    assert.equal(ok.status, 200, ok.text);
    const echo = ok.json();
    assert.equal(echo.headers['x-consumer-username'], CLIENT);
    assert.equal(echo.headers['x-credential-identifier'], CLIENT);
    assert.equal(echo.headers['x-scope'], 'read write');
    assert.equal(echo.headers['x-audience'], API);
    assert.equal(echo.headers.authorization, `Bearer ${token}`);
    // The token may come as the access_token query argument too; hide_credentials (Kong's default: true)
    // keeps it from the upstream URL, while the access token still goes in upstream_access_token_header.
    const byQuery = await send(`${proxy}/api?access_token=${token}&page=2`);
    assert.equal(byQuery.status, 200, byQuery.text);
    assert.equal(byQuery.json().url, '/?page=2');
    assert.equal(byQuery.json().headers.authorization, `Bearer ${token}`);
  });

  test('Kong\'s 401 with a Bearer challenge: no token, a broken one, expired, another issuer', async () => {
    const none = await send(`${proxy}/api`);
    assert.equal(none.status, 401);
    assert.equal(none.json().message, 'Unauthorized');
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="127.0.0.1"');
    const broken = await send(`${proxy}/api`, { headers: { authorization: 'Bearer a.b.c' } });
    assert.equal(broken.status, 401);
    assert.equal(broken.headers['www-authenticate'], 'Bearer realm="127.0.0.1", error="invalid_token"');
    const now = Math.floor(Date.now() / 1000);
    const base = { iss: op.issuer, aud: API, scope: 'read', client_id: CLIENT };
    const expired = await sign(op.key, { ...base, iat: now - 600, exp: now - 300 });
    assert.equal((await send(`${proxy}/api`, { headers: { authorization: `Bearer ${expired}` } })).status, 401);
    const foreign = await sign(op.key, { ...base, iss: 'https://evil.example', exp: now + 300 });
    assert.equal((await send(`${proxy}/api`, { headers: { authorization: `Bearer ${foreign}` } })).status, 401);
    // Within leeway an expired token still passes.
    assert.equal((await send(`${proxy}/lenient`, { headers: { authorization: `Bearer ${expired}` } })).status, 200);
    // The same claims from the provider's issuer and key pass: the refusals were for exp and iss.
    const good = await sign(op.key, { ...base, exp: now + 300 });
    assert.equal((await send(`${proxy}/api`, { headers: { authorization: `Bearer ${good}` } })).status, 200);
  });

  test('a provider that cannot be reached: Kong\'s 500, and the next request tries again', async () => {
    const token = await clientCredentials(op, 'read');
    for (let i = 0; i < 2; i++) {
      const r = await send(`${proxy}/deadop`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 500, r.text);
      assert.equal(r.json().message, 'An unexpected error occurred');
    }
  });

  test('missing scopes or audience: 403 Forbidden with insufficient_scope', async () => {
    const read = await clientCredentials(op, 'read');
    const admin = await send(`${proxy}/admin`, { headers: { authorization: `Bearer ${read}` } });
    assert.equal(admin.status, 403);
    assert.equal(admin.json().message, 'Forbidden');
    assert.equal(admin.headers['www-authenticate'], 'Bearer realm="127.0.0.1", error="insufficient_scope"');
    // "read admin" needs both scopes.
    assert.equal((await send(`${proxy}/admin`, { headers: { authorization: `Bearer ${await clientCredentials(op, 'admin')}` } })).status, 403);
    assert.equal((await send(`${proxy}/admin`, { headers: { authorization: `Bearer ${await clientCredentials(op, 'read admin')}` } })).status, 200);
    assert.equal((await send(`${proxy}/elsewhere`, { headers: { authorization: `Bearer ${read}` } })).status, 403);
    assert.equal((await send(`${proxy}/api`, { headers: { authorization: `Bearer ${await clientCredentials(op, 'write')}` } })).status, 403);
  });

  test('consumer mapping: no match is a 401 unless consumer_optional; anonymous on failure', async () => {
    const token = await clientCredentials(op, 'read');
    assert.equal((await send(`${proxy}/unmapped`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
    const optional = await send(`${proxy}/optional`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(optional.status, 200, optional.text);
    assert.equal(optional.json().headers['x-consumer-id'], undefined);
    const anon = await send(`${proxy}/anon`, { headers: { authorization: 'Bearer nonsense.token.here' } });
    assert.equal(anon.status, 200, anon.text);
    assert.equal(anon.json().headers['x-consumer-username'], 'nobody');
    assert.equal(anon.json().headers['x-anonymous-consumer'], 'true');
  });

  test('key rotation: one JWKS refresh for the new kid; unknown kids are refused without asking again', async () => {
    // The node has the old keys by now.
    assert.equal((await send(`${proxy}/api`, { headers: { authorization: `Bearer ${await clientCredentials(op, 'read')}` } })).status, 200);
    const before = op.hits.get('/jwks') ?? 0;
    await op.rotate();
    const rotated = await clientCredentials(op, 'read');
    // Fresh connections, so both workers meet the new kid; the node refreshes once.
    for (let i = 0; i < 6; i++) {
      const r = await send(`${proxy}/api`, { headers: { authorization: `Bearer ${rotated}` } });
      assert.equal(r.status, 200, r.text);
    }
    assert.equal((op.hits.get('/jwks') ?? 0) - before, 1, 'exactly one JWKS download for the rotation');
    // A key the provider never published: refused, and within rediscovery_lifetime the JWKS is not fetched again.
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const stranger = { ...(await (await import('jose')).exportJWK(privateKey)), kid: 'never-published' };
    const now = Math.floor(Date.now() / 1000);
    const forged = await sign(stranger, { iss: op.issuer, aud: API, scope: 'read', client_id: CLIENT, exp: now + 300 });
    for (let i = 0; i < 10; i++) {
      const r = await send(`${proxy}/api`, { headers: { authorization: `Bearer ${forged}` } });
      assert.equal(r.status, 401);
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="127.0.0.1", error="invalid_token"');
    }
    assert.equal((op.hits.get('/jwks') ?? 0) - before, 1, 'unknown kids do not hammer the JWKS endpoint');
    // The discovery document was fetched once for the whole node (and once more with the refresh).
    assert.ok((op.hits.get('/.well-known/openid-configuration') ?? 0) <= 2);
  });

  test('introspection: an opaque token is asked once, then answered from the node cache', async () => {
    const opaque = await clientCredentials(op, 'read', OPAQUE);
    assert.doesNotMatch(opaque, /\./);
    const first = await send(`${proxy}/introspect`, { headers: { authorization: `Bearer ${opaque}` } });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json().headers['x-audience'], OPAQUE);
    const asked = op.hits.get('/token/introspection') ?? 0;
    assert.ok(asked >= 1);
    for (let i = 0; i < 4; i++) assert.equal((await send(`${proxy}/introspect`, { headers: { authorization: `Bearer ${opaque}` } })).status, 200);
    assert.equal(op.hits.get('/token/introspection'), asked, 'cached for cache_ttl across workers');
    const inactive = await send(`${proxy}/introspect`, { headers: { authorization: 'Bearer not-a-real-token' } });
    assert.equal(inactive.status, 401);
    assert.equal(inactive.headers['www-authenticate'], 'Bearer realm="127.0.0.1", error="invalid_token"');
    // cache_ttl_neg: the inactive answer is remembered node-wide, so the same token again costs no call.
    const refusedOnce = op.hits.get('/token/introspection');
    for (let i = 0; i < 4; i++) assert.equal((await send(`${proxy}/introspect`, { headers: { authorization: 'Bearer not-a-real-token' } })).status, 401);
    assert.equal(op.hits.get('/token/introspection'), refusedOnce, 'an inactive token is not asked about again within cache_ttl_neg');
    const writeOnly = await clientCredentials(op, 'write', OPAQUE);
    assert.equal((await send(`${proxy}/introspect`, { headers: { authorization: `Bearer ${writeOnly}` } })).status, 403);
  });

  test('cache_ttl_neg bounds how long an inactive answer is remembered', async () => {
    const calls = () => op.hits.get('/token/introspection') ?? 0;
    const start = calls();
    assert.equal((await send(`${proxy}/introspectbrief`, { headers: { authorization: 'Bearer brief-made-up-token' } })).status, 401);
    assert.equal(calls() - start, 1);
    // After cache_ttl_neg (1 s) the provider is asked again: poll, since the machine may be slow.
    const deadline = Date.now() + 30_000;
    while (calls() - start < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      assert.equal((await send(`${proxy}/introspectbrief`, { headers: { authorization: 'Bearer brief-made-up-token' } })).status, 401);
    }
    assert.ok(calls() - start >= 2, 'the remembered refusal expired');
  });

  test('bearer_token_param_type cookie: the token read from bearer_token_cookie_name', async () => {
    const token = await clientCredentials(op, 'read');
    const ok = await send(`${proxy}/cookie`, { headers: { cookie: `theme=dark; at=${token}; lang=en` } });
    assert.equal(ok.status, 200, ok.text);
    // hide_credentials (default): the token cookie leaves the upstream request, the other cookies stay, and the
    // access token goes up in the Authorization header.
    assert.equal(ok.json().headers.cookie, 'theme=dark; lang=en');
    assert.equal(ok.json().headers.authorization, `Bearer ${token}`);
    const only = await send(`${proxy}/cookie`, { headers: { cookie: `at=${token}` } });
    assert.equal(only.status, 200, only.text);
    assert.equal(only.json().headers.cookie, undefined);
    // Only the cookie is looked at on this route: a header token is no credential, nor another cookie name.
    assert.equal((await send(`${proxy}/cookie`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
    assert.equal((await send(`${proxy}/cookie`, { headers: { cookie: `other=${token}` } })).status, 401);
    const bad = await send(`${proxy}/cookie`, { headers: { cookie: 'at=eyJhbGciOiJSUzI1NiJ9.e30.c2ln' } });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers['www-authenticate'], 'Bearer realm="127.0.0.1", error="invalid_token"');
    // With hide_credentials false the cookie goes upstream untouched.
    const shown = await send(`${proxy}/cookieshown`, { headers: { cookie: `at=${token}; theme=dark` } });
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.json().headers.cookie, `at=${token}; theme=dark`);
    assert.equal(shown.json().headers['x-access-token'], token);
  });

  test('authorization-code flow: provider login and consent, session cookie, reuse, tampering, logout', async () => {
    const jar = new CookieJar();
    // 1. The browser meets the gateway: a redirect to the provider with state, nonce and PKCE.
    const start = await send(`${proxy}/app/page?x=1`);
    assert.equal(start.status, 302, start.text);
    const authorize = new URL(start.headers.location as string);
    assert.equal(`${authorize.origin}${authorize.pathname}`, `${op.issuer}/auth`);
    assert.equal(authorize.searchParams.get('client_id'), CLIENT);
    assert.equal(authorize.searchParams.get('redirect_uri'), `${proxy}/app/callback`);
    assert.equal(authorize.searchParams.get('scope'), 'openid');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(authorize.searchParams.get('state') && authorize.searchParams.get('nonce') && authorize.searchParams.get('code_challenge'));
    jar.take(start);
    assert.ok(jar.cookies.has('authorization'), 'the authorization cookie holds the flow');
    assert.match(setCookies(start)[0]!, /HttpOnly/);
    // 2. At the provider: follow redirects, submit the login and consent forms.
    const opJar = new CookieJar();
    let url = authorize.toString();
    let method = 'GET';
    let body: string | undefined;
    let callback: string | null = null;
    for (let step = 0; step < 20 && callback === null; step++) {
      const res = await send(url, {
        method,
        body,
        headers: { cookie: opJar.header(), ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
      });
      opJar.take(res);
      method = 'GET';
      body = undefined;
      if (res.status >= 300 && res.status < 400) {
        const next = new URL(res.headers.location as string, url).toString();
        if (next.startsWith(`${proxy}/app/callback`)) callback = next;
        url = next;
        continue;
      }
      assert.equal(res.status, 200, res.text);
      const action = /<form[^>]*action="([^"]+)"/.exec(res.text)?.[1];
      assert.ok(action, `a form at ${url}`);
      url = new URL(action, url).toString();
      method = 'POST';
      body = res.text.includes('name="login"') ? 'prompt=login&login=alice&password=any' : 'prompt=consent';
    }
    assert.ok(callback, 'the provider sent the browser back to the gateway');
    // A callback whose state is not the one in the cookie is refused.
    const forgedState = new URL(callback);
    forgedState.searchParams.set('state', 'forged');
    const wrong = await send(forgedState.toString(), { headers: { cookie: jar.header() } });
    assert.equal(wrong.status, 401);
    // 3. The callback: the code is exchanged, the ID token checked, a session cookie set, back to the page
    //    (login_action: redirect, with no tokens in the URL; preserve_query_args keeps `?x=1`).
    const tokenCalls = op.hits.get('/token') ?? 0;
    const done = await send(callback, { headers: { cookie: jar.header() } });
    assert.equal(done.status, 302, done.text);
    assert.equal(done.headers.location, '/app/page?x=1');
    jar.take(done);
    assert.equal(op.hits.get('/token'), tokenCalls + 1);
    const sessionCookie = setCookies(done).find((c) => c.startsWith('session='));
    assert.ok(sessionCookie);
    assert.match(sessionCookie, /; HttpOnly/);
    assert.match(sessionCookie, /; SameSite=Lax/);
    assert.doesNotMatch(sessionCookie, /Secure/, 'plain HTTP: no Secure unless configured');
    assert.ok(!jar.cookies.has('authorization'), 'the authorization cookie is cleared');
    assert.doesNotMatch(jar.cookies.get('session')!, /eyJ/, 'the tokens are encrypted in the cookie');
    // 4. With the session the browser passes, without the provider.
    const seen = [...op.hits.values()].reduce((a, b) => a + b, 0);
    for (let i = 0; i < 4; i++) {
      const page = await send(`${proxy}/app/page`, { headers: { cookie: jar.header() } });
      assert.equal(page.status, 200, page.text);
      const echo = page.json();
      assert.equal(echo.headers['x-consumer-username'], 'alice');
      assert.equal(echo.headers['x-user'], 'alice');
      assert.match(String(echo.headers.authorization), /^Bearer \S+$/);
      assert.equal(String(echo.headers['x-id-token']).split('.').length, 3);
    }
    assert.equal([...op.hits.values()].reduce((a, b) => a + b, 0), seen, 'no call to the provider while the session lasts');
    // 5. A tampered session cookie is no session: the flow starts again.
    const value = jar.cookies.get('session')!;
    const tampered = `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    const again = await send(`${proxy}/app/page`, { headers: { cookie: `session=${tampered}` } });
    assert.equal(again.status, 302);
    assert.ok(String(again.headers.location).startsWith(`${op.issuer}/auth`));
    // 6. Logout: the cookie is cleared and the browser goes to the provider's end-session endpoint.
    const out = await send(`${proxy}/app/logout`, { method: 'POST', headers: { cookie: jar.header() } });
    assert.equal(out.status, 302, out.text);
    const end = new URL(out.headers.location as string);
    assert.equal(`${end.origin}${end.pathname}`, `${op.issuer}/session/end`);
    assert.equal(end.searchParams.get('post_logout_redirect_uri'), `${proxy}/bye`);
    assert.equal(String(end.searchParams.get('id_token_hint')).split('.').length, 3);
    assert.ok(setCookies(out).some((c) => c.startsWith('session=;') && /Max-Age=0/.test(c)));
    // GET is not a logout method by default: it is an ordinary authenticated request.
    assert.equal((await send(`${proxy}/app/logout`, { headers: { cookie: jar.header() } })).status, 200);
  });

  test('cookie attributes as configured: Secure and SameSite', async () => {
    const start = await send(`${proxy}/secure/page`);
    assert.equal(start.status, 302);
    const cookie = setCookies(start).find((c) => c.startsWith('authorization='));
    assert.ok(cookie);
    assert.match(cookie, /; SameSite=Strict; Secure; HttpOnly/);
  });

  test('configuration errors are 400s naming the field', async () => {
    const validate = async (config: Record<string, unknown>) => {
      const res = await request(`${node.admin}/schemas/plugins/validate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'openid-connect', config }),
      });
      const text = await res.body.text();
      return { status: res.statusCode, text, body: JSON.parse(text) as { fields: { config: Record<string, unknown> } } };
    };
    const missing = await validate({});
    assert.equal(missing.status, 400, missing.text);
    assert.equal(missing.body.fields.config.issuer, 'required field missing');
    const method = await validate({ issuer: op.issuer, auth_methods: ['bearer', 'magic'] });
    assert.equal(method.status, 400, method.text);
    assert.ok(method.body.fields.config.auth_methods, method.text);
    const url = await validate({ issuer: 'not a url' });
    assert.equal(url.status, 400, url.text);
    assert.ok(url.body.fields.config.issuer, url.text);
    const consumerBy = await validate({ issuer: op.issuer, consumer_by: ['email'] });
    assert.equal(consumerBy.status, 400, consumerBy.text);
    assert.ok(consumerBy.body.fields.config.consumer_by, consumerBy.text);
    const unknown = await validate({ issuer: op.issuer, client_jwk: [] });
    assert.equal(unknown.status, 400, unknown.text);
    assert.ok(unknown.body.fields.config.client_jwk, unknown.text);
    const action = await validate({ issuer: op.issuer, login_action: 'elsewhere' });
    assert.equal(action.status, 400, action.text);
    assert.ok(action.body.fields.config.login_action, action.text);
    const ok = await validate({ issuer: op.issuer });
    assert.equal(ok.status, 200, ok.text);
  });
});
