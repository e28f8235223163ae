/**
 * Kong's write semantics through the Admin API on a SQLite store: PUT upserts, PATCH merges, DELETE,
 * cascades and restricts, nested endpoints and the parent seen from the child.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAdmin, TEST_PLUGINS, type TestAdmin } from './test-support.ts';

const NEW_ID = '0d2f0c8e-3b1a-4c6d-9e7f-112233445566';

describe('write semantics', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startTestAdmin({ plugins: TEST_PLUGINS });
  });
  after(async () => {
    await admin.close();
  });

  test('PUT by id creates, then fully replaces (omitted fields return to defaults; created_at kept)', async () => {
    const created = await admin.call('PUT', `/services/${NEW_ID}`, { json: { name: 'put-svc', host: 'a.test', retries: 2, path: '/p' } });
    assert.equal(created.status, 200);
    assert.equal(created.body.id, NEW_ID);
    assert.equal(created.body.retries, 2);
    const replaced = await admin.call('PUT', `/services/${NEW_ID}`, { json: { name: 'put-svc', host: 'b.test' } });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.host, 'b.test');
    assert.equal(replaced.body.retries, 5);
    assert.equal(replaced.body.path, null);
    assert.equal(replaced.body.created_at, created.body.created_at);
  });

  test('PUT by endpoint key writes the key from the URL; an existing entity keeps its id', async () => {
    const created = await admin.call('PUT', '/consumers/alice', { json: { custom_id: 'a-1', username: 'ignored' } });
    assert.equal(created.status, 200);
    assert.equal(created.body.username, 'alice');
    const again = await admin.call('PUT', '/consumers/alice', { json: { tags: ['x'] } });
    assert.equal(again.body.id, created.body.id);
    assert.equal(again.body.custom_id, null);
    assert.deepEqual(again.body.tags, ['x']);
    const form = await admin.call('PUT', '/services/form-put', { form: 'host=f.test&port=8080' });
    assert.equal(form.status, 200);
    assert.deepEqual([form.body.name, form.body.port], ['form-put', 8080]);
  });

  test('PATCH merges records, replaces arrays, and null clears', async () => {
    const upstream = await admin.call('POST', '/upstreams', { json: { name: 'merge.test', healthchecks: { active: { timeout: 5, concurrency: 3 } } } });
    assert.equal(upstream.status, 201, upstream.text);
    const patched = await admin.call('PATCH', '/upstreams/merge.test', { json: { healthchecks: { active: { timeout: 7 } } } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.healthchecks.active.timeout, 7);
    assert.equal(patched.body.healthchecks.active.concurrency, 3);
    assert.equal(patched.body.healthchecks.active.http_path, '/');

    await admin.call('POST', '/services', { json: { name: 'patch-svc', host: 'p.test', path: '/base' } });
    const route = await admin.call('POST', '/services/patch-svc/routes', { json: { name: 'patch-route', paths: ['/a', '/b'], hosts: ['h.test'] } });
    const paths = await admin.call('PATCH', '/routes/patch-route', { json: { paths: ['/c'] } });
    assert.deepEqual(paths.body.paths, ['/c']);
    assert.deepEqual(paths.body.hosts, ['h.test']);
    assert.equal(paths.body.created_at, route.body.created_at);
    const cleared = await admin.call('PATCH', '/routes/patch-route', { json: { hosts: null } });
    assert.equal(cleared.body.hosts, null);
    const formCleared = await admin.call('PATCH', '/services/patch-svc', { form: 'path=' });
    assert.equal(formCleared.body.path, null);
    const invalid = await admin.call('PATCH', '/services/patch-svc', { json: { port: 'eighty' } });
    assert.deepEqual(invalid.body.fields, { port: 'expected an integer' });
  });

  test('PATCH of a plugin merges its config; a form PATCH learns the plugin from the store', async () => {
    const plugin = await admin.call('POST', '/plugins', { json: { name: 'rate-limiting', config: { minute: 20 } } });
    assert.equal(plugin.status, 201, plugin.text);
    const merged = await admin.call('PATCH', `/plugins/${plugin.body.id}`, { json: { config: { hour: 100 } } });
    assert.equal(merged.status, 200, merged.text);
    assert.equal(merged.body.config.minute, 20);
    assert.equal(merged.body.config.hour, 100);
    const form = await admin.call('PATCH', `/plugins/${plugin.body.id}`, { form: 'config.second=2&enabled=false' });
    assert.equal(form.status, 200, form.text);
    assert.deepEqual([form.body.config.second, form.body.config.minute, form.body.enabled], [2, 20, false]);
    const unknown = await admin.call('POST', '/plugins', { json: { name: 'no-such-plugin' } });
    assert.deepEqual(unknown.body.fields, { name: "plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property" });
    await admin.call('POST', '/consumers', { json: { username: 'scoped' } });
    const forbidden = await admin.call('POST', '/consumers/scoped/plugins', { json: { name: 'key-auth' } });
    assert.equal(forbidden.status, 400);
    assert.deepEqual(forbidden.body.fields, { consumer: 'value must be null' });
  });

  test('DELETE is 204, also for what does not exist', async () => {
    await admin.call('POST', '/consumers', { json: { username: 'gone' } });
    const del = await admin.call('DELETE', '/consumers/gone');
    assert.deepEqual([del.status, del.text], [204, '']);
    assert.equal((await admin.call('GET', '/consumers/gone')).status, 404);
    assert.equal((await admin.call('DELETE', '/consumers/gone')).status, 204);
    assert.equal((await admin.call('DELETE', `/consumers/${NEW_ID}`)).status, 204);
  });

  test('cascades: consumer -> credentials and its plugins; service and route -> their plugins; upstream -> targets', async () => {
    const consumer = (await admin.call('POST', '/consumers', { json: { username: 'cascade' } })).body;
    await admin.call('POST', '/consumers/cascade/key-auth', { json: { key: 'cascade-key' } });
    const cp = await admin.call('POST', '/consumers/cascade/plugins', { json: { name: 'rate-limiting', config: { minute: 1 } } });
    assert.equal(cp.status, 201, cp.text);
    assert.equal((await admin.call('DELETE', '/consumers/cascade')).status, 204);
    assert.equal((await admin.call('GET', '/key-auths/cascade-key')).status, 404);
    assert.equal((await admin.call('GET', `/plugins/${cp.body.id}`)).status, 404);
    const keys = await admin.call('GET', '/key-auths');
    assert.ok(!keys.body.data.some((k: { consumer: { id: string } }) => k.consumer.id === consumer.id));

    await admin.call('POST', '/services', { json: { name: 'cascade-svc', host: 'c.test' } });
    const route = (await admin.call('POST', '/services/cascade-svc/routes', { json: { paths: ['/cascade'] } })).body;
    const routePlugin = (await admin.call('POST', `/routes/${route.id}/plugins`, { json: { name: 'rate-limiting', config: { minute: 1 } } })).body;
    const svcPlugin = (await admin.call('POST', '/services/cascade-svc/plugins', { json: { name: 'rate-limiting', config: { minute: 1 } } })).body;
    assert.equal((await admin.call('DELETE', `/routes/${route.id}`)).status, 204);
    assert.equal((await admin.call('GET', `/plugins/${routePlugin.id}`)).status, 404);
    assert.equal((await admin.call('DELETE', '/services/cascade-svc')).status, 204, 'no routes left: the delete goes through');
    assert.equal((await admin.call('GET', `/plugins/${svcPlugin.id}`)).status, 404);

    await admin.call('POST', '/upstreams', { json: { name: 'cascade.up' } });
    const target = (await admin.call('POST', '/upstreams/cascade.up/targets', { json: { target: '10.0.0.1:80' } })).body;
    assert.equal((await admin.call('DELETE', '/upstreams/cascade.up')).status, 204);
    assert.equal((await admin.call('GET', `/upstreams/${target.upstream.id}/targets/${target.id}`)).status, 404);
  });

  test('credentials: top-level POST needs a consumer; lookups by key; the consumer seen from the credential', async () => {
    const missing = await admin.call('POST', '/key-auths', { json: { key: 'k' } });
    assert.equal(missing.body.message, 'schema violation (consumer: required field missing)');
    const consumer = (await admin.call('POST', '/consumers', { json: { username: 'cred' } })).body;
    const key = await admin.call('POST', '/key-auths', { json: { key: 'cred-key', consumer: { username: 'cred' } } });
    assert.equal(key.status, 201, key.text);
    assert.deepEqual(key.body.consumer, { id: consumer.id });
    assert.equal((await admin.call('GET', '/key-auths/cred-key')).body.id, key.body.id);
    assert.equal((await admin.call('GET', '/key-auths/cred-key/consumer')).body.username, 'cred');
    assert.equal((await admin.call('DELETE', '/key-auths/cred-key/consumer')).status, 405);
  });

  test('ttl: reads show the seconds left; a PATCH without ttl keeps the expiry', async () => {
    await admin.call('POST', '/consumers', { json: { username: 'ttl-owner' } });
    const key = await admin.call('POST', '/consumers/ttl-owner/key-auth', { json: { key: 'short-lived', ttl: 2 } });
    assert.equal(key.status, 201, key.text);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const patched = await admin.call('PATCH', '/key-auths/short-lived', { json: { tags: ['t'] } });
    assert.equal(patched.status, 200, patched.text);
    const read = await admin.call('GET', '/key-auths/short-lived');
    // About 1.4 s are left; writing the shown whole second back would have moved the expiry earlier.
    assert.equal(read.body.ttl, 1);
  });

  test('nested entities must belong to the parent', async () => {
    await admin.call('POST', '/services', { json: { name: 'owner-a', host: 'a.test' } });
    await admin.call('POST', '/services', { json: { name: 'owner-b', host: 'b.test' } });
    const route = (await admin.call('POST', '/services/owner-a/routes', { json: { name: 'owned', paths: ['/owned'], service: { name: 'owner-b' } } })).body;
    const ownerA = (await admin.call('GET', '/services/owner-a')).body;
    assert.deepEqual(route.service, { id: ownerA.id }, 'a nested POST forces the parent');
    assert.equal((await admin.call('GET', '/services/owner-a/routes/owned')).status, 200);
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const r = await admin.call(method, '/services/owner-b/routes/owned', method === 'PATCH' ? { json: {} } : {});
      assert.deepEqual([r.status, r.body], [404, { message: 'Not found' }], method);
    }
    assert.equal((await admin.call('DELETE', '/services/owner-a/routes/no-such-route')).status, 404);
    const patched = await admin.call('PATCH', '/services/owner-a/routes/owned', { json: { paths: ['/owned-2'] } });
    assert.deepEqual(patched.body.paths, ['/owned-2']);
    const put = await admin.call('PUT', '/services/owner-b/routes/put-nested', { json: { paths: ['/pn'] } });
    assert.equal(put.status, 200);
    assert.equal(put.body.name, 'put-nested');
    assert.equal(put.body.service.id, (await admin.call('GET', '/services/owner-b')).body.id);
    assert.equal((await admin.call('DELETE', '/services/owner-a/routes/owned')).status, 204);
    assert.equal((await admin.call('GET', '/routes/owned')).status, 404);
  });

  test('the parent seen from the child: read, update, create-and-link; DELETE is 405', async () => {
    await admin.call('POST', '/services', { json: { name: 'seen', host: 'seen.test' } });
    await admin.call('POST', '/services/seen/routes', { json: { name: 'seen-route', paths: ['/seen'] } });
    assert.equal((await admin.call('GET', '/routes/seen-route/service')).body.name, 'seen');
    const patched = await admin.call('PATCH', '/routes/seen-route/service', { json: { retries: 9 } });
    assert.equal(patched.body.retries, 9);
    assert.equal((await admin.call('DELETE', '/routes/seen-route/service')).status, 405);

    await admin.call('POST', '/routes', { json: { name: 'orphan', paths: ['/orphan'] } });
    assert.equal((await admin.call('GET', '/routes/orphan/service')).status, 404);
    assert.equal((await admin.call('DELETE', '/routes/orphan/service')).status, 404);
    assert.equal((await admin.call('PATCH', '/routes/orphan/service', { json: { retries: 1 } })).status, 404);
    const created = await admin.call('PUT', '/routes/orphan/service', { json: { name: 'adopted', host: 'adopted.test' } });
    assert.equal(created.status, 200, created.text);
    assert.deepEqual((await admin.call('GET', '/routes/orphan')).body.service, { id: created.body.id });
  });
});
