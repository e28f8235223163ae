import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BUNDLED_PLUGINS, pluginPriority, pluginRegistry } from './index.ts';

describe('plugin registry', () => {
  test('bundled enables every bundled plugin; off none; names pick', () => {
    assert.ok(pluginRegistry(['bundled']).has('key-auth'));
    assert.equal(pluginRegistry(['off']).size, 0);
    assert.deepEqual([...pluginRegistry(['key-auth']).keys()], ['key-auth']);
  });

  test('an unknown name is refused with the setting and the fix in the message', () => {
    const bundled = BUNDLED_PLUGINS.map((p) => p.schema.name).join(', ');
    assert.throws(() => pluginRegistry(['bundled', 'nope']), { message: `plugins: 'nope' is not a plugin Tollgate has (bundled: ${bundled}); remove it from the 'plugins' setting` });
    assert.ok(bundled.startsWith('key-auth, '));
  });

  test('priorities come from the handlers', () => {
    assert.equal(pluginPriority('key-auth'), 1250);
    assert.equal(pluginPriority('correlation-id'), 100001);
    assert.equal(pluginPriority('request-transformer'), 801);
    assert.equal(pluginPriority('response-transformer'), 800);
    assert.equal(pluginPriority('redirect'), 779);
    assert.equal(pluginPriority('request-termination'), 2);
    assert.equal(pluginPriority('bot-detection'), 2500);
    assert.equal(pluginPriority('cors'), 2000);
    assert.equal(pluginPriority('ip-restriction'), 990);
    assert.equal(pluginPriority('request-size-limiting'), 951);
    assert.equal(pluginPriority('prometheus'), 13);
    assert.equal(pluginPriority('nope'), 0);
  });
});
