/** key-auth's entity as the registry gives it: Admin API names, ttl, a generated key, a required consumer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENTITIES, findEntity, registerPlugins, validateEntity } from '../../entities/index.ts';
import { enabledPlugins } from '../index.ts';

registerPlugins(enabledPlugins(['key-auth']));

const CONSUMER = { id: '4b1b701d-de2b-5588-9aa2-3b97061d9f52' };

test('keyauth_credentials: Kong\'s Admin API names, endpoint key and ttl, owned by key-auth', () => {
  const meta = ENTITIES.keyauth_credentials;
  assert.equal(meta.plugin, 'key-auth');
  assert.equal(meta.adminApiName, 'key-auths');
  assert.equal(meta.adminApiNestedName, 'key-auth');
  assert.equal(meta.endpointKey, 'key');
  assert.equal(meta.secretEndpointKey, true);
  assert.equal(meta.ttl, true);
  assert.deepEqual(meta.foreignKeys, [{ field: 'consumer', reference: 'consumers', onDelete: 'cascade', required: true }]);
  assert.equal(findEntity('key-auths')?.name, 'keyauth_credentials');
});

test('key generated when omitted, consumer required, ttl accepted', () => {
  const ok = validateEntity('keyauth_credentials', { consumer: CONSUMER, ttl: 60 });
  assert.ok(ok.ok);
  assert.match(String(ok.value.key), /^[A-Za-z0-9]{32}$/);
  assert.equal(ok.value.ttl, 60);
  assert.equal('updated_at' in ok.value, false, 'credentials have created_at only');
  assert.deepEqual(validateEntity('keyauth_credentials', { key: 'k' }), {
    ok: false,
    errors: { consumer: 'required field missing' },
  });
});
