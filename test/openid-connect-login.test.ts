/**
 * openid-connect's header, login and transport fields through a real node, a real upstream and real OpenID
 * providers (oidc-provider, one over plain HTTP, one over HTTPS with a self-signed certificate):
 * - refresh token, user info and introspection answers upstream and to the client (`upstream_*_header`,
 *   `downstream_*_header`, `downstream_headers_claims`), base64 JSON for the answers;
 * - `authenticated_groups_claim` read by the acl plugin;
 * - after an authorization-code login, `login_action` `upstream` (the callback itself is proxied, its code and
 *   state removed, `preserve_query_args` restoring the original query), `response` (the `login_tokens` as JSON)
 *   and `redirect` (to `login_redirect_uri` or back, tokens in the query or fragment), and `response_mode:
 *   form_post` (the provider posts the code to the gateway);
 * - `ssl_verify` (off: the self-signed provider is reached; on: it is refused), `keepalive` and `http_version`
 *   accepted, proxies refused with a 400 naming the field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { importJWK, SignJWT, type JWK } from 'jose';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';
import { API, OPAQUE, startProvider, USER_PASSWORD, type TestProvider } from './helpers/oidc-provider.ts';
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

async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const res = await request(url, { method: (init.method ?? 'GET') as 'GET', headers: init.headers ?? {}, body: init.body, reset: true });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as { message: string } & Echo };
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const unbase64 = (v: unknown) => JSON.parse(Buffer.from(String(v), 'base64').toString('utf8')) as Record<string, unknown>;

/** How the provider hands the browser back: a redirect to the callback, or (form_post) a form posting to it. */
type Callback = { url: string; form: URLSearchParams | null };

/**
 * A browser's login: the gateway's redirect to the provider, the provider's login and consent pages, and the
 * way back to the gateway's callback (not followed: the caller sends it, with the gateway cookies).
 */
async function login(proxy: string, start: string): Promise<{ jar: CookieJar; authorize: URL; callback: Callback }> {
  const jar = new CookieJar();
  const first = await send(`${proxy}${start}`);
  assert.equal(first.status, 302, first.text);
  jar.take(first);
  const authorize = new URL(first.headers.location as string);
  const opJar = new CookieJar();
  let url = authorize.toString();
  let method = 'GET';
  let body: string | undefined;
  for (let step = 0; step < 20; step++) {
    const res = await send(url, { method, body, headers: { cookie: opJar.header(), ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) } });
    opJar.take(res);
    method = 'GET';
    body = undefined;
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.location as string, url).toString();
      if (next.startsWith(proxy)) return { jar, authorize, callback: { url: next, form: null } };
      url = next;
      continue;
    }
    assert.equal(res.status, 200, res.text);
    const action = /<form[^>]*action="([^"]+)"/.exec(res.text)?.[1];
    assert.ok(action, `a form at ${url}`);
    const target = new URL(action.replace(/&amp;/g, '&'), url).toString();
    if (target.startsWith(proxy)) {
      const form = new URLSearchParams();
      for (const m of res.text.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) form.set(m[1]!, m[2]!.replace(/&amp;/g, '&'));
      return { jar, authorize, callback: { url: target, form } };
    }
    url = target;
    method = 'POST';
    body = res.text.includes('name="login"') ? 'prompt=login&login=alice&password=any' : 'prompt=consent';
  }
  throw new Error('the provider never sent the browser back');
}

/** The browser arriving at the gateway's callback. */
function arrive(cb: Callback, jar: CookieJar): Promise<Answer> {
  if (cb.form === null) return send(cb.url, { headers: { cookie: jar.header() } });
  return send(cb.url, { method: 'POST', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: cb.form.toString() });
}

async function clientCredentials(p: TestProvider, scope: string, resource?: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope });
  if (resource !== undefined) body.set('resource', resource);
  const res = await send(`${p.issuer}/token`, { method: 'POST', headers: { authorization: basic(CLIENT, SECRET), 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
  assert.equal(res.status, 200, res.text);
  return (JSON.parse(res.text) as { access_token: string }).access_token;
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function sign(key: JWK, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid!, typ: 'at+jwt' }).sign(await importJWK(key, 'RS256'));
}

describe('openid-connect headers, login actions and transport against real providers', { timeout: 300_000 }, () => {
  let up: TestUpstream;
  let op: TestProvider;
  let tlsOp: TestProvider;
  let node: TollgateNode;
  let proxy: string;
  let certDir: string;

  before(async () => {
    up = await startUpstream('oidc-login-up');
    const ports = { proxy: await freePort(), admin: await freePort(), status: await freePort() };
    proxy = `http://127.0.0.1:${ports.proxy}`;
    const flows = ['respond', 'bounce', 'frag', 'up', 'upkeep', 'formpost', 'picky'];
    op = await startProvider([{ client_id: CLIENT, client_secret: SECRET, redirect_uris: flows.map((f) => `${proxy}/${f}/cb`) }]);
    certDir = mkdtempSync(join(tmpdir(), 'oidc-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: certDir, stdio: 'pipe' });
    tlsOp = await startProvider([{ client_id: CLIENT, client_secret: SECRET }], {
      tls: { key: readFileSync(join(certDir, 'key.pem'), 'utf8'), cert: readFileSync(join(certDir, 'cert.pem'), 'utf8') },
    });
    const oidc = (extra: string, issuer = op.issuer) => `
      - name: openid-connect
        config:
          issuer: ${issuer}
          client_id: [${CLIENT}]
          client_secret: [${SECRET}]
          display_errors: true
${extra}`;
    const route = (name: string, plugins: string) => `
  - name: ${name}
    url: http://127.0.0.1:${up.port}
    routes:
      - name: ${name}
        paths: [/${name}]
    plugins:${plugins}`;
    const flow = (name: string, extra = '') => route(name, oidc(`          auth_methods: [authorization_code, session]
          redirect_uri: [${proxy}/${name}/cb]
${extra}`));
    node = await startTollgate({
      workers: 1,
      ports,
      config: `_format_version: "3.0"
services:${route('tokens', oidc(`          auth_methods: [password]
          scopes: [openid]
          upstream_refresh_token_header: x-refresh-token
          upstream_user_info_header: x-userinfo
          downstream_access_token_header: x-access-token
          downstream_refresh_token_header: x-refresh-token
          downstream_user_info_header: x-userinfo
          downstream_headers_claims: [scope]
          downstream_headers_names: [x-scope]`))}${route('introspect', oidc(`          auth_methods: [introspection]
          upstream_introspection_header: x-introspection
          downstream_introspection_header: x-introspection`))}${route('groups', `${oidc(`          auth_methods: [bearer]
          authenticated_groups_claim: [scope]`)}
      - name: acl
        config:
          allow: [admin]`)}${flow('respond', `          login_action: response
          login_tokens: [id_token, access_token, tokens]`)}${flow('bounce', `          login_action: redirect
          login_redirect_uri: [https://app.example/done?from=gw]
          login_redirect_mode: query`)}${flow('frag', '          login_action: redirect\n')}${flow('up')}${flow('upkeep', '          preserve_query_args: true\n')}${flow('formpost', '          response_mode: form_post\n')}${flow('picky', '          scopes_required: [admin]\n')}${route('tlsoff', oidc(`          auth_methods: [bearer]
          keepalive: false
          http_version: 1.0`, tlsOp.issuer))}${route('tlson', oidc(`          auth_methods: [bearer]
          ssl_verify: true`, tlsOp.issuer))}
`,
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await op?.close();
    await tlsOp?.close();
    if (certDir !== undefined) rmSync(certDir, { recursive: true, force: true });
  });

  test('refresh token and user info upstream; access token, refresh token, user info and claims to the client', async () => {
    const res = await send(`${proxy}/tokens`, { headers: { authorization: basic('alice', USER_PASSWORD) } });
    assert.equal(res.status, 200, res.text);
    const echo = res.json();
    const access = String(echo.headers.authorization).replace(/^Bearer /, '');
    assert.ok(access.length > 10, 'the access token went upstream');
    const refresh = echo.headers['x-refresh-token'];
    assert.ok(typeof refresh === 'string' && refresh.length > 10, 'the refresh token went upstream');
    assert.equal(unbase64(echo.headers['x-userinfo']).sub, 'alice', 'the user info answer, base64 JSON');
    assert.equal(res.headers['x-access-token'], access);
    assert.equal(res.headers['x-refresh-token'], refresh);
    assert.equal(unbase64(res.headers['x-userinfo']).sub, 'alice');
    assert.equal(res.headers['x-scope'], 'openid');
    // Nothing of the kind on a route that does not ask for it.
    const token = await clientCredentials(op, 'read');
    const plain = await send(`${proxy}/groups`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(plain.headers['x-access-token'], undefined);
  });

  test('the introspection answer upstream and to the client', async () => {
    const opaque = await clientCredentials(op, 'read', OPAQUE);
    const res = await send(`${proxy}/introspect`, { headers: { authorization: `Bearer ${opaque}` } });
    assert.equal(res.status, 200, res.text);
    const upstream = unbase64(res.json().headers['x-introspection']);
    assert.equal(upstream.active, true);
    assert.equal(upstream.client_id, CLIENT);
    assert.equal(unbase64(res.headers['x-introspection']).active, true);
  });

  test('authenticated_groups_claim: the acl plugin allows by the token\'s groups', async () => {
    const admin = await send(`${proxy}/groups`, { headers: { authorization: `Bearer ${await clientCredentials(op, 'read admin')}` } });
    assert.equal(admin.status, 200, admin.text);
    assert.equal(admin.json().headers['x-authenticated-groups'], 'read, admin');
    const reader = await send(`${proxy}/groups`, { headers: { authorization: `Bearer ${await clientCredentials(op, 'read')}` } });
    assert.equal(reader.status, 403, reader.text);
  });

  test('login_action response: the login tokens as JSON, and the session cookie', async () => {
    const { jar, callback } = await login(proxy, '/respond/page');
    const res = await arrive(callback, jar);
    assert.equal(res.status, 200, res.text);
    const body = JSON.parse(res.text) as { id_token: string; access_token: string; tokens: Record<string, unknown> };
    assert.equal(body.id_token.split('.').length, 3);
    assert.equal(body.tokens.access_token, body.access_token);
    assert.equal(body.tokens.token_type, 'Bearer');
    assert.match(String(res.headers['cache-control']), /no-store/);
    jar.take(res);
    assert.ok(jar.cookies.has('session'));
    assert.equal((await send(`${proxy}/respond/page`, { headers: { cookie: jar.header() } })).status, 200, 'the session works');
  });

  test('login_action redirect: to login_redirect_uri with the ID token in the query', async () => {
    const { jar, callback } = await login(proxy, '/bounce/page');
    const res = await arrive(callback, jar);
    assert.equal(res.status, 302, res.text);
    const location = String(res.headers.location);
    assert.ok(location.startsWith('https://app.example/done?from=gw&id_token='), location);
    assert.equal(new URL(location).searchParams.get('id_token')!.split('.').length, 3);
    assert.ok(list(res.headers['set-cookie']).some((c) => c.startsWith('session=')));
  });

  test('login_action redirect without a URI: back where the login started, token in the fragment, query dropped', async () => {
    const { jar, callback } = await login(proxy, '/frag/page?x=1');
    const res = await arrive(callback, jar);
    assert.equal(res.status, 302, res.text);
    const location = String(res.headers.location);
    assert.ok(location.startsWith('/frag/page#id_token='), location);
  });

  test('login_action upstream: the callback itself is proxied, without code and state', async () => {
    const { jar, authorize, callback } = await login(proxy, '/up/page?x=1');
    assert.equal(authorize.searchParams.get('response_mode'), 'query');
    const res = await arrive(callback, jar);
    assert.equal(res.status, 200, res.text);
    const echo = res.json();
    assert.match(String(echo.headers.authorization), /^Bearer \S+$/);
    const url = new URL(echo.url, 'http://upstream');
    assert.equal(url.pathname, '/cb');
    assert.equal(url.searchParams.get('code'), null);
    assert.equal(url.searchParams.get('state'), null);
    assert.equal(url.searchParams.get('x'), null, 'the original query is not restored without preserve_query_args');
    assert.ok(list(res.headers['set-cookie']).some((c) => c.startsWith('session=')), 'the session starts on the proxied answer');
  });

  test('preserve_query_args: the callback goes upstream with the query the login started with', async () => {
    const { jar, callback } = await login(proxy, '/upkeep/page?x=1&y=two');
    const res = await arrive(callback, jar);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json().url, '/cb?x=1&y=two');
  });

  test('response_mode form_post: the provider posts the code, the gateway logs in and proxies the post', async () => {
    const { jar, authorize, callback } = await login(proxy, '/formpost/page');
    assert.equal(authorize.searchParams.get('response_mode'), 'form_post');
    assert.ok(callback.form?.get('code'), 'the provider posts the code');
    const res = await arrive(callback, jar);
    assert.equal(res.status, 200, res.text);
    const echo = res.json();
    assert.equal(echo.method, 'POST');
    assert.match(String(echo.headers.authorization), /^Bearer \S+$/);
    const left = new URLSearchParams(callback.form!);
    left.delete('code');
    left.delete('state');
    assert.equal(echo.bodyLength, Buffer.byteLength(left.toString()), 'code and state leave the upstream body');
  });

  test('a callback refused after the login (a required scope missing) starts no session', async () => {
    const { jar, callback } = await login(proxy, '/picky/page');
    const res = await arrive(callback, jar);
    assert.equal(res.status, 403, res.text);
    const cookies = list(res.headers['set-cookie']);
    assert.ok(cookies.some((c) => c.startsWith('authorization=;')), 'the login under way is cleared');
    assert.ok(!cookies.some((c) => c.startsWith('session=')), cookies.join('\n'));
  });

  test('ssl_verify: off reaches a provider with a self-signed certificate, on refuses it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(tlsOp.key, { iss: tlsOp.issuer, aud: API, scope: 'read', exp: now + 300 });
    const off = await send(`${proxy}/tlsoff`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(off.status, 200, off.text);
    const on = await send(`${proxy}/tlson`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(on.status, 500, on.text);
    await waitFor(() => /self[- ]signed certificate/i.test(node.output()), 'the node logs why the provider was refused');
  });

  test('transport fields: Kong\'s values accepted, proxies and unknown HTTP versions refused with a 400', async () => {
    const validate = async (config: Record<string, unknown>) => {
      const res = await request(`${node.admin}/schemas/plugins/validate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'openid-connect', config: { issuer: op.issuer, ...config } }),
      });
      const text = await res.body.text();
      return { status: res.statusCode, text, fields: (JSON.parse(text) as { fields?: { config?: Record<string, string> } }).fields?.config ?? {} };
    };
    const ok = await validate({ ssl_verify: true, keepalive: false, http_version: 1.0, http_proxy: null, https_proxy: null, response_mode: 'fragment' });
    assert.equal(ok.status, 200, ok.text);
    const proxied = await validate({ https_proxy: 'http://proxy.example:3128' });
    assert.equal(proxied.status, 400, proxied.text);
    assert.match(String(proxied.fields.https_proxy), /not supported/);
    const version = await validate({ http_version: 2 });
    assert.equal(version.status, 400, version.text);
    assert.match(String(version.fields.http_version), /1\.0 or 1\.1/);
    // The Admin API's schema shows the new fields with Kong's defaults.
    const schema = await request(`${node.admin}/schemas/plugins/openid-connect`);
    const text = await schema.body.text();
    assert.equal(schema.statusCode, 200, text);
    for (const field of ['login_action', 'downstream_user_info_header', 'authenticated_groups_claim', 'ssl_verify', 'response_mode']) {
      assert.ok(text.includes(`"${field}"`), `${field} in the schema`);
    }
  });
});
