/** kong.db's supervisor half: only plugin-owned entities, validated writes with a ttl, nothing without a store. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerPlugins } from '../entities/index.ts';
import { enabledPlugins } from '../plugins/index.ts';
import { openSqliteStore } from '../store/index.ts';
import { runPluginDbRequest } from './plugin-db-server.ts';

registerPlugins(enabledPlugins(['oauth2']));

test('without a store reads find nothing and writes fail with the reason', async () => {
  assert.equal(await runPluginDbRequest(null, { op: 'selectBy', entity: 'oauth2_tokens', field: 'access_token', value: 'x' }), null);
  await assert.rejects(runPluginDbRequest(null, { op: 'insert', entity: 'oauth2_tokens', row: {}, ttl: null }), /this node has no database/);
  await assert.rejects(runPluginDbRequest(null, { op: 'delete', entity: 'oauth2_tokens', id: 'x' }), /this node has no database/);
});

test('core entities are out of reach; plugin rows are validated, generated and expire with their ttl', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    await assert.rejects(runPluginDbRequest(store, { op: 'select', entity: 'consumers', id: 'x' }), /not an entity owned by a plugin/);
    const consumer = await store.insert('consumers', { id: '4b1b701d-de2b-5588-9aa2-3b97061d9f52', username: 'u', created_at: 1, updated_at: 1 } as never);
    const credential = (await runPluginDbRequest(store, { op: 'insert', entity: 'oauth2_credentials', row: { consumer: { id: consumer.id }, name: 'app' }, ttl: null })) as Record<string, unknown>;
    assert.match(String(credential.client_id), /^[A-Za-z0-9]{32}$/);
    const version = await store.configVersion();
    const token = (await runPluginDbRequest(store, {
      op: 'insert',
      entity: 'oauth2_tokens',
      row: { credential: { id: credential.id }, expires_in: 10 },
      ttl: 60,
    })) as Record<string, unknown>;
    assert.match(String(token.access_token), /^[A-Za-z0-9]{32}$/);
    assert.equal(await store.configVersion(), version, 'a token is no live configuration: the version stays');
    await runPluginDbRequest(store, { op: 'insert', entity: 'oauth2_authorization_codes', row: { credential: { id: credential.id } }, ttl: 300 });
    assert.equal(await store.configVersion(), version, 'nor is a code');
    assert.equal(token.token_type, 'bearer');
    const found = (await runPluginDbRequest(store, { op: 'selectBy', entity: 'oauth2_tokens', field: 'access_token', value: String(token.access_token) })) as Record<string, unknown>;
    assert.equal(found.id, token.id);
    assert.ok(typeof found.ttl === 'number' && found.ttl > 50 && found.ttl <= 60);
    const updated = (await runPluginDbRequest(store, { op: 'update', entity: 'oauth2_tokens', id: String(token.id), patch: { access_token: 'new-token' }, ttl: 120 })) as Record<string, unknown>;
    assert.equal(updated.access_token, 'new-token');
    await assert.rejects(runPluginDbRequest(store, { op: 'insert', entity: 'oauth2_tokens', row: { credential: { id: credential.id } }, ttl: null }), /expires_in/);
    const clash = runPluginDbRequest(store, { op: 'insert', entity: 'oauth2_tokens', row: { credential: { id: credential.id }, expires_in: 1, access_token: 'new-token' }, ttl: null });
    await assert.rejects(clash, (err: Error) => err.message === 'insert oauth2_tokens failed: unique violation', 'no token in the message');
    assert.equal(await runPluginDbRequest(store, { op: 'delete', entity: 'oauth2_tokens', id: String(token.id) }), true);
    assert.equal(await runPluginDbRequest(store, { op: 'update', entity: 'oauth2_tokens', id: String(token.id), patch: {}, ttl: null }), null);
  } finally {
    await store.close();
  }
});
