import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineSchema, toJsonSchema, toKongSchemaView, typedefs } from './index.ts';

const schema = defineSchema({
  name: 'things',
  fields: {
    id: typedefs.uuid,
    name: { type: 'string', required: true, description: 'The name.' },
    port: { ...typedefs.port, default: 80 },
    kind: { type: 'string', one_of: ['a', 'b'] },
    hosts: { type: 'set', elements: { type: 'string' } },
    meta: { type: 'map', keys: { type: 'string' }, values: { type: 'integer' } },
    nested: { type: 'record', fields: { x: { type: 'integer', default: 1 } } },
    owner: { type: 'foreign', reference: 'others' },
    checked: { type: 'string', custom_validator: (v: string) => (v ? null : 'no') },
  },
  entity_checks: [{ at_least_one_of: ['name', 'kind'] }],
});

test('Kong view: ordered fields as single-key objects, records recursive, functions removed', () => {
  const view = toKongSchemaView(schema);
  assert.deepEqual(
    view.fields.map((f) => Object.keys(f as object)[0]),
    ['id', 'name', 'port', 'kind', 'hosts', 'meta', 'nested', 'owner', 'checked'],
  );
  assert.deepEqual(view.fields[2], { port: { type: 'integer', between: [0, 65535], description: 'A port number, 0 to 65535.', default: 80 } });
  assert.deepEqual(view.fields[6], { nested: { type: 'record', fields: [{ x: { type: 'integer', default: 1 } }] } });
  assert.deepEqual(view.fields[8], { checked: { type: 'string' } });
  assert.deepEqual(view.entity_checks, [{ at_least_one_of: ['name', 'kind'] }]);
});

test('JSON Schema: required without default, enums, ranges, nullable optional fields', () => {
  const json = toJsonSchema(schema);
  assert.equal(json.title, 'things');
  assert.deepEqual(json.required, ['name']);
  assert.equal(json.additionalProperties, false);
  const props = json.properties as Record<string, Record<string, unknown>>;
  assert.deepEqual(props.port, {
    type: ['integer', 'null'],
    minimum: 0,
    maximum: 65535,
    description: 'A port number, 0 to 65535.',
    default: 80,
  });
  assert.deepEqual(props.kind.enum, ['a', 'b']);
  assert.equal(props.hosts.uniqueItems, true);
  assert.deepEqual(props.owner.required, ['id']);
  assert.equal(props.id.format, 'uuid');
  assert.deepEqual(props.meta.additionalProperties, { type: ['integer', 'null'] });
});
