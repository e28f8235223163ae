/** Tokens from the configuration: used only where the node has no database, indexed once per snapshot. */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { setNodeDatabaseKind } from '../../pdk/index.ts';
import { configData } from '../../../test/support/plugin-context.ts';
import { configuredTokens } from './configured-tokens.ts';

const TOKEN = { id: 't1', access_token: 'tok-1', expires_in: 0, created_at: 1, credential: { id: 'cred' }, service: null, token_type: 'bearer' };
const data = (tokens: object[]) => configData({ oauth2_tokens: tokens });

afterEach(() => setNodeDatabaseKind(null));

test('without a database (DB-less, data planes) tokens come from the configuration, by access token', () => {
  setNodeDatabaseKind('off');
  const snapshot = data([TOKEN]);
  const tokens = configuredTokens(snapshot);
  assert.deepEqual(tokens?.get('tok-1'), TOKEN);
  assert.equal(tokens?.get('tok-2'), undefined);
  assert.equal(configuredTokens(snapshot), tokens, 'one index per snapshot');
  assert.equal(configuredTokens(data([]))?.size, 0);
});

test('with a database (or none declared) tokens are read from it, so refreshes and deletions apply at once', () => {
  for (const kind of ['postgres', 'sqlite', null] as const) {
    setNodeDatabaseKind(kind);
    assert.equal(configuredTokens(data([TOKEN])), null, String(kind));
  }
});
