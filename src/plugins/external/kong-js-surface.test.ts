import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToString, KONG_JS_NAMESPACES, KONG_JS_SURFACE, multiMap } from './kong-js-surface.ts';

describe("Kong's JavaScript PDK surface", () => {
  test('multi-value maps arrive with every value an array, a flag as an empty one', () => {
    assert.deepEqual(multiMap({ a: '1', b: ['2', '3'], flag: true }), { a: ['1'], b: ['2', '3'], flag: [] });
    assert.deepEqual(multiMap({}), {});
  });

  test("memory figures in Kong's units", () => {
    assert.equal(bytesToString(1536.7), 1536);
    assert.equal(bytesToString(1536.7, 'B'), 1536);
    assert.equal(bytesToString(1536, 'k'), '1.50 KiB');
    assert.equal(bytesToString(3 * 2 ** 20, 'M', 0), '3 MiB');
    assert.equal(bytesToString(2 ** 30, 'g', 1), '1.0 GiB');
    assert.throws(() => bytesToString(1, 'x'), /invalid unit 'x'/);
    assert.throws(() => bytesToString(1, 'k', -1), /scale must be equal or greater than 0/);
  });

  test('every surface entry sits in a namespace the PDK object exposes', () => {
    for (const path of KONG_JS_SURFACE.keys()) {
      const parent = path.split('.').slice(0, -1).join('.');
      assert.ok(KONG_JS_NAMESPACES.has(parent), path);
    }
    assert.ok(KONG_JS_NAMESPACES.has('nginx.shared'));
  });
});
