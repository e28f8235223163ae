import { test } from 'node:test';
import assert from 'node:assert/strict';
import { own, put, truthy } from './lua-table.ts';

test('own reads only a body\'s own fields, never the prototype\'s', () => {
  const body = JSON.parse('{"a":1,"__proto__":{"x":2}}') as Record<string, unknown>;
  assert.equal(own(body, 'a'), 1);
  assert.deepEqual(own(body, '__proto__'), { x: 2 });
  assert.equal(own(body, 'constructor'), undefined);
  assert.equal(own(body, 'toString'), undefined);
});

test('put writes an own, enumerable field, __proto__ included, without touching the prototype', () => {
  const body: Record<string, unknown> = {};
  put(body, '__proto__', 'v');
  put(body, 'a', 1);
  assert.equal(Object.getPrototypeOf(body), Object.prototype);
  assert.equal(JSON.stringify(body), '{"__proto__":"v","a":1}');
  put(body, 'a', 2);
  assert.equal(body.a, 2);
});

test("truthy is Lua's truth: only missing and false are not", () => {
  for (const v of [null, 0, '', [], {}, true]) assert.equal(truthy(v), true, JSON.stringify(v));
  for (const v of [undefined, false]) assert.equal(truthy(v), false, String(v));
});
