/** acl's entity and migration: Kong's names, one group per consumer once, the migration matching the store layout. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDeclarative } from '../../declarative/index.ts';
import { ENTITIES, registerPlugins } from '../../entities/index.ts';
import { assertCreatesLayout } from '../../../test/support/plugin-migrations.ts';
import { enabledPlugins, pluginRegistry } from '../index.ts';
import { baseAcl000 } from './migrations/000-base-acl.ts';

registerPlugins(enabledPlugins(['acl']));

test('acls: Kong\'s names, the consumer and group cache key, owned by acl', () => {
  const meta = ENTITIES.acls;
  assert.equal(meta.plugin, 'acl');
  assert.equal(meta.adminApiName, 'acls');
  assert.equal(meta.adminApiNestedName, 'acls');
  assert.equal(meta.endpointKey, null);
  assert.deepEqual(meta.cacheKey, ['consumer', 'group']);
});

test('000_base_acl creates what the store layout expects, on both dialects', () => {
  assertCreatesLayout(baseAcl000, ['acls']);
  assert.deepEqual(baseAcl000.tables, ['acls', 'acls_tags']);
});

test('groups nest under consumers in a declarative file; a consumer is in a group once', () => {
  const plugins = pluginRegistry(['acl']);
  const ok = loadDeclarative({ _format_version: '3.0', consumers: [{ username: 'a', acls: [{ group: 'x' }, { group: 'y' }] }] }, { plugins });
  assert.ok(ok.ok);
  const twice = loadDeclarative({ _format_version: '3.0', consumers: [{ username: 'a', acls: [{ group: 'x' }, { group: 'x' }] }] }, { plugins });
  assert.equal(twice.ok, false);
});
