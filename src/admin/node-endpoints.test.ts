/**
 * Node-level endpoints, headers, CORS, OPTIONS and HEAD, in DB mode (SQLite) and DB-less mode.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDeclarative } from '../declarative/index.ts';
import { startTestAdmin, TEST_PLUGINS, type TestAdmin } from './test-support.ts';

describe('node endpoints with a database', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startTestAdmin({ plugins: TEST_PLUGINS });
  });
  after(async () => {
    await admin.close();
  });

  test('GET / and /status describe a node with a reachable database', async () => {
    const info = await admin.call('GET', '/');
    assert.equal(info.status, 200);
    assert.equal(info.body.node_id, '11111111-2222-4333-8444-555555555555');
    assert.deepEqual(info.body.plugins.enabled_in_cluster, []);
    const status = await admin.call('GET', '/status');
    assert.deepEqual(status.body.database, { reachable: true });
    assert.equal(status.body.configuration_hash, undefined);
  });

  test('/endpoints lists every path with {param} placeholders, sorted segment-wise', async () => {
    const r = await admin.call('GET', '/endpoints');
    assert.ok(r.body.data.includes('/services/{services}/routes/{routes}'));
    assert.ok(r.body.data.includes('/schemas/plugins/{name}'));
    assert.equal(r.body.data[0], '/');
  });

  test('/schemas/{entity} and /schemas/plugins/{name}', async () => {
    const services = await admin.call('GET', '/schemas/services');
    assert.equal(services.status, 200);
    const host = services.body.fields.find((f: Record<string, unknown>) => 'host' in f);
    assert.equal(host.host.required, true);
    assert.ok(Array.isArray(services.body.entity_checks));
    const credential = await admin.call('GET', '/schemas/keyauth_credentials');
    assert.equal(credential.status, 200);
    assert.deepEqual((await admin.call('GET', '/schemas/nope')).body, { message: "No entity named 'nope'" });
    const plugin = await admin.call('GET', '/schemas/plugins/rate-limiting');
    assert.equal(plugin.status, 200);
    const config = plugin.body.fields.find((f: Record<string, unknown>) => 'config' in f).config;
    assert.ok(config.fields.some((f: Record<string, unknown>) => 'minute' in f));
    const missing = await admin.call('GET', '/schemas/plugins/nope');
    assert.deepEqual([missing.status, missing.body], [404, { message: "No plugin named 'nope'" }]);
    assert.equal((await admin.call('GET', '/plugins/schema/rate-limiting')).status, 200);
    assert.deepEqual((await admin.call('GET', '/plugins/enabled')).body, { enabled_plugins: ['rate-limiting', 'key-auth'] });
  });

  test('POST /schemas/{entity}/validate checks without writing', async () => {
    const ok = await admin.call('POST', '/schemas/services/validate', { json: { host: 'x.test' } });
    assert.deepEqual([ok.status, ok.body], [200, { message: 'schema validation successful' }]);
    const bad = await admin.call('POST', '/schemas/services/validate', { form: 'port=80' });
    assert.deepEqual([bad.status, bad.body.code, bad.body.message], [400, 2, 'schema violation (host: required field missing)']);
    assert.equal((await admin.call('POST', '/schemas/nope/validate', { json: {} })).status, 404);
    const plugin = await admin.call('POST', '/schemas/plugins/validate', { json: { name: 'rate-limiting', config: { minute: 0 } } });
    assert.equal(plugin.status, 400);
    assert.deepEqual((await admin.call('GET', '/services')).body.data, []);
  });

  test('/config is for DB-less nodes only', async () => {
    const message = { message: 'this endpoint is only available when Tollgate is configured to not use a database' };
    assert.deepEqual((await admin.call('GET', '/config')).body, message);
    const post = await admin.call('POST', '/config', { json: { _format_version: '3.0' } });
    assert.deepEqual([post.status, post.body], [400, message]);
  });

  test('CORS: the Origin is echoed with credentials; OPTIONS answers preflights', async () => {
    const get = await admin.call('GET', '/services', { headers: { origin: 'http://ui.example' } });
    assert.equal(get.headers['access-control-allow-origin'], 'http://ui.example');
    assert.equal(get.headers['access-control-allow-credentials'], 'true');
    assert.equal((await admin.call('GET', '/services')).headers['access-control-allow-origin'], '*');
    const preflight = await admin.call('OPTIONS', '/services/abc', {
      headers: { origin: 'http://ui.example', 'access-control-request-headers': 'content-type,x-custom' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.text, '');
    assert.equal(preflight.headers.allow, 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT');
    assert.equal(preflight.headers['access-control-allow-methods'], 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT');
    assert.equal(preflight.headers['access-control-allow-headers'], 'content-type,x-custom');
    assert.equal((await admin.call('OPTIONS', '/')).headers.allow, 'GET, HEAD, OPTIONS');
    assert.equal((await admin.call('OPTIONS', '/nowhere')).status, 404);
  });

  test('HEAD answers with GET’s headers and no body; common headers', async () => {
    await admin.call('POST', '/services', { json: { name: 'head', host: 'h.test' } });
    const get = await admin.call('GET', '/services/head');
    const head = await admin.call('HEAD', '/services/head');
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers['content-length'], get.headers['content-length']);
    assert.equal(head.headers['content-type'], 'application/json; charset=utf-8');
    assert.match(String(get.headers.server), /^tollgate\//);
    assert.match(String(get.headers['x-tollgate-admin-latency']), /^\d+$/);
  });
});

describe('node endpoints without a database (DB-less)', () => {
  let admin: TestAdmin;
  before(async () => {
    const loaded = loadDeclarative(
      '_format_version: "3.0"\nservices:\n  - name: alpha\n    host: alpha.test\n    tags: [t1]\n    routes:\n      - name: alpha-route\n        paths: ["/a"]\n',
    );
    assert.ok(loaded.ok);
    admin = await startTestAdmin({ db: false, config: loaded.config });
  });
  after(async () => {
    await admin.close();
  });

  test('reads come from the configuration; /status shows its hash; /config exports it', async () => {
    assert.equal((await admin.call('GET', '/services/alpha')).body.host, 'alpha.test');
    assert.equal((await admin.call('GET', '/services/alpha/routes')).body.data.length, 1);
    assert.equal((await admin.call('GET', '/tags/t1')).body.data[0].entity_name, 'services');
    const status = await admin.call('GET', '/status');
    assert.equal(status.body.configuration_hash, 'f'.repeat(32));
    assert.equal(status.body.database, undefined);
    assert.match((await admin.call('GET', '/config')).body.config, /alpha/);
  });

  test('writes are validated, then refused with 405 code 12', async () => {
    const invalid = await admin.call('POST', '/services', { json: {} });
    assert.equal(invalid.status, 400);
    const post = await admin.call('POST', '/services', { form: 'host=x.test' });
    assert.deepEqual([post.status, post.body], [405, { code: 12, name: 'operation unsupported', message: "cannot create 'services' entities when not using a database" }]);
    const put = await admin.call('PUT', '/services/alpha', { json: { host: 'y.test' } });
    assert.equal(put.body.message, "cannot create or update 'services' entities by 'name' when not using a database");
    const del = await admin.call('DELETE', '/services/alpha');
    assert.equal(del.body.message, "cannot remove 'services' entities by 'name' when not using a database");
    assert.equal((await admin.call('DELETE', '/services/missing')).status, 204);
    const patchMissing = await admin.call('PATCH', '/services/missing', { json: {} });
    assert.equal(patchMissing.body.code, 6);
  });
});
