import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pluginPriority, pluginRegistry } from './index.ts';

describe('plugin registry', () => {
  test('bundled enables every bundled plugin; off none; names pick', () => {
    assert.ok(pluginRegistry(['bundled']).has('key-auth'));
    assert.equal(pluginRegistry(['off']).size, 0);
    assert.deepEqual([...pluginRegistry(['key-auth']).keys()], ['key-auth']);
  });

  test('an unknown name is refused with the setting and the fix in the message', () => {
    assert.throws(() => pluginRegistry(['bundled', 'nope']), /plugins: 'nope' is not a plugin Tollgate has \(bundled: [^)]*key-auth/);
  });

  test('priorities come from the handlers', () => {
    assert.equal(pluginPriority('key-auth'), 1250);
    assert.equal(pluginPriority('nope'), 0);
  });
});
