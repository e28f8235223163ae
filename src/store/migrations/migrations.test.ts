import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { ENTITY_ORDER } from '../../entities/index.ts';
import { entityTableNames } from '../sql/ddl.ts';
import { base000 } from './core-000-base.ts';
import { DEFAULT_MIGRATIONS, migrationRegistry } from './registry.ts';
import { MigrationError, type MigrationSubsystem } from './types.ts';

test('000_base is frozen: changing storage-relevant entity metadata needs a new migration', () => {
  // If this fails you changed what 000_base creates (a unique field, a foreign key, a cache key, a ttl, tags,
  // a new collection in BASE_ENTITIES...). Databases bootstrapped before would never see the change: keep
  // 000_base as it was and add a migration (001_...) that alters the tables, then update these hashes.
  const up = base000.up as { sqlite: string; postgres: string };
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  assert.equal(sha(up.sqlite), 'ec9b01c1a69776c7899abf6ee25b9bfe9dcdeda2a9f77e5f1212c321be9a04e2');
  assert.equal(sha(up.postgres), '514b68d0fc0733c0177d4334be0d041c89255a56627ecb1e5b8a3f78581355c7');
});

test('every collection has its tables created by some migration', () => {
  const created = new Set(DEFAULT_MIGRATIONS.flatMap((s) => s.migrations.flatMap((m) => m.tables)));
  for (const table of entityTableNames(ENTITY_ORDER)) assert.ok(created.has(table), `no migration creates '${table}'`);
  assert.ok(created.has('tollgate_config_version'));
});

test('the registry runs core first and refuses malformed or duplicate names', () => {
  const table = (name: string, tables: string[] = []): MigrationSubsystem['migrations'][number] => ({
    name,
    up: { sqlite: '', postgres: '' },
    tables,
  });
  const ok = migrationRegistry([{ name: 'plugin:acme', migrations: [table('000_base', ['acme_things'])] }]);
  assert.deepEqual(ok.map((s) => s.name), ['core', 'plugin:acme']);
  const refused = (subsystems: MigrationSubsystem[], pattern: RegExp) =>
    assert.throws(() => migrationRegistry(subsystems), (e: unknown) => e instanceof MigrationError && e.code === 'invalid_registry' && pattern.test(e.message));
  refused([{ name: 'acme', migrations: [] }], /must be named 'plugin:<plugin name>'/);
  refused([{ name: 'plugin:a', migrations: [] }, { name: 'plugin:a', migrations: [] }], /registered twice/);
  refused([{ name: 'plugin:a', migrations: [table('base')] }], /needs a unique name like '001_add_things'/);
  refused([{ name: 'plugin:a', migrations: [table('000_x'), table('000_x')] }], /plugin:a:000_x/);
  refused([{ name: 'plugin:a', migrations: [table('000_x', ['services'])] }], /table 'services' is created by both core:000_base and plugin:a:000_x/);
});
