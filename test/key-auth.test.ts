import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';

/** A form-encoded Admin API call, as `curl -d` sends it. */
async function form(base: string, path: string, fields: Record<string, string>) {
  const res = await request(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? null : JSON.parse(text) };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

for (const database of ['sqlite', 'postgres'] as const) describe(`key-auth through Kong's getting-started flow (${database})`, () => {
  let up: TestUpstream;
  let node: TollgateNode;
  let db: TestDatabase | null = null;
  before(async () => {
    up = await startUpstream('key-auth-up');
    let env: Record<string, string> = { TOLLGATE_DATABASE: 'sqlite' };
    if (database === 'postgres') {
      db = await createTestDatabase();
      env = db.env;
      const boot = await runTollgate(['migrations', 'bootstrap'], env);
      assert.equal(boot.code, 0, boot.stderr);
    }
    node = await startTollgate({ env });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    await db?.drop();
  });

  test('401 without a key, 401 with a wrong one, proxied with the right one', async () => {
    assert.equal((await form(node.admin, '/services', { name: 'example_service', url: `http://127.0.0.1:${up.port}` })).status, 201);
    assert.equal((await form(node.admin, '/services/example_service/routes', { 'paths[]': '/mock', name: 'example_route' })).status, 201);
    await waitUntil(async () => (await get(`${node.proxy}/mock`)).status === 200, 2000, 'the route on the proxy');

    const plugin = await form(node.admin, '/services/example_service/plugins', { name: 'key-auth' });
    assert.equal(plugin.status, 201, JSON.stringify(plugin.body));
    assert.deepEqual(plugin.body.config.key_names, ['apikey']);
    assert.equal((await form(node.admin, '/consumers', { username: 'luka' })).status, 201);
    const cred = await form(node.admin, '/consumers/luka/key-auth', { key: 'top-secret-key' });
    assert.equal(cred.status, 201, JSON.stringify(cred.body));

    await waitUntil(async () => (await get(`${node.proxy}/mock`)).status === 401, 2000, 'key-auth on the proxy');
    const missing = await get(`${node.proxy}/mock/anything`);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Key');
    assert.equal(JSON.parse(missing.text).message, 'No API key found in request');
    assert.ok(JSON.parse(missing.text).request_id);

    const wrong = await get(`${node.proxy}/mock/anything`, { apikey: 'nope' });
    assert.equal(wrong.status, 401);
    assert.equal(JSON.parse(wrong.text).message, 'Unauthorized');

    await waitUntil(async () => (await get(`${node.proxy}/mock`, { apikey: 'top-secret-key' })).status === 200, 2000, 'the credential');
    const ok = await get(`${node.proxy}/mock/anything`, { apikey: 'top-secret-key', 'x-consumer-id': 'forged' });
    assert.equal(ok.status, 200);
    const echo = JSON.parse(ok.text) as Echo;
    assert.equal(echo.headers['x-consumer-username'], 'luka');
    assert.match(String(echo.headers['x-consumer-id']), /^[0-9a-f-]{36}$/);
    assert.equal(echo.headers['x-credential-identifier'], cred.body.id);
    assert.equal(echo.headers.apikey, 'top-secret-key');

    const byQuery = await get(`${node.proxy}/mock/anything?apikey=top-secret-key&x=1`);
    assert.equal(byQuery.status, 200);
    assert.equal((JSON.parse(byQuery.text) as Echo).url, '/anything?apikey=top-secret-key&x=1');

    const info = JSON.parse((await get(`${node.admin}/`)).text);
    assert.ok('key-auth' in info.plugins.available_on_server);
    assert.equal(info.plugins.available_on_server['key-auth'].priority, 1250);
    assert.equal((await get(`${node.admin}/schemas/plugins/key-auth`)).status, 200);
  });

  test('a key with a ttl stops working when it expires, with no other write', async () => {
    const cred = await form(node.admin, '/consumers/luka/key-auth', { key: 'short-lived-key', ttl: '1' });
    assert.equal(cred.status, 201, JSON.stringify(cred.body));
    await waitUntil(async () => (await get(`${node.proxy}/mock`, { apikey: 'short-lived-key' })).status === 200, 2000, 'the new key');
    const t0 = Date.now();
    await waitUntil(async () => (await get(`${node.proxy}/mock`, { apikey: 'short-lived-key' })).status === 401, 4000, 'the key to expire');
    assert.ok(Date.now() - t0 < 2500, `expired after ${Date.now() - t0} ms`);
    assert.equal((await get(`${node.proxy}/mock`, { apikey: 'top-secret-key' })).status, 200, 'other keys still work');
  });
});

describe('key-auth from a DB-less declarative file', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('key-auth-dbless');
    node = await startTollgate({
      config: `_format_version: "3.0"
services:
  - name: open
    url: http://127.0.0.1:${up.port}
    routes:
      - name: open
        paths: [/open]
  - name: locked
    url: http://127.0.0.1:${up.port}
    routes:
      - name: locked
        paths: [/locked]
    plugins:
      - name: key-auth
        config:
          key_names: [x-api-key]
          hide_credentials: true
          realm: tollgate
consumers:
  - username: ann
    custom_id: ann-1
    keyauth_credentials:
      - key: ann-key
`,
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('only the route of the plugin’s service is locked', async () => {
    assert.equal((await get(`${node.proxy}/open`)).status, 200);
    const locked = await get(`${node.proxy}/locked`);
    assert.equal(locked.status, 401);
    assert.equal(locked.headers['www-authenticate'], 'Key realm="tollgate"');
  });

  test('hide_credentials strips the key from headers and query; consumer headers reach the upstream', async () => {
    const byHeader = await get(`${node.proxy}/locked/a`, { 'x-api-key': 'ann-key' });
    assert.equal(byHeader.status, 200);
    const echo = JSON.parse(byHeader.text) as Echo;
    assert.equal(echo.headers['x-api-key'], undefined);
    assert.equal(echo.headers['x-consumer-custom-id'], 'ann-1');
    assert.equal(echo.headers['x-consumer-username'], 'ann');
    assert.equal(echo.headers['x-anonymous-consumer'], undefined);
    const byQuery = await get(`${node.proxy}/locked/a?x-api-key=ann-key&keep=1`);
    assert.equal(byQuery.status, 200);
    assert.equal((JSON.parse(byQuery.text) as Echo).url, '/a?keep=1');
  });

  test('a plugin naming a plugin that is not enabled is refused by POST /config', async () => {
    const res = await request(`${node.admin}/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ _format_version: '3.0', plugins: [{ name: 'no-such-plugin' }] }),
    });
    const body = (await res.body.json()) as { fields: { plugins: unknown[] } };
    assert.equal(res.statusCode, 400);
    assert.match(JSON.stringify(body.fields), /plugin 'no-such-plugin' not enabled/);
  });
});

describe('the plugins setting', () => {
  test('a plugin stored in the database does not run on a node that does not enable it', async () => {
    const up = await startUpstream('plugins-setting');
    const prefix = mkdtempSync(join(tmpdir(), 'tg-plugins-'));
    const first = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: prefix } });
    try {
      assert.equal((await form(first.admin, '/services', { name: 's', url: `http://127.0.0.1:${up.port}` })).status, 201);
      assert.equal((await form(first.admin, '/services/s/routes', { 'paths[]': '/locked', name: 'locked' })).status, 201);
      assert.equal((await form(first.admin, '/services/s/plugins', { name: 'key-auth' })).status, 201);
      await waitUntil(async () => (await get(`${first.proxy}/locked`)).status === 401, 2000, 'key-auth on the first node');
    } finally {
      await first.stop();
    }
    const second = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: prefix, TOLLGATE_PLUGINS: 'off' } });
    try {
      assert.equal((await get(`${second.proxy}/locked`)).status, 200);
    } finally {
      await second.stop();
      await up.close();
    }
  });
});
