/**
 * The request bodies Kong Manager sends (reference: kong-manager.md §2), against the Admin API on a SQLite
 * store: creates with the `url` shorthand plus explicit defaults and nulls, and toggles that PATCH the
 * whole record back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { startTestAdmin, TEST_PLUGINS, type TestAdmin } from './test-support.ts';

describe('Kong Manager request bodies', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startTestAdmin({ plugins: TEST_PLUGINS });
  });
  after(async () => {
    await admin.close();
  });

  test('service create: url shorthand together with explicit defaults, nulls and port', async () => {
    const r = await admin.call('POST', '/services', {
      json: {
        name: 'ui-service',
        tags: null,
        read_timeout: 60000,
        retries: 5,
        connect_timeout: 60000,
        ca_certificates: null,
        client_certificate: null,
        write_timeout: 60000,
        port: 8080,
        url: 'http://example.test:8080/api',
        enabled: true,
      },
    });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual([r.body.host, r.body.port, r.body.path, r.body.protocol], ['example.test', 8080, '/api', 'http']);
    assert.equal((await admin.call('GET', `/services/${r.body.id}`)).body.name, 'ui-service');
  });

  test('route and consumer create with empty tags and explicit nulls', async () => {
    const route = await admin.call('POST', '/routes', {
      json: {
        name: 'ui-route',
        protocols: ['https'],
        tags: [],
        service: null,
        https_redirect_status_code: 426,
        strip_path: true,
        preserve_host: false,
        request_buffering: true,
        response_buffering: true,
        methods: null,
        hosts: null,
        paths: ['/ui'],
        headers: null,
        regex_priority: 0,
        path_handling: 'v0',
        sources: null,
      },
    });
    assert.equal(route.status, 201, route.text);
    assert.deepEqual(route.body.tags, []);
    assert.equal(route.body.service, null);
    const consumer = await admin.call('POST', '/consumers', { json: { username: 'bob', custom_id: null, tags: [] } });
    assert.equal(consumer.status, 201, consumer.text);
  });

  test('enable/disable toggles PATCH the whole record with one field flipped', async () => {
    const service = (await admin.call('GET', '/services/ui-service')).body;
    const off = await admin.call('PATCH', `/services/${service.id}`, { json: { ...service, enabled: false } });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.body.enabled, false);
    assert.equal(off.body.created_at, service.created_at);
    const plugin = (await admin.call('POST', `/services/${service.id}/plugins`, { json: { name: 'rate-limiting', config: { minute: 3 } } })).body;
    const disabled = await admin.call('PATCH', `/services/${service.id}/plugins/${plugin.id}`, { json: { ...plugin, enabled: false } });
    assert.equal(disabled.status, 200, disabled.text);
    assert.equal(disabled.body.enabled, false);
    assert.equal(disabled.body.config.minute, 3);
  });

  test('integers up to 2^53 round-trip exactly', async () => {
    const body = '{"paths":["/big"],"regex_priority":9007199254740992}';
    const created = await admin.call('POST', '/routes', { body, headers: { 'content-type': 'application/json' } });
    assert.equal(created.status, 201, created.text);
    const read = await admin.call('GET', `/routes/${created.body.id}`);
    assert.match(read.text, /"regex_priority":9007199254740992[,}]/);
  });

  test('the lists the sidebar pages load answer with data arrays', async () => {
    for (const path of ['/services?sort_desc=1&size=30', '/routes?size=1000', '/certificates?size=1000', '/ca_certificates', '/snis', '/upstreams', '/vaults?size=30', '/keys', '/key-sets']) {
      const r = await admin.call('GET', path);
      assert.equal(r.status, 200, path);
      assert.ok(Array.isArray(r.body.data), path);
    }
  });

  test('vault form: create with explicit nulls and empty tags, read by prefix, edit by PATCHing the record back', async () => {
    const created = await admin.call('POST', '/vaults', {
      json: { prefix: 'ui-env', name: 'env', description: null, tags: [], config: { prefix: 'UI_', ttl: null, neg_ttl: null, resurrect_ttl: null } },
    });
    assert.equal(created.status, 201, created.text);
    const schema = await admin.call('GET', '/schemas/vaults/env');
    assert.equal(schema.status, 200);
    assert.ok((schema.body.fields as Record<string, unknown>[]).some((f) => 'config' in f));
    const read = (await admin.call('GET', '/vaults/ui-env')).body;
    const edited = await admin.call('PATCH', `/vaults/${read.id}`, { json: { ...read, description: 'edited' } });
    assert.equal(edited.status, 200, edited.text);
    assert.equal(edited.body.description, 'edited');
    assert.deepEqual(edited.body.config, read.config);
  });

  test('key set and key forms: nested create under the set, the unused format as null, edits that send the masked key back', async () => {
    const set = await admin.call('POST', '/key-sets', { json: { name: 'ui-set', tags: [] } });
    assert.equal(set.status, 201, set.text);
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = JSON.stringify({ ...pair.privateKey.export({ format: 'jwk' }), kid: 'ui-kid' });
    const key = await admin.call('POST', `/key-sets/${set.body.id}/keys`, { json: { name: 'ui-key', kid: 'ui-kid', jwk, pem: null, tags: [] } });
    assert.equal(key.status, 201, key.text);
    assert.deepEqual(key.body.set, { id: set.body.id });
    assert.ok(!key.text.includes(String(JSON.parse(jwk).d)));
    const pem = await admin.call('POST', '/keys', {
      json: {
        name: 'ui-pem',
        kid: 'ui-pem',
        set: { id: set.body.id },
        jwk: null,
        pem: { public_key: pair.publicKey.export({ type: 'spki', format: 'pem' }), private_key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) },
      },
    });
    assert.equal(pem.status, 201, pem.text);
    const list = await admin.call('GET', `/key-sets/${set.body.id}/keys?size=1000`);
    assert.equal(list.status, 200);
    assert.equal((list.body.data as unknown[]).length, 2);
    assert.equal(list.body.next, null);
    for (const shown of [key.body, pem.body]) {
      const edited = await admin.call('PATCH', `/keys/${shown.id}`, { json: { ...shown, tags: ['ui'] } });
      assert.equal(edited.status, 200, edited.text);
      assert.deepEqual(edited.body.tags, ['ui']);
    }
    assert.equal((await admin.call('GET', '/keys/no-such-key')).status, 404, 'the search box renders a 404 as no results');
  });
});
