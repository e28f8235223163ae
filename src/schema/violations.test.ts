import { test } from 'node:test';
import assert from 'node:assert/strict';
import { luaDump, luaQuote, schemaViolationMessage } from './index.ts';

test('one error: schema violation (path: message)', () => {
  assert.equal(schemaViolationMessage({ host: 'required field missing' }), 'schema violation (host: required field missing)');
});

test('several errors: @entity first, then fields sorted, nested as parent.child with 1-based items', () => {
  assert.equal(
    schemaViolationMessage({
      path: 'value must be null',
      '@entity': ["failed conditional validation given value of field 'protocol'"],
      host: 'required field missing',
    }),
    "3 schema violations (failed conditional validation given value of field 'protocol'; host: required field missing; path: value must be null)",
  );
  assert.equal(
    schemaViolationMessage({ protocols: [null, 'expected one of: http, https'], service: { id: 'expected a valid UUID' } }),
    '2 schema violations (protocols.2: expected one of: http, https; service.id: expected a valid UUID)',
  );
});

test('deeper structures are written as indented Lua tables', () => {
  assert.equal(
    schemaViolationMessage({ config: { redis: { host: 'required field missing' } } }),
    'schema violation (config.redis: {\n  host = "required field missing"\n})',
  );
});

test('luaDump writes Penlight-style one-line tables', () => {
  assert.equal(
    luaDump({ services: [{ host: 'required field missing', port: 'value should be between 0 and 65535' }] }),
    '{services={{host="required field missing",port="value should be between 0 and 65535"}}}',
  );
  assert.equal(luaDump({ routes: [null, { '@entity': ['x'] }] }), '{routes={[2]={["@entity"]={"x"}}}}');
  assert.equal(luaDump({ error: 'failed' }), '{error="failed"}');
  assert.equal(luaDump({ 'my-route': ['a'], end: 'b' }), '{["end"]="b",["my-route"]={"a"}}');
  assert.equal(luaDump({}), '{}');
});

test('luaQuote escapes like Lua and uses long brackets for multi-line text', () => {
  assert.equal(luaQuote('say "hi"\\'), '"say \\"hi\\"\\\\"');
  assert.equal(luaQuote('a\nb'), '[[a\nb]]');
  assert.equal(luaQuote('ends with ]'), '[=[ends with ]]=]');
});
