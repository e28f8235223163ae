import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCustomFields, customFieldsByLuaField, customFieldsField } from './custom-fields.ts';
import { compileTemplate, TemplateError } from '../request-transformer/template.ts';

const refuseLua = customFieldsByLuaField.custom_validator as (v: Record<string, string>) => string | null;
const checkValue = customFieldsField.values.custom_validator as (v: string) => string | null;
const checkKey = customFieldsField.keys.custom_validator as (v: string) => string | null;

test('custom_fields_by_lua is accepted only empty', () => {
  assert.equal(refuseLua({}), null);
  assert.match(refuseLua({ x: 'return 1' }) ?? '', /does not run Lua code.*custom_fields/);
});

test('custom_fields: templates over the request and the record; code and bad paths refused', () => {
  assert.equal(checkValue('literal'), null);
  assert.equal(checkValue('$(headers.x_tenant or "none")'), null);
  assert.equal(checkValue('$(record.route.name)'), null);
  assert.match(checkValue('$(os.exit())') ?? '', /not a valid template/);
  assert.match(checkKey('a..b') ?? '', /empty segment/);
  assert.match(checkKey('__proto__.x') ?? '', /reserved/);
  assert.equal(compileCustomFields({}), null);
  assert.equal(compileCustomFields({ a: 'b' })?.length, 1);
});

test("request-transformer's templates still refuse `record`", () => {
  assert.throws(() => compileTemplate('$(record.route)'), TemplateError);
});
