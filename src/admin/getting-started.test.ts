/**
 * Kong's getting-started guide, step by step, as curl sends it (form bodies), against the Admin API on a
 * SQLite store.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAdmin, TEST_PLUGINS, type TestAdmin } from './test-support.ts';

describe('Kong getting-started flow with form bodies', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startTestAdmin({ plugins: TEST_PLUGINS });
  });
  after(async () => {
    await admin.close();
  });

  test('create a service from a url', async () => {
    const r = await admin.call('POST', '/services', { form: 'name=example_service&url=http%3A%2F%2Fhttpbin.org' });
    assert.equal(r.status, 201);
    assert.equal(r.body.name, 'example_service');
    assert.equal(r.body.protocol, 'http');
    assert.equal(r.body.host, 'httpbin.org');
    assert.equal(r.body.port, 80);
    assert.equal(r.body.path, null);
    assert.equal(r.body.retries, 5);
    assert.equal(r.body.url, undefined);
    assert.match(r.body.id, /^[0-9a-f-]{36}$/);
    assert.match(String(r.headers['content-type']), /^application\/json/);
  });

  test('create a route under the service with paths[]', async () => {
    const r = await admin.call('POST', '/services/example_service/routes', { form: 'paths[]=/mock&name=example_route' });
    assert.equal(r.status, 201);
    assert.deepEqual(r.body.paths, ['/mock']);
    const service = await admin.call('GET', '/services/example_service');
    assert.deepEqual(r.body.service, { id: service.body.id });
    assert.deepEqual(r.body.protocols, ['http', 'https']);
  });

  test('rate limiting on the service: config values coerced by the plugin schema', async () => {
    const r = await admin.call('POST', '/services/example_service/plugins', { form: 'name=rate-limiting&config.minute=5&config.policy=local' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.config.minute, 5);
    assert.equal(r.body.config.policy, 'local');
    assert.equal(r.body.config.fault_tolerant, true);
    assert.deepEqual(r.body.config.redis, { host: null, port: 6379 });
    assert.equal(r.body.service.id, (await admin.call('GET', '/services/example_service')).body.id);
    assert.equal(r.body.route, null);
  });

  test('a global key-auth plugin, a consumer and its key', async () => {
    const plugin = await admin.call('POST', '/plugins/', { form: 'name=key-auth&config.key_names=apikey' });
    assert.equal(plugin.status, 201, plugin.text);
    assert.deepEqual(plugin.body.config.key_names, ['apikey']);
    const consumer = await admin.call('POST', '/consumers/', { form: 'username=luka' });
    assert.equal(consumer.status, 201);
    const key = await admin.call('POST', '/consumers/luka/key-auth', { form: 'key=top-secret-key' });
    assert.equal(key.status, 201);
    assert.deepEqual(key.body.consumer, { id: consumer.body.id });
    assert.equal(key.body.key, 'top-secret-key');
    const listed = await admin.call('GET', '/consumers/luka/key-auth');
    assert.deepEqual(listed.body.data.map((k: { key: string }) => k.key), ['top-secret-key']);
    const info = await admin.call('GET', '/');
    assert.deepEqual(info.body.plugins.enabled_in_cluster, ['key-auth', 'rate-limiting']);
    assert.deepEqual(Object.keys(info.body.plugins.available_on_server).sort(), ['key-auth', 'rate-limiting']);
  });

  test('a key generated when none is given; multipart bodies work like curl -F', async () => {
    const generated = await admin.call('POST', '/consumers/luka/key-auth', { form: '' });
    assert.equal(generated.status, 201);
    assert.equal(typeof generated.body.key, 'string');
    assert.ok(generated.body.key.length >= 16);
    const boundary = '----tollgate';
    const multipart = [`--${boundary}`, 'Content-Disposition: form-data; name="username"', '', 'multi', `--${boundary}`, 'Content-Disposition: form-data; name="tags[]"', '', 'via-form', `--${boundary}--`, ''].join('\r\n');
    const r = await admin.call('POST', '/consumers', { body: multipart, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.username, 'multi');
    assert.deepEqual(r.body.tags, ['via-form']);
  });

  test('load balancing: upstream, target with default port, service pointed at the upstream', async () => {
    const upstream = await admin.call('POST', '/upstreams', { form: 'name=example_upstream' });
    assert.equal(upstream.status, 201);
    const target = await admin.call('POST', '/upstreams/example_upstream/targets', { form: 'target=httpbin.konghq.com' });
    assert.equal(target.status, 201, target.text);
    assert.equal(target.body.target, 'httpbin.konghq.com:8000');
    assert.equal(target.body.weight, 100);
    const patched = await admin.call('PATCH', '/services/example_service', { form: 'host=example_upstream&retries=6' });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.host, 'example_upstream');
    assert.equal(patched.body.retries, 6);
    assert.equal(patched.body.name, 'example_service');
  });

  test('the store now holds what the proxy will compile', async () => {
    const config = await admin.store!.exportAll();
    assert.equal(config.services.length, 1);
    assert.equal(config.routes.length, 1);
    assert.equal(config.plugins.length, 2);
    assert.equal(config.keyauth_credentials.length, 2);
    assert.equal(config.targets[0].target, 'httpbin.konghq.com:8000');
  });
});
