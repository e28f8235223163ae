import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError } from '../store/types.ts';
import {
  foreignKeyViolation,
  foreignKeysUnresolved,
  fromStoreError,
  invalidOptions,
  invalidPrimaryKey,
  luaInline,
  notFoundByField,
  notFoundByPrimaryKey,
  operationUnsupported,
  referencedBy,
  schemaViolation,
  uniqueViolation,
} from './errors.ts';

const ID = '0b6b7c1e-6c8a-4c3e-9a51-1a2b3c4d5e6f';

test('keys print like Lua tables: sorted, quoted, null, nested ids', () => {
  assert.equal(luaInline({ name: 'x' }), '{name="x"}');
  assert.equal(
    luaInline({ service: { id: ID }, name: 'rate-limiting', route: null, consumer: null }),
    `{consumer=null,name="rate-limiting",route=null,service={id="${ID}"}}`,
  );
  assert.equal(luaInline({ port: 80, quote: 'a"b' }), '{port=80,quote="a\\"b"}');
});

test('unique violation: 409 code 5 with the key as fields', () => {
  const err = uniqueViolation({ name: 'example-service' });
  assert.equal(err.status, 409);
  assert.deepEqual(err.body, {
    code: 5,
    name: 'unique constraint violation',
    message: `UNIQUE violation detected on '{name="example-service"}'`,
    fields: { name: 'example-service' },
  });
});

test('schema violation: 400 code 2, message from the error tree', () => {
  const err = schemaViolation({ host: 'required field missing', '@entity': ['at least one of these fields must be non-empty: a'] });
  assert.equal(err.status, 400);
  assert.equal(err.body.code, 2);
  assert.equal(err.body.message, '2 schema violations (at least one of these fields must be non-empty: a; host: required field missing)');
  assert.deepEqual(err.body.fields, { host: 'required field missing', '@entity': ['at least one of these fields must be non-empty: a'] });
});

test('foreign key errors: bad id (code 4), restrict (code 4, @referenced_by), unresolved (code 13)', () => {
  assert.deepEqual(foreignKeyViolation('service', { id: ID }, 'services').body, {
    code: 4,
    name: 'foreign key violation',
    message: `the foreign key '{id="${ID}"}' does not reference an existing 'services' entity.`,
    fields: { service: { id: ID } },
  });
  assert.deepEqual(referencedBy('services', 'routes').body, {
    code: 4,
    name: 'foreign key violation',
    message: "an existing 'routes' entity references this 'services' entity",
    fields: { '@referenced_by': 'routes' },
  });
  const one = foreignKeysUnresolved([{ field: 'service', keyField: 'name', value: 'x', parentCollection: 'services' }]);
  assert.equal(one.status, 400);
  assert.deepEqual(one.body, {
    code: 13,
    name: 'foreign keys unresolved',
    message: `foreign key unresolved (service.name: the foreign key cannot be resolved with '{name="x"}' for an existing 'services' entity)`,
    fields: { service: { name: `the foreign key cannot be resolved with '{name="x"}' for an existing 'services' entity` } },
  });
  const two = foreignKeysUnresolved([
    { field: 'service', keyField: 'name', value: 'x', parentCollection: 'services' },
    { field: 'consumer', keyField: 'username', value: 'u', parentCollection: 'consumers' },
  ]);
  assert.match(two.body.message as string, /^2 foreign keys unresolved \(consumer\.username: .*; service\.name: /);
});

test('not found by primary key and by endpoint key (code 6)', () => {
  assert.deepEqual(notFoundByPrimaryKey(ID).body, {
    code: 6,
    name: 'not found',
    message: `could not find the entity with primary key '{id="${ID}"}'`,
    fields: { id: ID },
  });
  assert.equal(notFoundByField('name', 'svc').body.message, `could not find the entity with '{name="svc"}'`);
  assert.equal(notFoundByField('name', 'svc').status, 404);
});

test('invalid primary key (code 1), invalid options (code 11, under options), operation unsupported (405)', () => {
  assert.deepEqual(invalidPrimaryKey({ id: 'expected a valid UUID' }).body, {
    code: 1,
    name: 'invalid primary key',
    message: `invalid primary key: '{id="expected a valid UUID"}'`,
    fields: { id: 'expected a valid UUID' },
  });
  assert.deepEqual(invalidOptions({ tags: 'cannot be null' }).body, {
    code: 11,
    name: 'invalid options',
    message: 'invalid option (tags: cannot be null)',
    options: { tags: 'cannot be null' },
  });
  const ro = operationUnsupported('update', 'services', 'name');
  assert.equal(ro.status, 405);
  assert.equal(ro.body.message, "cannot update 'services' entities by 'name' when not using a database");
});

test('store errors map to Kong bodies; database errors do not', () => {
  const unique = fromStoreError(new StoreError('unique', 'services', `UNIQUE violation detected on '{name="a"}'`, { name: 'a' }));
  assert.equal(unique?.status, 409);
  assert.equal(unique?.body.code, 5);
  const pk = fromStoreError(new StoreError('primary_key', 'services', `primary key violation on key '{id="${ID}"}'`, { id: ID }));
  assert.deepEqual(pk?.body, { code: 3, name: 'primary key violation', message: `primary key violation on key '{id="${ID}"}'`, fields: { id: ID } });
  assert.equal(pk?.status, 400);
  const restricted = fromStoreError(new StoreError('referenced', 'services', 'x', { '@referenced_by': 'routes' }, 'routes'));
  assert.deepEqual([restricted?.status, restricted?.body.code, restricted?.body.fields], [400, 4, { '@referenced_by': 'routes' }]);
  const offset = fromStoreError(new StoreError('invalid_offset', 'services', "'x' is not a valid offset: bad base64 encoding", { offset: 'x' }));
  assert.deepEqual(offset?.body, { code: 7, name: 'invalid offset', message: "'x' is not a valid offset: bad base64 encoding" });
  assert.equal(fromStoreError(new StoreError('database', 'services', 'disk full')), null);
});
