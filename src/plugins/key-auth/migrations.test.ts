/**
 * key-auth's own migration (`key-auth:000_base_key_auth`) on SQLite and PostgreSQL: run by `bootstrap` on a
 * fresh database, and by `up` on a database an earlier Tollgate bootstrapped with the table in `core:000_base`
 * (whose rows it keeps). Its SQL creates exactly what the store derives from `daos.ts`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerPlugins } from '../../entities/index.ts';
import { bootstrap, migrationRegistry, migrationState, MigrationError, up } from '../../store/index.ts';
import { assertCreatesLayout, describeOnEachDatabase } from '../../../test/support/plugin-migrations.ts';
import { enabledPlugins } from '../index.ts';
import { baseKeyAuth000 } from './migrations/000-base-key-auth.ts';

registerPlugins(enabledPlugins(['key-auth']));

const withoutIfNotExists = (sql: string): string => sql.replaceAll(' IF NOT EXISTS', '');

test('000_base_key_auth creates what the store layout of keyauth_credentials expects, on both dialects', () => {
  assertCreatesLayout(baseKeyAuth000, ['keyauth_credentials']);
  assert.deepEqual(baseKeyAuth000.tables, ['keyauth_credentials', 'keyauth_credentials_tags']);
});

const CORE = ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys', 'core:006_consumer_groups'];

describeOnEachDatabase('key-auth:000_base_key_auth', (harness, dialect) => {
  test('a fresh database: bootstrap runs and lists it after core, and credentials are stored', async () => {
    const db = await harness().emptyDatabase();
    const state = await bootstrap(db.target);
    assert.deepEqual(state.executed, [...CORE, 'key-auth:000_base_key_auth']);
    assert.deepEqual((await migrationState(db.target)).pending, []);
    assert.ok(await db.tableExists('keyauth_credentials_tags'));
    const store = await db.open();
    const owner = await store.insert('consumers', { id: '00000000-0000-4000-8000-000000000001', username: 'ann', custom_id: null, created_at: 1, updated_at: 1, tags: null, type: 0 });
    await store.insert('keyauth_credentials', { id: '00000000-0000-4000-8000-000000000002', created_at: 1, consumer: { id: owner.id }, key: 'k-1', tags: ['t'] });
    assert.equal((await store.getBy('keyauth_credentials', 'key', 'k-1'))?.id, '00000000-0000-4000-8000-000000000002');
    await store.delete('consumers', owner.id);
    assert.equal(await store.getBy('keyauth_credentials', 'key', 'k-1'), null, 'the consumer cascade holds');
  });

  test('a database bootstrapped when core:000_base had the table: pending, then `up` adopts it and keeps its rows', async () => {
    const db = await harness().emptyDatabase();
    // What an earlier Tollgate left: core's migrations recorded, and the key-auth tables from its 000_base.
    await bootstrap(db.target, migrationRegistry());
    await db.exec(withoutIfNotExists(baseKeyAuth000.up[dialect]));
    const before = await db.open(migrationRegistry());
    await before.insert('consumers', { id: '00000000-0000-4000-8000-000000000011', username: 'bob', custom_id: null, created_at: 1, updated_at: 1, tags: null, type: 0 });
    await before.insert('keyauth_credentials', { id: '00000000-0000-4000-8000-000000000012', created_at: 1, consumer: { id: '00000000-0000-4000-8000-000000000011' }, key: 'old-key', tags: null });

    const state = await migrationState(db.target);
    assert.deepEqual(state.executed, CORE);
    assert.deepEqual(state.pending, ['key-auth:000_base_key_auth']);
    await assert.rejects(db.open(), (e: unknown) => e instanceof MigrationError && e.code === 'pending_migrations' && /key-auth:000_base_key_auth/.test(e.message));
    assert.deepEqual(await up(db.target), ['key-auth:000_base_key_auth']);
    assert.deepEqual((await migrationState(db.target)).executed, [...CORE, 'key-auth:000_base_key_auth']);
    const store = await db.open();
    assert.equal((await store.getBy('keyauth_credentials', 'key', 'old-key'))?.id, '00000000-0000-4000-8000-000000000012');
  });
});
