import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertKongField, kongJsConfigRecord, KongSchemaError } from './kong-schema.ts';

test("Kong's field arrays become Tollgate's field objects, in order, at every depth", () => {
  const record = kongJsConfigRecord([
    { message: { type: 'string', default: 'hello', one_of: ['hello', 'bye'] } },
    { limits: { type: 'record', required: true, fields: [{ second: { type: 'number', gt: 0 } }, { minute: { type: 'integer', between: [1, 60] } }] } },
    { names: { type: 'array', elements: { type: 'string', len_min: 1 }, default: [] } },
    { weights: { type: 'map', keys: { type: 'string' }, values: { type: 'record', fields: [{ w: { type: 'number' } }] } } },
    { extra: { type: 'json', description: 'anything', deprecation: { message: 'gone in 2.0' } } },
  ]);
  assert.deepEqual(record, {
    type: 'record',
    fields: {
      message: { type: 'string', default: 'hello', one_of: ['hello', 'bye'] },
      limits: { type: 'record', required: true, fields: { second: { type: 'number', gt: 0 }, minute: { type: 'integer', between: [1, 60] } } },
      names: { type: 'array', elements: { type: 'string', len_min: 1 }, default: [] },
      weights: { type: 'map', keys: { type: 'string' }, values: { type: 'record', fields: { w: { type: 'number' } } } },
      extra: { type: 'any', description: 'anything' },
    },
  });
  assert.deepEqual(Object.keys(record.fields), ['message', 'limits', 'names', 'weights', 'extra']);
});

test('no Schema is an empty config record', () => {
  assert.deepEqual(kongJsConfigRecord(undefined), { type: 'record', fields: {} });
});

test('schemas Tollgate cannot take are refused with the field path and the reason', () => {
  const cases: [unknown, string][] = [
    [[{ a: { type: 'strnig' } }], 'Schema.a: unknown or missing type "strnig"'],
    [[{ a: { type: 'string' }, b: { type: 'string' } }], 'Schema[0]: each entry must be an object with exactly one key'],
    [[{ a: { type: 'record', fields: [{ b: { type: 'foreign' } }] } }], 'Schema.a.b: unknown or missing type "foreign"'],
    [[{ a: { type: 'string', custom_validator: 'x' } }], "Schema.a: attribute 'custom_validator' is not supported"],
    [[{ a: { type: 'array' } }], "Schema.a: an array needs 'elements'"],
    [[{ a: { type: 'map', keys: { type: 'string' } } }], "Schema.a: a map needs 'keys' and 'values'"],
    [[{ a: { type: 'record' } }], "Schema.a: a record needs 'fields'"],
    [[{ a: { type: 'string', required: 'yes' } }], "Schema.a: 'required' must be true or false"],
    [[{ a: { type: 'string' } }, { a: { type: 'number' } }], 'Schema.a: the field is defined twice'],
    [[{ a: 'string' }], 'Schema.a: a field definition must be an object'],
  ];
  for (const [schema, message] of cases) {
    assert.throws(() => kongJsConfigRecord(schema), (err: Error) => err instanceof KongSchemaError && err.message.startsWith(message), message);
  }
  assert.throws(() => convertKongField({ type: 'set' }, 'x'), /x: a set needs 'elements'/);
});
