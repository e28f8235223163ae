import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pluginContext } from '../../../test/support/plugin-context.ts';
import { setConsumerHeaders } from './consumer-headers.ts';

const FORGED = [
  'X-Consumer-ID', 'forged', 'X-Consumer-Custom-ID', 'forged', 'X-Consumer-Username', 'forged',
  'X-Credential-Identifier', 'forged', 'X-Anonymous-Consumer', 'forged', 'X-Other', 'kept',
];

/** The upstream headers after the Host slot, in the order they will be sent. */
const sent = (headers: readonly string[]): string[] => headers.slice(2);

describe('setConsumerHeaders', () => {
  test('a consumer with a credential: every forged header replaced, in one fixed order', () => {
    const ctx = pluginContext({ headers: FORGED });
    setConsumerHeaders(ctx, { id: 'c1', username: 'ann', custom_id: 'ann-1' }, 'cred-1', false);
    assert.deepEqual(sent(ctx.upstreamHeaders), [
      'X-Other', 'kept',
      'X-Consumer-ID', 'c1', 'X-Consumer-Custom-ID', 'ann-1', 'X-Consumer-Username', 'ann', 'X-Credential-Identifier', 'cred-1',
    ]);
  });

  test('missing consumer fields and no credential: those headers cleared, the anonymous mark set', () => {
    const ctx = pluginContext({ headers: FORGED });
    setConsumerHeaders(ctx, { id: 'c2', username: null, custom_id: null }, null, true);
    assert.deepEqual(sent(ctx.upstreamHeaders), ['X-Other', 'kept', 'X-Consumer-ID', 'c2', 'X-Anonymous-Consumer', 'true']);
  });

  test('a credential without a consumer (a directory user): only the credential identifier', () => {
    const ctx = pluginContext({ headers: FORGED });
    setConsumerHeaders(ctx, null, 'ldap-user', false);
    assert.deepEqual(sent(ctx.upstreamHeaders), ['X-Other', 'kept', 'X-Credential-Identifier', 'ldap-user']);
  });
});
