/**
 * basic-auth's entity and migration: Kong's names, the migration creating what the store derives from
 * `daos.ts`, and passwords hashed by declarative loads (Kong's `_transform` rule for Kong SHA-1 hashes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDeclarative } from '../../declarative/index.ts';
import { ENTITIES, registerPlugins, validateEntity } from '../../entities/index.ts';
import { assertCreatesLayout } from '../../../test/support/plugin-migrations.ts';
import { enabledPlugins, pluginRegistry } from '../index.ts';
import { baseBasicAuth000 } from './migrations/000-base-basic-auth.ts';
import { kongSha1 } from './password.ts';

registerPlugins(enabledPlugins(['basic-auth']));

test('basicauth_credentials: Kong\'s Admin API names and endpoint key, owned by basic-auth', () => {
  const meta = ENTITIES.basicauth_credentials;
  assert.equal(meta.plugin, 'basic-auth');
  assert.equal(meta.adminApiName, 'basic-auths');
  assert.equal(meta.adminApiNestedName, 'basic-auth');
  assert.equal(meta.endpointKey, 'username');
  assert.equal(meta.secretEndpointKey, false);
  assert.deepEqual(meta.foreignKeys, [{ field: 'consumer', reference: 'consumers', onDelete: 'cascade', required: true }]);
  assert.deepEqual(validateEntity('basicauth_credentials', { consumer: { id: '4b1b701d-de2b-5588-9aa2-3b97061d9f52' } }), {
    ok: false,
    errors: { username: 'required field missing', password: 'required field missing' },
  });
});

test('000_base_basic_auth creates what the store layout expects, on both dialects', () => {
  assertCreatesLayout(baseBasicAuth000, ['basicauth_credentials']);
  assert.deepEqual(baseBasicAuth000.tables, ['basicauth_credentials', 'basicauth_credentials_tags']);
});

const CONSUMER = 'ad06b77c-0d2f-407a-8d6d-07f272a92d6a';

function load(transform: boolean | undefined, password: string): string {
  const document: Record<string, unknown> = {
    _format_version: '3.0',
    consumers: [{ id: CONSUMER, username: 'andru', basicauth_credentials: [{ username: 'james', password }] }],
  };
  if (transform !== undefined) document._transform = transform;
  const result = loadDeclarative(document, { plugins: pluginRegistry(['basic-auth']) });
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  const rows = (result.config as unknown as Record<string, { password: string }[]>).basicauth_credentials;
  return rows[0].password;
}

test('a declarative load hashes passwords; _transform: false keeps Kong SHA-1 hashes, never a clear password', () => {
  assert.match(load(undefined, 'secret'), /^\$scrypt\$16384\$8\$1\$/);
  const kong = kongSha1('MI6', CONSUMER);
  assert.equal(load(false, kong), kong);
  assert.match(load(true, kong), /^\$scrypt\$/, 'with _transform (the default) a 40-hex value is a password');
  assert.match(load(false, 'secret'), /^\$scrypt\$/);
  const ours = load(undefined, 'secret');
  assert.equal(load(true, ours), ours, 'our own hashes are recognised in any file');
});
