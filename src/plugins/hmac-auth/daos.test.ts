/** hmac-auth's entity and migration: Kong's names and fields, and the SQL the store's layout expects. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENTITIES, registerPlugins, validateEntity } from '../../entities/index.ts';
import { assertCreatesLayout } from '../../../test/support/plugin-migrations.ts';
import { loadDeclarative } from '../../declarative/index.ts';
import { enabledPlugins, pluginRegistry } from '../index.ts';
import { baseHmacAuth000 } from './migrations/000-base-hmac-auth.ts';

registerPlugins(enabledPlugins(['hmac-auth']));

test('hmacauth_credentials: Kong\'s Admin API names and endpoint key, owned by hmac-auth', () => {
  const meta = ENTITIES.hmacauth_credentials;
  assert.equal(meta.plugin, 'hmac-auth');
  assert.equal(meta.adminApiName, 'hmac-auths');
  assert.equal(meta.adminApiNestedName, 'hmac-auth');
  assert.equal(meta.endpointKey, 'username');
  assert.deepEqual(meta.foreignKeys, [{ field: 'consumer', reference: 'consumers', onDelete: 'cascade', required: true }]);
  assert.deepEqual(validateEntity('hmacauth_credentials', { consumer: { id: '4b1b701d-de2b-5588-9aa2-3b97061d9f52' } }), {
    ok: false,
    errors: { username: 'required field missing' },
  });
});

test('000_base_hmac_auth creates what the store layout expects, on both dialects', () => {
  assertCreatesLayout(baseHmacAuth000, ['hmacauth_credentials']);
  assert.deepEqual(baseHmacAuth000.tables, ['hmacauth_credentials', 'hmacauth_credentials_tags']);
});

test('declarative nesting under consumers; a secret is generated when omitted', () => {
  const result = loadDeclarative({
    _format_version: '3.0',
    consumers: [{ username: 'bob', hmacauth_credentials: [{ username: 'bob-key', secret: 's3cret' }, { username: 'bob-gen' }] }],
  }, { plugins: pluginRegistry(['hmac-auth']) });
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  const rows = (result.config as unknown as Record<string, { username: string; secret: string; consumer: { id: string } }[]>).hmacauth_credentials;
  assert.equal(rows.length, 2);
  assert.equal(rows.find((r) => r.username === 'bob-key')?.secret, 's3cret');
  assert.match(rows.find((r) => r.username === 'bob-gen')?.secret ?? '', /^.{32}$/);
});
