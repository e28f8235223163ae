/**
 * basic-auth and acl through a real node and a real upstream: from the Admin API on SQLite (credentials and
 * groups nested under consumers, Kong's error bodies and challenges, anonymous, hide_credentials, bad
 * configurations), through `db_export`/`db_import` (including a Kong-format SHA-1 hash), and from a DB-less
 * declarative file. Passwords never reach the logs, the Admin API's reads or its audit log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';

const PASSWORD = 'correct-horse-battery-staple';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function call(base: string, method: string, path: string, fields?: Record<string, string>) {
  const res = await request(`${base}${path}`, {
    method: method as 'POST',
    headers: fields === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
    body: fields === undefined ? undefined : new URLSearchParams(fields).toString(),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? null : JSON.parse(text), text };
}

async function json(base: string, method: string, path: string, body: unknown) {
  const res = await request(`${base}${path}`, { method: method as 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? null : JSON.parse(text), text };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

const echoOf = (text: string) => JSON.parse(text) as Echo;

describe('basic-auth and acl from the Admin API (SQLite), then db_export and db_import', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  let prefix: string;
  const env = (p: string) => ({ TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: p });
  before(async () => {
    up = await startUpstream('basic-auth-up');
    prefix = mkdtempSync(join(tmpdir(), 'tg-basic-auth-'));
    node = await startTollgate({ env: env(prefix), prefix, keepPrefix: true });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('credentials are hashed at rest and shown as their hash; groups are addressed by name under the consumer', async () => {
    assert.equal((await call(node.admin, 'POST', '/services', { name: 'svc', url: `http://127.0.0.1:${up.port}` })).status, 201);
    assert.equal((await call(node.admin, 'POST', '/services/svc/routes', { 'paths[]': '/locked', name: 'locked' })).status, 201);
    assert.equal((await call(node.admin, 'POST', '/consumers', { username: 'luka', custom_id: 'l-1' })).status, 201);
    assert.equal((await call(node.admin, 'POST', '/consumers', { username: 'bob' })).status, 201);
    assert.equal((await call(node.admin, 'POST', '/consumers', { username: 'anon' })).status, 201);

    const cred = await call(node.admin, 'POST', '/consumers/luka/basic-auth', { username: 'luka-user', password: PASSWORD });
    assert.equal(cred.status, 201, cred.text);
    assert.match(cred.body.password, /^\$scrypt\$16384\$8\$1\$/);
    assert.equal((await call(node.admin, 'POST', '/consumers/bob/basic-auth', { username: 'bob-user', password: 'bob-password' })).status, 201);
    const read = await call(node.admin, 'GET', '/consumers/luka/basic-auth/luka-user');
    assert.equal(read.status, 200);
    assert.equal(read.body.password, cred.body.password);
    assert.equal((await call(node.admin, 'GET', `/basic-auths/${cred.body.id}`)).body.username, 'luka-user');
    assert.ok(!(await call(node.admin, 'GET', '/basic-auths')).text.includes(PASSWORD));

    const acl = await call(node.admin, 'POST', '/consumers/luka/acls', { group: 'admins' });
    assert.equal(acl.status, 201, acl.text);
    assert.equal((await call(node.admin, 'GET', '/consumers/luka/acls/admins')).body.id, acl.body.id);
    assert.equal((await call(node.admin, 'GET', `/consumers/luka/acls/${acl.body.id}`)).body.group, 'admins');
    assert.equal((await call(node.admin, 'GET', '/consumers/bob/acls/admins')).status, 404);
    const put = await call(node.admin, 'PUT', '/consumers/luka/acls/ops', {});
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.group, 'ops');
    assert.equal((await call(node.admin, 'PUT', '/consumers/luka/acls/ops', {})).body.id, put.body.id, 'a PUT by name replaces');
    assert.equal((await call(node.admin, 'POST', '/consumers/luka/acls', { group: 'admins' })).status, 409, 'once per consumer');
    assert.equal((await call(node.admin, 'GET', '/acls')).body.data.length, 2);
    assert.equal((await call(node.admin, 'DELETE', '/consumers/luka/acls/ops')).status, 204);
    assert.equal((await call(node.admin, 'DELETE', '/consumers/luka/acls/ops')).status, 404);
  });

  test('bad configurations and credentials: 400 naming the field', async () => {
    const both = await json(node.admin, 'POST', '/plugins', { name: 'acl', config: { allow: ['a'], deny: ['b'] } });
    assert.equal(both.status, 400);
    assert.match(both.text, /config\.allow/);
    assert.match(both.text, /config\.deny/);
    const neither = await json(node.admin, 'POST', '/plugins', { name: 'acl', config: {} });
    assert.equal(neither.status, 400);
    assert.match(neither.text, /at least one of these fields must be non-empty: 'config\.allow', 'config\.deny'/);
    const hide = await json(node.admin, 'POST', '/plugins', { name: 'basic-auth', config: { hide_credentials: 'maybe' } });
    assert.equal(hide.status, 400);
    assert.equal(hide.body.fields.config.hide_credentials, 'expected a boolean');
    const scoped = await json(node.admin, 'POST', '/consumers/luka/plugins', { name: 'basic-auth' });
    assert.equal(scoped.status, 400);
    const noPassword = await call(node.admin, 'POST', '/consumers/luka/basic-auth', { username: 'no-password' });
    assert.equal(noPassword.status, 400);
    assert.equal(noPassword.body.fields.password, 'required field missing');
    const noGroup = await call(node.admin, 'POST', '/consumers/luka/acls', {});
    assert.equal(noGroup.status, 400);
    assert.equal(noGroup.body.fields.group, 'required field missing');
  });

  test('the proxy: Kong\'s 401 with the challenge, 403 for a consumer outside the groups, headers upstream', async () => {
    assert.equal((await json(node.admin, 'POST', '/routes/locked/plugins', { name: 'basic-auth' })).status, 201);
    assert.equal((await json(node.admin, 'POST', '/routes/locked/plugins', { name: 'acl', config: { allow: ['admins'] } })).status, 201);
    await waitUntil(async () => (await get(`${node.proxy}/locked`)).status === 401, 5000, 'basic-auth on the proxy');

    const none = await get(`${node.proxy}/locked`);
    assert.equal(none.headers['www-authenticate'], 'Basic realm="service"');
    assert.equal(JSON.parse(none.text).message, 'Unauthorized');
    const wrong = await get(`${node.proxy}/locked`, { authorization: basic('luka-user', 'nope') });
    assert.equal(wrong.status, 401);
    assert.equal(JSON.parse(wrong.text).message, 'Unauthorized');
    assert.equal((await get(`${node.proxy}/locked`, { authorization: 'foobar' })).status, 401);

    const ok = await get(`${node.proxy}/locked/x`, { authorization: basic('luka-user', PASSWORD), 'x-consumer-groups': 'forged' });
    assert.equal(ok.status, 200, ok.text);
    const echo = echoOf(ok.text);
    assert.equal(echo.headers['x-consumer-username'], 'luka');
    assert.equal(echo.headers['x-consumer-custom-id'], 'l-1');
    assert.equal(echo.headers['x-credential-identifier'], 'luka-user');
    assert.equal(echo.headers['x-consumer-groups'], 'admins');
    assert.equal(echo.headers.authorization, basic('luka-user', PASSWORD), 'kept without hide_credentials');

    const bob = await get(`${node.proxy}/locked`, { authorization: basic('bob-user', 'bob-password') });
    assert.equal(bob.status, 403);
    assert.equal(JSON.parse(bob.text).message, 'You cannot consume this service');
  });

  test('a header that authenticated before follows changes to its consumer and credential', async () => {
    assert.equal((await call(node.admin, 'POST', '/consumers', { username: 'temp', custom_id: 't-1' })).status, 201);
    assert.equal((await call(node.admin, 'POST', '/consumers/temp/acls', { group: 'admins' })).status, 201);
    assert.equal((await call(node.admin, 'POST', '/consumers/temp/basic-auth', { username: 'temp-user', password: 'temp-password' })).status, 201);
    const header = { authorization: basic('temp-user', 'temp-password') };
    const customId = async () => {
      const res = await get(`${node.proxy}/locked`, header);
      return res.status === 200 ? echoOf(res.text).headers['x-consumer-custom-id'] : res.status;
    };
    await waitUntil(async () => (await customId()) === 't-1', 5000, 'the new credential');
    // Served from what the worker remembers now; the changes below must still show on the very same header.
    assert.equal(await customId(), 't-1');
    assert.equal((await call(node.admin, 'PATCH', '/consumers/temp', { custom_id: 't-2' })).status, 200);
    await waitUntil(async () => (await customId()) === 't-2', 5000, 'the changed consumer');
    assert.equal((await call(node.admin, 'DELETE', '/consumers/temp/basic-auth/temp-user')).status, 204);
    await waitUntil(async () => (await customId()) === 401, 5000, 'the deleted credential');
    assert.equal((await call(node.admin, 'DELETE', '/consumers/temp')).status, 204);
  });

  test('anonymous and hide_credentials; acl answers 401 to an anonymous consumer without groups', async () => {
    const route = await call(node.admin, 'POST', '/services/svc/routes', { 'paths[]': '/open', name: 'open' });
    assert.equal(route.status, 201);
    const anon = (await call(node.admin, 'GET', '/consumers/anon')).body.id as string;
    assert.equal((await json(node.admin, 'POST', '/routes/open/plugins', { name: 'basic-auth', config: { anonymous: anon, hide_credentials: true, realm: 'open' } })).status, 201);
    // The route serves before its plugin does: wait until the plugin has reached the proxy (the upstream is told the consumer).
    await waitUntil(async () => {
      const res = await get(`${node.proxy}/open`);
      return res.status === 200 && echoOf(res.text).headers['x-anonymous-consumer'] === 'true';
    }, 5000, 'anonymous');
    const anonymous = echoOf((await get(`${node.proxy}/open`, { authorization: basic('luka-user', 'wrong') })).text);
    assert.equal(anonymous.headers['x-anonymous-consumer'], 'true');
    assert.equal(anonymous.headers['x-consumer-username'], 'anon');
    assert.equal(anonymous.headers.authorization, undefined, 'hide_credentials');
    const known = echoOf((await get(`${node.proxy}/open`, { authorization: basic('luka-user', PASSWORD) })).text);
    assert.equal(known.headers['x-consumer-username'], 'luka');
    assert.equal(known.headers.authorization, undefined);

    assert.equal((await json(node.admin, 'POST', '/routes/open/plugins', { name: 'acl', config: { allow: ['admins'] } })).status, 201);
    await waitUntil(async () => (await get(`${node.proxy}/open`)).status === 401, 5000, 'acl on the open route');
    const refused = await get(`${node.proxy}/open`);
    assert.equal(JSON.parse(refused.text).message, 'Unauthorized');
    assert.equal((await get(`${node.proxy}/open`, { authorization: basic('luka-user', PASSWORD) })).status, 200);
  });

  test('the password is in no log and no audit record', async () => {
    const audit = await call(node.admin, 'GET', '/audit/requests?size=1000');
    assert.equal(audit.status, 200);
    assert.ok(audit.body.data.some((r: { path: string }) => r.path === '/consumers/luka/basic-auth'));
    for (const secret of [PASSWORD, 'bob-password', Buffer.from(`luka-user:${PASSWORD}`).toString('base64')]) {
      assert.ok(!audit.text.includes(secret), 'audit log');
      assert.ok(!node.output().includes(secret), 'node output');
    }
  });

  test('db_export writes hashes; db_import into a new database (with a Kong SHA-1 hash) authenticates the same', async () => {
    await node.stop();
    const exported = await runTollgate(['config', 'db_export'], env(prefix));
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /_transform: false/);
    assert.match(exported.stdout, /\$scrypt\$16384\$8\$1\$/);
    assert.ok(!exported.stdout.includes(PASSWORD));
    assert.match(exported.stdout, /group: admins/);

    // Add what a Kong export holds: a credential whose password is Kong's SHA-1 of password and consumer id.
    const kongConsumer = '8a2c8b1e-6f2d-4b1a-9d55-2b8f4c3f1a10';
    const kongHash = createHash('sha1').update(`MI6${kongConsumer}`).digest('hex');
    const file = join(prefix, 'export.yml');
    writeFileSync(file, exported.stdout);
    const kongFile = join(prefix, 'kong.yml');
    writeFileSync(
      kongFile,
      `_format_version: "3.0"
_transform: false
consumers:
  - id: ${kongConsumer}
    username: bond
    basicauth_credentials:
      - username: bond-user
        password: ${kongHash}
    acls:
      - group: admins
`,
    );

    const fresh = mkdtempSync(join(tmpdir(), 'tg-basic-auth-import-'));
    assert.equal((await runTollgate(['migrations', 'bootstrap'], env(fresh))).code, 0);
    const imported = await runTollgate(['config', 'db_import', file], env(fresh));
    assert.equal(imported.code, 0, imported.stderr);
    const importedKong = await runTollgate(['config', 'db_import', kongFile], env(fresh));
    assert.equal(importedKong.code, 0, importedKong.stderr);

    const second = await startTollgate({ env: env(fresh) });
    try {
      const stored = await call(second.admin, 'GET', '/basic-auths/bond-user');
      assert.equal(stored.body.password, kongHash, 'a Kong hash is stored as it is');
      await waitUntil(async () => (await get(`${second.proxy}/locked`)).status === 401, 5000, 'the imported plugins');
      const luka = await get(`${second.proxy}/locked`, { authorization: basic('luka-user', PASSWORD) });
      assert.equal(luka.status, 200, luka.text);
      assert.equal(echoOf(luka.text).headers['x-consumer-groups'], 'admins');
      const bond = await get(`${second.proxy}/locked`, { authorization: basic('bond-user', 'MI6') });
      assert.equal(bond.status, 200, bond.text);
      assert.equal(echoOf(bond.text).headers['x-credential-identifier'], 'bond-user');
      assert.equal((await get(`${second.proxy}/locked`, { authorization: basic('bond-user', 'MI5') })).status, 401);
      assert.equal((await get(`${second.proxy}/locked`, { authorization: basic('bob-user', 'bob-password') })).status, 403);
      // A password changed through the Admin API is hashed again and the old one stops working.
      const patched = await call(second.admin, 'PATCH', '/consumers/bond/basic-auth/bond-user', { password: 'new-password' });
      assert.equal(patched.status, 200, patched.text);
      assert.match(patched.body.password, /^\$scrypt\$/);
      await waitUntil(async () => (await get(`${second.proxy}/locked`, { authorization: basic('bond-user', 'new-password') })).status === 200, 5000, 'the new password');
      assert.equal((await get(`${second.proxy}/locked`, { authorization: basic('bond-user', 'MI6') })).status, 401);
      assert.ok(!second.output().includes('new-password'));
    } finally {
      await second.stop();
    }
  });
});

describe('basic-auth and acl from a DB-less declarative file', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('basic-auth-dbless');
    node = await startTollgate({
      config: `_format_version: "3.0"
services:
  - name: locked
    url: http://127.0.0.1:${up.port}
    routes:
      - name: locked
        paths: [/locked]
    plugins:
      - name: basic-auth
        config:
          hide_credentials: true
          realm: tollgate
      - name: acl
        config:
          deny: [banned]
          hide_groups_header: true
consumers:
  - username: ann
    basicauth_credentials:
      - username: ann-user
        password: ${PASSWORD}
    acls:
      - group: staff
  - username: eve
    basicauth_credentials:
      - username: eve-user
        password: eve-password
    acls:
      - group: banned
`,
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('passwords from the file are hashed; deny blocks its group; hide flags hold', async () => {
    const missing = await get(`${node.proxy}/locked`);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Basic realm="tollgate"');
    const ann = await get(`${node.proxy}/locked`, { authorization: basic('ann-user', PASSWORD) });
    assert.equal(ann.status, 200, ann.text);
    const echo = echoOf(ann.text);
    assert.equal(echo.headers.authorization, undefined);
    assert.equal(echo.headers['x-consumer-groups'], undefined);
    assert.equal(echo.headers['x-credential-identifier'], 'ann-user');
    const eve = await get(`${node.proxy}/locked`, { authorization: basic('eve-user', 'eve-password') });
    assert.equal(eve.status, 403);
    assert.equal(JSON.parse(eve.text).message, 'You cannot consume this service');

    const read = await call(node.admin, 'GET', '/basic-auths/ann-user');
    assert.equal(read.status, 200);
    assert.match(read.body.password, /^\$scrypt\$/);
    assert.ok(!node.output().includes(PASSWORD));
  });
});
