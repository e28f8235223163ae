import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foreignKeyViolation, luaKeyText, notFound, referencedViolation, uniqueViolation } from './errors.ts';

test('keys print like Kong\'s Lua tables: sorted, quoted, null, nested foreign keys', () => {
  assert.equal(
    luaKeyText({ service: { id: 'abc' }, name: 'rate-limiting', route: null, consumer: null }),
    '{consumer=null,name="rate-limiting",route=null,service={id="abc"}}',
  );
  assert.equal(luaKeyText({ name: 'say "hi"', port: 80 }), '{name="say \\"hi\\"",port=80}');
});

test('store errors carry Kong\'s messages and fields', () => {
  const unique = uniqueViolation('services', { name: 'example-service' });
  assert.equal(unique.message, `UNIQUE violation detected on '{name="example-service"}'`);
  assert.deepEqual([unique.kind, unique.entity, unique.fields], ['unique', 'services', { name: 'example-service' }]);
  const fk = foreignKeyViolation('routes', 'service', 'services', 'abc');
  assert.equal(fk.message, `the foreign key '{id="abc"}' does not reference an existing 'services' entity.`);
  assert.deepEqual(fk.fields, { service: { id: 'abc' } });
  const referenced = referencedViolation('services', 'routes');
  assert.equal(referenced.message, "an existing 'routes' entity references this 'services' entity");
  assert.equal(referenced.referencedBy, 'routes');
  assert.equal(notFound('services', 'abc').message, `could not find the entity with primary key '{id="abc"}'`);
});
