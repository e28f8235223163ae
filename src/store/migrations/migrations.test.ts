import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { ENTITY_ORDER, registerPlugins } from '../../entities/index.ts';
import { entityTableNames } from '../sql/ddl.ts';
import { base000 } from './core-000-base.ts';
import { vaultsKeys005 } from './core-005-vaults-keys.ts';
import { consumerGroups006 } from './core-006-consumer-groups.ts';
import { defaultMigrations, migrationRegistry } from './registry.ts';
import { MigrationError, type MigrationSubsystem } from './types.ts';

test('000_base is frozen: changing storage-relevant entity metadata needs a new migration', () => {
  // If this fails you changed what 000_base creates (a unique field, a foreign key, a cache key, a ttl, tags,
  // a new collection in BASE_ENTITIES...). Databases bootstrapped before would never see the change: keep
  // 000_base as it was and add a migration (001_...) that alters the tables, then update these hashes.
  // (Changed once on purpose: plugins' credential tables left 000_base for the plugins' own migrations,
  // which create them IF NOT EXISTS, so databases bootstrapped before keep theirs.)
  const up = base000.up as { sqlite: string; postgres: string };
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  assert.equal(sha(up.sqlite), 'f47a17f40cccaca242406f6f4ed4a117b1272840ea678e6206ae9219f7126271');
  assert.equal(sha(up.postgres), '16e1cc30a1d7bd3845dd9593dec91e4046ae3c405971dfa149cf82a08e0c7625');
});

test('005_vaults_keys is frozen too: a later change to vaults, key sets or keys storage needs its own migration', () => {
  const up = vaultsKeys005.up as { sqlite: string; postgres: string };
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  assert.equal(sha(up.sqlite), 'ac8ab1e2f337622fc1d25fab29eabad1b73cbe13ced0a4c2afeb4717e3e9e293');
  assert.equal(sha(up.postgres), '5dbfd210ddc39a25bde48d50e73da4137f151c7d2f3c8668e15dfa3f08768db5');
  assert.deepEqual(vaultsKeys005.tables, ['vaults', 'vaults_tags', 'key_sets', 'key_sets_tags', 'keys', 'keys_tags']);
});

test('006_consumer_groups is frozen too: a later change to consumer groups or the plugins\' group scope needs its own migration', () => {
  const up = consumerGroups006.up as { sqlite: string; postgres: string };
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  assert.equal(sha(up.sqlite), '5ce83df3bfb9947f499f5d9ab673eded6c6a2702acb0b677be793ecd2af68e7f');
  assert.equal(sha(up.postgres), '1ee5155feba03e7b85e26e1b376d9e88548a31aa227add226a2fc9f2619ded0b');
  assert.deepEqual(consumerGroups006.tables, ['consumer_groups', 'consumer_groups_tags', 'consumer_group_consumers']);
});

test('every core collection has its tables created by a core migration', () => {
  const created = new Set(defaultMigrations().flatMap((s) => s.migrations.flatMap((m) => m.tables)));
  for (const table of entityTableNames(ENTITY_ORDER)) assert.ok(created.has(table), `no migration creates '${table}'`);
  assert.ok(created.has('tollgate_config_version'));
});

test('the registry runs core first and refuses malformed or duplicate names', () => {
  const table = (name: string, tables: string[] = []): MigrationSubsystem['migrations'][number] => ({
    name,
    up: { sqlite: '', postgres: '' },
    tables,
  });
  const ok = migrationRegistry([{ name: 'acme', migrations: [table('000_base_acme', ['acme_things'])] }]);
  assert.deepEqual(ok.map((s) => s.name), ['core', 'acme']);
  const refused = (subsystems: MigrationSubsystem[], pattern: RegExp) =>
    assert.throws(() => migrationRegistry(subsystems), (e: unknown) => e instanceof MigrationError && e.code === 'invalid_registry' && pattern.test(e.message));
  refused([{ name: 'core', migrations: [] }], /must be named after its plugin/);
  refused([{ name: 'Acme Plugin', migrations: [] }], /must be named after its plugin/);
  refused([{ name: 'a', migrations: [] }, { name: 'a', migrations: [] }], /registered twice/);
  refused([{ name: 'a', migrations: [table('base')] }], /needs a unique name like '001_add_things'/);
  refused([{ name: 'a', migrations: [table('000_x'), table('000_x')] }], /'a:000_x'/);
  refused([{ name: 'a', migrations: [table('000_x', ['services'])] }], /table 'services' is created by both core:000_base and a:000_x/);
});

test('the registered plugins\' migrations follow core, each under its plugin\'s name', () => {
  assert.deepEqual(defaultMigrations().map((s) => s.name), ['core']);
  registerPlugins([
    { schema: { name: 'no-tables' } },
    { schema: { name: 'acme' }, daos: [], migrations: [{ name: '000_base_acme', up: { sqlite: '', postgres: '' }, tables: ['acme_things'] }] },
  ]);
  assert.deepEqual(defaultMigrations().map((s) => s.name), ['core', 'acme']);
  assert.deepEqual(defaultMigrations()[1].migrations.map((m) => m.name), ['000_base_acme']);
});
