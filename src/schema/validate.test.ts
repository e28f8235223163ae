import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkImmutableFields, defineSchema, typedefs, validateFieldValue, validateRecord, type EntityType } from './index.ts';

const NOW = 1_700_000_000_123;

const thing = defineSchema({
  name: 'things',
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_ms,
    name: { type: 'string', required: true },
    count: { type: 'integer', default: 3, between: [0, 10] },
    ratio: { type: 'number' },
    flag: { type: 'boolean', default: false },
    kind: { type: 'string', one_of: ['a', 'b', 'c'], default: 'a' },
    list: { type: 'array', elements: { type: 'string' } },
    set: { type: 'set', elements: { type: 'integer' } },
    map: { type: 'map', keys: { type: 'string' }, values: { type: 'integer' } },
    rec: {
      type: 'record',
      fields: { x: { type: 'integer', default: 1 }, y: { type: 'string' } },
    },
    secret: { type: 'string', auto: true },
    ref: { type: 'foreign', reference: 'others' },
  },
});

function errorsOf(input: unknown, schema = thing): unknown {
  const result = validateRecord(schema, input, { now: NOW });
  assert.equal(result.ok, false, 'expected a validation failure');
  return result.ok ? undefined : result.errors;
}

test('fills defaults, nulls and auto fields', () => {
  const result = validateRecord(thing, { name: 'n' }, { now: NOW });
  assert.ok(result.ok);
  const v = result.value;
  assert.match(v.id, /^[0-9a-f-]{36}$/);
  assert.equal(v.created_at, 1_700_000_000);
  assert.equal(v.updated_at, 1_700_000_000.123);
  assert.equal(v.count, 3);
  assert.equal(v.flag, false);
  assert.equal(v.kind, 'a');
  assert.equal(v.ratio, null);
  assert.equal(v.list, null);
  assert.deepEqual(v.rec, { x: 1, y: null }, 'records are required by default and expand into their defaults');
  assert.equal(typeof v.secret, 'string');
  assert.equal(v.secret.length, 32);
  assert.equal(v.ref, null);
  assert.deepEqual(Object.keys(v), Object.keys(thing.fields), 'output keeps the declared field order');
});

test('keeps created_at when given, always stamps updated_at', () => {
  const result = validateRecord(thing, { name: 'n', created_at: 5, updated_at: 'garbage' }, { now: NOW });
  assert.ok(result.ok);
  assert.equal(result.value.created_at, 5);
  assert.equal(result.value.updated_at, 1_700_000_000.123);
});

test('type errors use Kong wording', () => {
  assert.deepEqual(
    errorsOf({
      name: 1,
      count: 1.5,
      ratio: 'x',
      flag: 'yes',
      list: 'x',
      set: {},
      map: 'x',
      rec: 'x',
    }),
    {
      name: 'expected a string',
      count: 'expected an integer',
      ratio: 'expected a number',
      flag: 'expected a boolean',
      list: 'expected an array',
      map: 'expected a map',
      rec: 'expected a record',
    },
  );
  assert.deepEqual(errorsOf({ name: 'n', set: 'x' }), { set: 'expected a set' });
});

test('required, unknown, null and empty strings', () => {
  assert.deepEqual(errorsOf({ other: 1 }), { name: 'required field missing', other: 'unknown field' });
  assert.deepEqual(errorsOf({ name: null }), { name: 'required field missing' });
  assert.deepEqual(errorsOf({ name: '' }), { name: 'length must be at least 1' });
  const ok = validateRecord(thing, { name: 'n', count: null, ratio: null }, { now: NOW });
  assert.ok(ok.ok);
  assert.equal(ok.value.count, 3, 'an explicit null falls back to the default');
  assert.equal(ok.value.ratio, null);
});

test('value rules', () => {
  assert.deepEqual(errorsOf({ name: 'n', count: 11 }), { count: 'value should be between 0 and 10' });
  assert.deepEqual(errorsOf({ name: 'n', kind: 'z' }), { kind: 'expected one of: a, b, c' });
});

test('array errors mirror the input with null at valid positions', () => {
  assert.deepEqual(errorsOf({ name: 'n', list: ['a', 1, 'b', null] }), {
    list: [null, 'expected a string', null, 'required field missing'],
  });
  assert.deepEqual(errorsOf({ name: 'n', list: [2, 'ok'] }), { list: ['expected a string'] });
});

test('sets drop duplicates; empty objects count as empty lists', () => {
  const result = validateRecord(thing, { name: 'n', set: [1, 2, 1, 3, 2], list: {} }, { now: NOW });
  assert.ok(result.ok);
  assert.deepEqual(result.value.set, [1, 2, 3]);
  assert.deepEqual(result.value.list, []);
});

test('maps report the first failing entry', () => {
  assert.deepEqual(errorsOf({ name: 'n', map: { a: 1, b: 'x' } }), { map: 'expected an integer' });
  const result = validateRecord(thing, { name: 'n', map: { a: 1 } }, { now: NOW });
  assert.ok(result.ok);
  assert.deepEqual(result.value.map, { a: 1 });
});

test('record errors nest', () => {
  assert.deepEqual(errorsOf({ name: 'n', rec: { x: 'a', z: 1 } }), {
    rec: { x: 'expected an integer', z: 'unknown field' },
  });
  const result = validateRecord(thing, { name: 'n', rec: { y: 'q' } }, { now: NOW });
  assert.ok(result.ok);
  assert.deepEqual(result.value.rec, { x: 1, y: 'q' });
  assert.deepEqual(errorsOf({ name: 'n', rec: null }), { rec: 'required field missing' });
});

test('foreign keys must be {id} with a UUID', () => {
  const id = '4b1b701d-de2b-5588-9aa2-3b97061d9f52';
  const ok = validateRecord(thing, { name: 'n', ref: { id, extra: 1 } }, { now: NOW });
  assert.ok(ok.ok);
  assert.deepEqual(ok.value.ref, { id });
  assert.deepEqual(errorsOf({ name: 'n', ref: { id: 'nope' } }), { ref: { id: 'expected a valid UUID' } });
  assert.deepEqual(errorsOf({ name: 'n', ref: { name: 'x' } }), { ref: { id: 'missing primary key' } });
  assert.deepEqual(errorsOf({ name: 'n', ref: 'x' }), { ref: { id: 'missing primary key' } });
});

test('input must be an object and is never modified', () => {
  assert.deepEqual(validateRecord(thing, 'x'), { ok: false, errors: { '@entity': ['expected a record'] } });
  const input = { name: 'n', set: [1, 1], rec: { y: 'a' } };
  const copy = structuredClone(input);
  validateRecord(thing, input, { now: NOW });
  assert.deepEqual(input, copy);
});

test('validators run in Kong order and `err` replaces their messages', () => {
  const schema = defineSchema({
    fields: {
      a: { type: 'string', starts_with: '/', match_none: [{ pattern: '//', err: 'no empty segments' }] },
      b: { type: 'string', one_of: ['x'], err: 'custom message' },
      c: { type: 'string', match: '^[A-Z]+$' },
      d: { type: 'string', match_any: { patterns: ['^a', '^b'], err: 'must start with a or b' } },
      e: { type: 'string', custom_validator: (v: string) => (v === 'bad' ? 'is bad' : null) },
      f: { type: 'set', elements: { type: 'string' }, mutually_exclusive_subsets: [['p', 'q'], ['r']] },
      g: { type: 'array', elements: { type: 'integer' }, len_min: 2, contains: 7 },
      h: { type: 'string', uuid: true },
      i: { type: 'integer', eq: 3 },
      j: { type: 'string', len_max: 3 },
    },
  });
  const result = validateRecord(schema, {
    a: 'x//y',
    b: 'z',
    c: 'get',
    d: 'c',
    e: 'bad',
    f: ['p', 'r'],
    g: [1],
    h: 'not-a-uuid',
    i: 4,
    j: 'ééé',
  });
  assert.deepEqual(result, {
    ok: false,
    errors: {
      a: 'should start with: /',
      b: 'custom message',
      c: 'invalid value: get',
      d: 'must start with a or b',
      e: 'is bad',
      f: "these sets are mutually exclusive: ('p', 'q'), ('r')",
      g: 'length must be at least 2',
      h: 'expected a valid UUID',
      i: 'value must be 3',
      j: 'length must be at most 3',
    },
  });
  const contains = validateRecord(schema, { g: [1, 2] });
  assert.deepEqual(contains, { ok: false, errors: { g: 'expected to contain: 7' } });
});

test('eq: null and ne: null', () => {
  const schema = defineSchema({
    fields: {
      must_be_null: { type: 'string', eq: null },
      with_message: { type: 'string', eq: null, err: 'cannot set it' },
      not_null: { type: 'string', ne: null },
    },
  });
  assert.deepEqual(validateRecord(schema, { must_be_null: 'x', with_message: 'y', not_null: null }), {
    ok: false,
    errors: { must_be_null: 'value must be null', with_message: 'cannot set it', not_null: 'value must not be null' },
  });
});

test('at_least_one_of, only_one_of, mutually_required, mutually_exclusive, distinct', () => {
  const schema = defineSchema({
    fields: {
      a: { type: 'string' },
      b: { type: 'string' },
      c: { type: 'string' },
      d: { type: 'string' },
    },
    entity_checks: [
      { at_least_one_of: ['a', 'b'] },
      { mutually_required: ['c', 'd'] },
    ],
  });
  assert.deepEqual(validateRecord(schema, { c: 'x' }), {
    ok: false,
    errors: {
      '@entity': [
        "at least one of these fields must be non-empty: 'a', 'b'",
        "all or none of these fields must be set: 'c', 'd'",
      ],
    },
  });
  const exclusive = defineSchema({
    fields: { a: { type: 'string' }, b: { type: 'string' } },
    entity_checks: [{ only_one_of: ['a', 'b'] }, { mutually_exclusive: ['a', 'b'] }, { distinct: ['a', 'b'] }],
  });
  assert.deepEqual(validateRecord(exclusive, { a: 'x', b: 'x' }), {
    ok: false,
    errors: {
      '@entity': [
        "exactly one of these fields must be non-empty: 'a', 'b'",
        "only one or none of these fields must be set: 'a', 'b'",
        "values of these fields must be distinct: 'a', 'b'",
      ],
    },
  });
  assert.ok(validateRecord(exclusive, { a: 'x' }).ok);
});

test('conditional checks mark the field and the entity', () => {
  const schema = defineSchema({
    fields: {
      mode: { type: 'string', required: true, default: 'plain', one_of: ['plain', 'tls', 'header'] },
      path: { type: 'string' },
      header: { type: 'string' },
    },
    entity_checks: [
      { conditional: { if_field: 'mode', if_match: { one_of: ['tls'] }, then_field: 'path', then_match: { eq: null } } },
      {
        conditional: {
          if_field: 'mode',
          if_match: { match: '^header$' },
          then_field: 'header',
          then_match: { required: true },
          then_err: 'header mode needs a header',
        },
      },
    ],
  });
  assert.deepEqual(validateRecord(schema, { mode: 'tls', path: '/x' }), {
    ok: false,
    errors: { path: 'value must be null', '@entity': ["failed conditional validation given value of field 'mode'"] },
  });
  assert.deepEqual(validateRecord(schema, { mode: 'header' }), {
    ok: false,
    errors: { header: 'required field missing', '@entity': ["failed conditional validation given value of field 'mode'"] },
  });
  assert.ok(validateRecord(schema, { path: '/x' }).ok);
});

test('custom entity checks are skipped when their fields are invalid', () => {
  let calls = 0;
  const schema = defineSchema({
    fields: { a: { type: 'integer' }, b: { type: 'integer' } },
    entity_checks: [
      {
        custom_entity_check: {
          field_sources: ['a', 'b'],
          fn: (e) => {
            calls++;
            return (e.a as number) > (e.b as number) ? 'a must not exceed b' : null;
          },
        },
      },
    ],
  });
  assert.deepEqual(validateRecord(schema, { a: 2, b: 1 }), { ok: false, errors: { '@entity': ['a must not exceed b'] } });
  assert.deepEqual(validateRecord(schema, { a: 'x', b: 1 }), { ok: false, errors: { a: 'expected an integer' } });
  assert.equal(calls, 1);
});

test('subschemas replace fields and add checks; unknown keys are rejected', () => {
  const schema = defineSchema({
    subschema_key: 'kind',
    subschema_error: "kind '%s' is not known",
    fields: {
      kind: { type: 'string', required: true },
      size: { type: 'integer', default: 1 },
    },
    subschemas: {
      big: { fields: { size: { type: 'integer', default: 100, between: [100, 1000] } } },
      small: { fields: {}, entity_checks: [{ at_least_one_of: ['size'] }] },
    },
  });
  const big = validateRecord(schema, { kind: 'big' });
  assert.ok(big.ok);
  assert.equal(big.value.size, 100);
  assert.deepEqual(validateRecord(schema, { kind: 'big', size: 5 }), {
    ok: false,
    errors: { size: 'value should be between 100 and 1000' },
  });
  assert.deepEqual(validateRecord(schema, { kind: 'huge', other: 1 }), { ok: false, errors: { kind: "kind 'huge' is not known" } });
  assert.deepEqual(validateRecord(schema, {}), { ok: false, errors: { kind: 'required field missing' } });
  const small = validateRecord(schema, { kind: 'small' });
  assert.ok(small.ok);
  assert.equal(small.value.size, 1);
});

test('subschemas can be supplied at validation time', () => {
  const schema = defineSchema({
    subschema_key: 'name',
    fields: { name: { type: 'string', required: true }, config: { type: 'record', abstract: true } },
  });
  const subschemas = new Map([
    ['greeter', { fields: { config: { type: 'record', fields: { greeting: { type: 'string', default: 'hi' } } } } } as const],
  ]);
  const result = validateRecord(schema, { name: 'greeter' }, { subschemas });
  assert.ok(result.ok);
  assert.deepEqual(result.value.config, { greeting: 'hi' });
  assert.deepEqual(validateRecord(schema, { name: 'other' }, { subschemas }), {
    ok: false,
    errors: { name: 'unknown type: other' },
  });
});

test('shorthand fields expand before validation', () => {
  const schema = defineSchema({
    fields: { host: { type: 'string', required: true }, port: { type: 'integer', default: 80 } },
    shorthand_fields: {
      address: {
        type: 'string',
        func: (value: string) => {
          const [host, port] = value.split(':');
          return { host, port: port === undefined ? undefined : Number(port) };
        },
      },
    },
  });
  const result = validateRecord(schema, { address: 'a:81' });
  assert.ok(result.ok);
  assert.deepEqual(result.value, { host: 'a', port: 81 });
  assert.deepEqual(validateRecord(schema, { address: 5 }), { ok: false, errors: { address: 'expected a string' } });
});

test('update context: nothing defaulted, explicit nulls of required fields fail, reworded messages', () => {
  const schema = defineSchema({
    fields: {
      updated_at: typedefs.auto_timestamp_s,
      a: { type: 'string' },
      b: { type: 'string' },
      n: { type: 'integer', required: true, default: 1 },
    },
    entity_checks: [{ at_least_one_of: ['a', 'b'] }],
  });
  const partial = validateRecord(schema, { a: 'x' }, { context: 'update', now: NOW });
  assert.deepEqual(partial, { ok: true, value: { updated_at: 1_700_000_000, a: 'x' } });
  assert.deepEqual(validateRecord(schema, { a: null, b: null, n: null }, { context: 'update' }), {
    ok: false,
    errors: {
      n: 'required field missing',
      '@entity': ["when updating, at least one of these fields must be non-empty: 'a', 'b'"],
    },
  });
});

test('ttl passes through only for schemas that accept it', () => {
  const withTtl = defineSchema({ ttl: true, fields: { a: { type: 'string' } } });
  assert.deepEqual(validateRecord(withTtl, { ttl: 30 }), { ok: true, value: { a: null, ttl: 30 } });
  assert.deepEqual(validateRecord(defineSchema({ fields: {} }), { ttl: 30 }), { ok: false, errors: { ttl: 'unknown field' } });
});

test('validateFieldValue checks a single value', () => {
  assert.equal(validateFieldValue(typedefs.port, 80), undefined);
  assert.equal(validateFieldValue(typedefs.port, 70000), 'value should be between 0 and 65535');
  assert.equal(validateFieldValue({ type: 'string', required: true }, null), 'required field missing');
});

test('checkImmutableFields', () => {
  const schema = defineSchema({ fields: { a: { type: 'string', immutable: true }, b: { type: 'string' } } });
  assert.equal(checkImmutableFields(schema, { a: 'x', b: 'y' }, { a: 'x', b: 'z' }), null);
  assert.deepEqual(checkImmutableFields(schema, { a: 'y' }, { a: 'x' }), { a: 'immutable field cannot be updated' });
});

test('entity types are inferred from the declaration', () => {
  type Thing = EntityType<typeof thing>;
  const sample: Thing = {
    id: 'x',
    created_at: 1,
    updated_at: 1,
    name: 'n',
    count: 1,
    ratio: null,
    flag: true,
    kind: 'b',
    list: null,
    set: [1],
    map: { a: 1 },
    rec: { x: 1, y: null },
    secret: 's',
    ref: { id: 'x' },
  };
  // @ts-expect-error kind is limited to its one_of values
  const wrongKind: Thing['kind'] = 'z';
  // @ts-expect-error name is required, so never null
  const nullName: Thing['name'] = null;
  assert.ok(sample && wrongKind && nullName === null);
});
