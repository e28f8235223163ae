/**
 * Kong's error model through the Admin API on a SQLite store: every error class with its status, code and
 * body, and the request-level errors (content types, JSON, argument counts, unknown paths and methods).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAdmin, TEST_PLUGINS, type TestAdmin } from './test-support.ts';

const MISSING_ID = '6f1e3f8a-2b4c-4d5e-8f90-a1b2c3d4e5f6';

describe('error model', () => {
  let admin: TestAdmin;
  let serviceId: string;
  before(async () => {
    admin = await startTestAdmin({ plugins: TEST_PLUGINS });
    serviceId = (await admin.call('POST', '/services', { json: { name: 'svc', host: 'svc.test' } })).body.id;
    await admin.call('POST', '/routes', { json: { name: 'r1', paths: ['/r1'], service: { id: serviceId } } });
  });
  after(async () => {
    await admin.close();
  });

  test('schema violations: 400 code 2, fields mirror the input, message from the tree', async () => {
    const missing = await admin.call('POST', '/services', { json: {} });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, {
      code: 2,
      name: 'schema violation',
      message: 'schema violation (host: required field missing)',
      fields: { host: 'required field missing' },
    });
    const badUrl = await admin.call('POST', '/services', { json: { url: 'invalid url' } });
    assert.equal(badUrl.body.message, '2 schema violations (host: required field missing; path: should start with: /)');
    const route = await admin.call('POST', '/routes', { json: { protocols: ['https'] } });
    assert.deepEqual(route.body.fields, { '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"] });
    const consumer = await admin.call('POST', '/consumers', { json: {} });
    assert.equal(consumer.body.message, "schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')");
    const unknown = await admin.call('POST', '/consumers', { json: { username: 'x', nope: 1 } });
    assert.deepEqual(unknown.body.fields, { nope: 'unknown field' });
  });

  test('unique violations: 409 code 5 with the Lua-style key', async () => {
    const dup = await admin.call('POST', '/services', { json: { name: 'svc', host: 'other.test' } });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.body, {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{name="svc"}'`,
      fields: { name: 'svc' },
    });
    await admin.call('POST', '/consumers', { json: { username: 'bob', custom_id: 'c-1' } });
    const customId = await admin.call('POST', '/consumers', { json: { username: 'bobby', custom_id: 'c-1' } });
    assert.equal(customId.status, 409);
    assert.equal(customId.body.message, `UNIQUE violation detected on '{custom_id="c-1"}'`);
    const first = await admin.call('POST', '/services/svc/plugins', { json: { name: 'rate-limiting', config: { minute: 1 } } });
    assert.equal(first.status, 201, first.text);
    const second = await admin.call('POST', '/plugins', { json: { name: 'rate-limiting', config: { minute: 2 }, service: { id: serviceId } } });
    assert.equal(second.status, 409);
    // Kong's open-source plugin key (its spec compares it exactly); a consumer group is named only when set.
    assert.equal(second.body.message, `UNIQUE violation detected on '{consumer=null,name="rate-limiting",route=null,service={id="${serviceId}"}}'`);
    assert.deepEqual(second.body.fields, { consumer: null, name: 'rate-limiting', route: null, service: { id: serviceId } });
  });

  test('primary key violation: inserting an id that exists is 400 code 3', async () => {
    const r = await admin.call('POST', '/services', { json: { id: serviceId, name: 'other', host: 'x.test' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 3);
    assert.equal(r.body.name, 'primary key violation');
  });

  test('foreign keys: a missing id is code 4, an unknown name code 13, an empty reference a schema violation', async () => {
    const badId = await admin.call('POST', '/routes', { json: { paths: ['/x'], service: { id: MISSING_ID } } });
    assert.equal(badId.status, 400);
    assert.deepEqual(badId.body, {
      code: 4,
      name: 'foreign key violation',
      message: `the foreign key '{id="${MISSING_ID}"}' does not reference an existing 'services' entity.`,
      fields: { service: { id: MISSING_ID } },
    });
    const badName = await admin.call('POST', '/routes', { json: { paths: ['/x'], service: { name: 'nope' } } });
    assert.equal(badName.status, 400);
    assert.equal(badName.body.code, 13);
    assert.equal(
      badName.body.message,
      `foreign key unresolved (service.name: the foreign key cannot be resolved with '{name="nope"}' for an existing 'services' entity)`,
    );
    const byName = await admin.call('POST', '/routes', { json: { paths: ['/by-name'], service: { name: 'svc' } } });
    assert.equal(byName.status, 201);
    assert.deepEqual(byName.body.service, { id: serviceId });
    const empty = await admin.call('POST', '/routes', { json: { paths: ['/x'], service: {} } });
    assert.equal(empty.body.message, 'schema violation (service.id: missing primary key)');
  });

  test('restricted delete: a service with routes cannot go (400 code 4, @referenced_by)', async () => {
    const r = await admin.call('DELETE', '/services/svc');
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      code: 4,
      name: 'foreign key violation',
      message: "an existing 'routes' entity references this 'services' entity",
      fields: { '@referenced_by': 'routes' },
    });
  });

  test('not found bodies depend on the path', async () => {
    assert.deepEqual((await admin.call('GET', '/services/nope')).body, { message: 'Not found' });
    assert.equal((await admin.call('GET', '/services/nope')).status, 404);
    const byId = await admin.call('PATCH', `/services/${MISSING_ID}`, { json: { retries: 1 } });
    assert.equal(byId.status, 404);
    assert.deepEqual(byId.body, {
      code: 6,
      name: 'not found',
      message: `could not find the entity with primary key '{id="${MISSING_ID}"}'`,
      fields: { id: MISSING_ID },
    });
    const byName = await admin.call('PATCH', '/services/nope', { json: { retries: 1 } });
    assert.deepEqual(byName.body, { code: 6, name: 'not found', message: `could not find the entity with '{name="nope"}'`, fields: { name: 'nope' } });
    const plugin = await admin.call('PATCH', `/plugins/${MISSING_ID}`, { json: { config: { minute: 3 } } });
    assert.deepEqual([plugin.status, plugin.body], [404, { message: 'Not found' }]);
    const nested = await admin.call('GET', '/services/nope/routes');
    assert.deepEqual([nested.status, nested.body], [404, { message: 'Not found' }]);
    const nestedPost = await admin.call('POST', '/consumers/nobody/key-auth', { json: {} });
    assert.deepEqual([nestedPost.status, nestedPost.body], [404, { message: 'Not found' }]);
  });

  test('a non-UUID key where only ids work is code 1', async () => {
    const r = await admin.call('GET', '/ca_certificates/not-a-uuid');
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      code: 1,
      name: 'invalid primary key',
      message: `invalid primary key: '{id="expected a valid UUID"}'`,
      fields: { id: 'expected a valid UUID' },
    });
  });

  test('unknown paths are 404, unsupported methods 405', async () => {
    for (const [method, path] of [
      ['GET', '/no/such/thing'],
      ['POST', '/services/svc/nothing'],
      ['GET', '/targets'],
      ['GET', `/targets/${MISSING_ID}`],
    ]) {
      const r = await admin.call(method, path);
      assert.deepEqual([r.status, r.body], [404, { message: 'Not found' }], `${method} ${path}`);
    }
    for (const [method, path] of [
      ['PUT', '/services'],
      ['DELETE', '/consumers'],
      ['PATCH', '/plugins'],
      ['POST', '/'],
      ['POST', '/services/svc'],
    ]) {
      const r = await admin.call(method, path);
      assert.deepEqual([r.status, r.body], [405, { message: 'Method not allowed' }], `${method} ${path}`);
    }
    const head = await admin.call('HEAD', '/no/such/thing');
    assert.equal(head.status, 404);
    assert.equal(head.text, '');
  });

  test('paging arguments: size code 9, offset code 7, tags code 11', async () => {
    assert.deepEqual((await admin.call('GET', '/services?size=abc')).body, { code: 9, name: 'invalid size', message: 'size must be a number' });
    assert.equal((await admin.call('GET', '/services?size=1001')).body.message, 'size must be an integer between 1 and 1000');
    const offset = await admin.call('GET', '/services?offset=!!');
    assert.deepEqual([offset.status, offset.body.code, offset.body.name], [400, 7, 'invalid offset']);
    assert.equal(offset.body.message, "'!!' is not a valid offset: bad base64 encoding");
    const tags = await admin.call('GET', '/services?tags=a,b/c');
    assert.deepEqual(tags.body, {
      code: 11,
      name: 'invalid options',
      message: 'invalid option (tags: invalid filter syntax)',
      options: { tags: 'invalid filter syntax' },
    });
    assert.equal((await admin.call('GET', '/services?tags=')).body.message, 'invalid option (tags: cannot be null)');
  });

  test('ttl must be a whole number of seconds in range (code 11), and only where the entity takes one', async () => {
    await admin.call('POST', '/consumers', { json: { username: 'ttl-user' } });
    const bad = await admin.call('POST', '/consumers/ttl-user/key-auth', { json: { ttl: -1 } });
    assert.deepEqual(bad.body, {
      code: 11,
      name: 'invalid options',
      message: 'invalid option (ttl: must be an integer between 0 and 100000000)',
      options: { ttl: 'must be an integer between 0 and 100000000' },
    });
    const ok = await admin.call('POST', '/consumers/ttl-user/key-auth', { form: 'key=expiring&ttl=3600' });
    assert.equal(ok.status, 201, ok.text);
    const elsewhere = await admin.call('POST', '/services', { json: { host: 'x.test', ttl: 5 } });
    assert.deepEqual(elsewhere.body.fields, { ttl: 'unknown field' });
  });

  test('bodies: 415 for other media types and for bodies without a type; JSON must parse', async () => {
    const text = await admin.call('POST', '/consumers', { body: 'username=x', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
    const untyped = await admin.call('POST', '/consumers', { body: 'username=x' });
    assert.equal(untyped.status, 415);
    const noBody = await admin.call('POST', '/consumers');
    assert.equal(noBody.status, 400, 'no body at all is an empty input');
    assert.equal(noBody.body.code, 2);
    const broken = await admin.call('POST', '/consumers', { body: '{"username":', headers: { 'content-type': 'application/json' } });
    assert.deepEqual([broken.status, broken.body], [400, { message: 'Cannot parse JSON body' }]);
    const empty = await admin.call('POST', '/consumers', { body: '', headers: { 'content-type': 'application/json' } });
    assert.deepEqual([empty.status, empty.body], [400, { message: 'Cannot parse JSON body' }]);
    const charset = await admin.call('POST', '/consumers', { body: '{"username":"charset"}', headers: { 'content-type': 'application/json; charset=utf-8' } });
    assert.equal(charset.status, 201);
    const two = await admin.call('POST', '/consumers', { body: '{}', headers: { 'content-type': ['application/json', 'application/json'] } });
    assert.deepEqual([two.status, two.body], [400, { message: 'Multiple Content-Type headers not allowed' }]);
    // GET never reads a body, even a broken one.
    const get = await admin.call('GET', '/consumers', { body: '{nope', headers: { 'content-type': 'application/json' } });
    assert.equal(get.status, 200);
  });

  test('more than 1000 query or form arguments: Too many arguments', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => `a${i}=1`).join('&');
    const query = await admin.call('GET', `/services?${many}`);
    assert.deepEqual([query.status, query.body], [400, { message: 'Too many arguments' }]);
    const form = await admin.call('POST', '/consumers', { form: many });
    assert.deepEqual([form.status, form.body], [400, { message: 'Too many arguments' }]);
    const exactly = Array.from({ length: 1000 }, (_, i) => `a${i}=1`).join('&');
    assert.equal((await admin.call('GET', `/services?${exactly}`)).status, 200);
  });

  test('unknown query arguments are ignored', async () => {
    const r = await admin.call('GET', '/services?sort_desc=1&expand_partials=true&foo=bar');
    assert.equal(r.status, 200);
  });
});

describe('unexpected failures', () => {
  test('a store that fails gives 500 An unexpected error occurred, and the error is logged', async () => {
    const admin = await startTestAdmin();
    try {
      await admin.store!.close();
      const r = await admin.call('GET', '/services');
      assert.deepEqual([r.status, r.body], [500, { message: 'An unexpected error occurred' }]);
      assert.equal(admin.logged.length, 1);
      assert.match(admin.logged[0], /GET \/services failed/);
    } finally {
      await admin.close().catch(() => {});
    }
  });
});
