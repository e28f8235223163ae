import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENTITIES, ENTITY_ORDER, findEntity } from './index.ts';
import { toKongSchemaView } from '../schema/index.ts';

test('dependency order: every referenced collection comes first', () => {
  for (const name of ENTITY_ORDER) {
    for (const fk of ENTITIES[name].foreignKeys) {
      assert.ok(ENTITY_ORDER.indexOf(fk.reference) < ENTITY_ORDER.indexOf(name), `${name}.${fk.field}`);
    }
  }
});

test('Admin API names and endpoint keys', () => {
  assert.equal(ENTITIES.services.adminApiName, 'services');
  assert.equal(ENTITIES.consumers.endpointKey, 'username');
  assert.equal(ENTITIES.plugins.endpointKey, 'instance_name');
  assert.equal(ENTITIES.ca_certificates.endpointKey, null);
  assert.equal(ENTITIES.services.ttl, false);
  assert.equal(findEntity('routes')?.name, 'routes');
  assert.equal(findEntity('nope'), undefined);
});

test('foreign keys with their delete behaviour, unique fields, cache keys', () => {
  assert.deepEqual(ENTITIES.routes.foreignKeys, [{ field: 'service', reference: 'services', onDelete: 'restrict', required: false }]);
  assert.deepEqual(
    ENTITIES.plugins.foreignKeys.map((fk) => [fk.field, fk.onDelete]),
    [
      ['route', 'cascade'],
      ['service', 'cascade'],
      ['consumer', 'cascade'],
      ['consumer_group', 'cascade'],
    ],
  );
  assert.deepEqual(
    ENTITIES.consumer_group_consumers.foreignKeys.map((fk) => [fk.field, fk.reference, fk.onDelete]),
    [
      ['consumer_group', 'consumer_groups', 'cascade'],
      ['consumer', 'consumers', 'cascade'],
    ],
  );
  assert.deepEqual(ENTITIES.consumer_groups.uniqueFields, ['name']);
  assert.equal(ENTITIES.targets.foreignKeys[0].onDelete, 'cascade');
  assert.equal(ENTITIES.snis.foreignKeys[0].onDelete, 'cascade');
  assert.equal(ENTITIES.services.foreignKeys[0].onDelete, 'restrict');
  assert.deepEqual(ENTITIES.consumers.uniqueFields, ['username', 'custom_id']);
  assert.deepEqual(ENTITIES.plugins.cacheKey, ['name', 'route', 'service', 'consumer', 'consumer_group']);
  assert.deepEqual(ENTITIES.consumer_group_consumers.cacheKey, ['consumer_group', 'consumer']);
  assert.equal(ENTITIES.routes.cacheKey, null);
});

test('every entity has a Kong schema view', () => {
  for (const name of ENTITY_ORDER) {
    const view = toKongSchemaView(ENTITIES[name].schema);
    assert.deepEqual(Object.keys(view.fields[0] as object), ['id'], name);
  }
});
