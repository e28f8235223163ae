import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEntity } from '../../entities/index.ts';
import { pluginRegistry } from '../index.ts';
import { pluginContext } from '../../../test/support/plugin-context.ts';
import { ERR_UNIX_SOCKET, ipRestrictionHandler } from './handler.ts';
import type { IpRestrictionConfig } from './schema.ts';

const registry = pluginRegistry(['ip-restriction']);
const validate = (config: unknown) => validateEntity('plugins', { name: 'ip-restriction', config }, { plugins: registry });

function run(config: Partial<IpRestrictionConfig>, clientIp: string) {
  const conf = ipRestrictionHandler.prepare!({ allow: null, deny: null, status: null, message: null, ...config } as IpRestrictionConfig, undefined as never);
  const ctx = pluginContext({ clientIp });
  ipRestrictionHandler.access!(ctx, conf);
  return ctx.exited;
}

describe('ip-restriction schema', () => {
  test('allow and deny take addresses and CIDR blocks of both families; status and message are optional', () => {
    const result = validate({ allow: ['127.0.0.1/32', '2001:db8::/32'], deny: ['10.0.0.1'], status: 403, message: 'Forbidden' });
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.value.protocols, ['grpc', 'grpcs', 'http', 'https']);
  });

  test('one of allow or deny is required, as Kong checks it', () => {
    for (const config of [{}, { allow: [], deny: [] }]) {
      const result = validate(config);
      assert.ok(!result.ok);
      assert.deepEqual(result.errors, { '@entity': ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"] });
    }
  });

  test('bad entries are named with Kong\'s message, by position', () => {
    const result = validate({ allow: ['0.0.0.0/a', '::/129', '127.0.0.1'], deny: 12 });
    assert.ok(!result.ok);
    assert.deepEqual(result.errors, {
      config: { allow: ["invalid ip or cidr range: '0.0.0.0/a'", "invalid ip or cidr range: '::/129'"], deny: 'expected an array' },
    });
  });
});

describe('ip-restriction access', () => {
  test('deny is checked first; allow refuses everything outside it', () => {
    assert.equal(run({ deny: ['10.0.0.0/8'] }, '10.1.2.3')?.status, 403);
    assert.equal(run({ deny: ['10.0.0.0/8'] }, '11.1.2.3'), null);
    assert.equal(run({ allow: ['10.0.0.0/8'] }, '10.1.2.3'), null);
    assert.equal(run({ allow: ['10.0.0.0/8'] }, '11.1.2.3')?.status, 403);
    assert.equal(run({ allow: ['10.0.0.0/8'], deny: ['10.0.0.5'] }, '10.0.0.5')?.status, 403);
  });

  test('IPv6 and IPv4-mapped addresses', () => {
    assert.equal(run({ allow: ['2001:db8::/32'] }, '2001:db8::1'), null);
    assert.equal(run({ allow: ['2001:db8::/32'] }, '2001:db9::1')?.status, 403);
    assert.equal(run({ deny: ['10.0.0.0/8'] }, '::ffff:10.0.0.1')?.status, 403);
  });

  test('Kong\'s default answer names the address; status and message replace it', () => {
    assert.deepEqual(run({ deny: ['1.2.3.4'] }, '1.2.3.4'), { status: 403, kind: 'error', body: 'IP address not allowed: 1.2.3.4', headers: [] });
    assert.deepEqual(run({ deny: ['1.2.3.4'], status: 401, message: 'Go away' }, '1.2.3.4'), { status: 401, kind: 'error', body: 'Go away', headers: [] });
  });

  test('a client without an IP address (UNIX socket) is refused', () => {
    assert.deepEqual(run({ allow: ['0.0.0.0/0'] }, 'unix:'), { status: 403, kind: 'error', body: ERR_UNIX_SOCKET, headers: [] });
  });
});
