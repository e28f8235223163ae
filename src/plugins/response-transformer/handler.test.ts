import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJsonContentType, responseTransformerHandler, transformJson } from './handler.ts';
import { responseTransformerSchema } from './schema.ts';
import { validateFieldValue } from '../../schema/index.ts';

const empty = { json: [], json_types: [], headers: [] };
function conf(over: Record<string, unknown>) {
  const config = { remove: { json: [], headers: [] }, rename: { json: [], headers: [] }, replace: empty, add: empty, append: empty, ...over };
  assert.equal(validateFieldValue(responseTransformerSchema.config as never, config), undefined);
  return responseTransformerHandler.prepare!(config as never, undefined as never);
}

test('JSON rules in order, with json_types by position', () => {
  const c = conf({
    remove: { json: ['a'], headers: [] },
    rename: { json: ['b:c'], headers: [] },
    replace: { json: ['n:7', 'nope:1'], json_types: ['number'], headers: [] },
    add: { json: ['t:true', 'bad:x'], json_types: ['boolean', 'number'], headers: [] },
    append: { json: ['l:2'], json_types: [], headers: [] },
  });
  assert.equal(transformJson(c, '{"a":1,"b":2,"n":"1","l":"1"}'), '{"n":7,"l":["1","2"],"c":2,"t":true}');
});

test('a __proto__ key stays data', () => {
  const c = conf({ add: { json: ['__proto__:x'], json_types: [], headers: [] } });
  const out = transformJson(c, '{}') as string;
  assert.equal(out, '{"__proto__":"x"}');
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

test('non-object and invalid bodies are reported, not transformed', () => {
  const c = conf({ remove: { json: ['a'], headers: [] } });
  assert.deepEqual(transformJson(c, '[1]'), { error: 'the json body is not an object' });
  assert.deepEqual(transformJson(c, '{'), { error: 'failed parsing json body' });
});

test('JSON content types', () => {
  assert.equal(isJsonContentType('application/json; charset=utf-8'), true);
  assert.equal(isJsonContentType('text/html, Application/JSON'), true);
  assert.equal(isJsonContentType('text/plain'), false);
  assert.equal(isJsonContentType(undefined), false);
});
