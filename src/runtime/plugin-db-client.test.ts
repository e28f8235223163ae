/** kong.db's worker half: calls cross as numbered requests; replies settle them; silence times out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NO_PLUGIN_DB } from '../pdk/index.ts';
import type { WorkerMessage } from './messages.ts';
import { PluginDbClient } from './plugin-db-client.ts';

test('each call is a numbered request; its reply resolves or rejects it', async () => {
  const sent: WorkerMessage[] = [];
  const client = new PluginDbClient((msg) => sent.push(msg), 60_000);
  const found = client.db.selectBy('oauth2_tokens', 'access_token', 't');
  const failed = client.db.insert('oauth2_tokens', { expires_in: 1 }, { ttl: 30 });
  assert.deepEqual(sent, [
    { type: 'db-request', id: 1, request: { op: 'selectBy', entity: 'oauth2_tokens', field: 'access_token', value: 't' } },
    { type: 'db-request', id: 2, request: { op: 'insert', entity: 'oauth2_tokens', row: { expires_in: 1 }, ttl: 30 } },
  ]);
  client.onReply({ type: 'db-reply', id: 2, ok: false, error: 'insert oauth2_tokens failed: unique violation' });
  client.onReply({ type: 'db-reply', id: 1, ok: true, value: { id: 'x' } });
  client.onReply({ type: 'db-reply', id: 99, ok: true, value: null });
  assert.deepEqual(await found, { id: 'x' });
  await assert.rejects(failed, /unique violation/);
});

test('a call nobody answers rejects after the timeout', async () => {
  const client = new PluginDbClient(() => {}, 10);
  await assert.rejects(client.db.delete('oauth2_tokens', 'x'), /not answered within 10 ms/);
});

test('without a database reads find nothing and writes reject with the reason', async () => {
  assert.equal(await NO_PLUGIN_DB.select('oauth2_tokens', 'x'), null);
  await assert.rejects(NO_PLUGIN_DB.insert('oauth2_tokens', {}), /this node has no database/);
});
