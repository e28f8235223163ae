/** Store suite: migrations (state, bootstrap, up, finish, reset) and opening a store on each state. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  bootstrap,
  finish,
  MigrationError,
  migrationRegistry,
  migrationState,
  reset,
  up,
  type MigrationSubsystem,
} from '../migrations/index.ts';
import { base000 } from '../migrations/core-000-base.ts';
import { CORE_MIGRATIONS } from '../migrations/registry.ts';
import { storeError } from './crud-cases.ts';
import { consumer, entity, plugin, ref } from './fixtures.ts';
import type { StoreHarness } from './harness.ts';

async function migrationError(promise: Promise<unknown>, code: MigrationError['code']): Promise<MigrationError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof MigrationError, `expected MigrationError '${code}', got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

/** A plugin's migrations: a table of its own, and a teardown that leaves a trace. */
function thingsMigrations(log: string[]): MigrationSubsystem {
  const create = 'CREATE TABLE "things" ("id" TEXT PRIMARY KEY)';
  return {
    name: 'things',
    migrations: [
      {
        name: '000_base',
        up: { sqlite: create, postgres: create },
        teardown: async (session) => {
          log.push('teardown');
          await session.execute('INSERT INTO "things" ("id") VALUES (?)', ['torn-down']);
        },
        tables: ['things'],
      },
    ],
  };
}

/** Core's migrations only: plugins registered in the process (key-auth's) are covered by their own tests. */
const CORE = migrationRegistry();

export function migrationCases(harness: () => StoreHarness): void {
  it('an empty database is not bootstrapped; bootstrap creates everything, once', async () => {
    const db = await harness().emptyDatabase();
    try {
      assert.deepEqual(await migrationState(db.target, CORE), {
        bootstrapped: false,
        executed: [],
        pending: ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys', 'core:006_consumer_groups'],
        awaitingFinish: [],
      });
      if (harness().kind === 'postgres') {
        const refusal = await migrationError(db.open(CORE), 'not_bootstrapped');
        assert.match(refusal.message, /PostgreSQL database 'tollgate_store_test_\w+' at .* has no Tollgate schema yet/);
        assert.match(refusal.message, /run `tollgate migrations bootstrap`/);
        assert.equal(await db.tableExists('services'), false, 'opening never creates tables on PostgreSQL');
        const state = await bootstrap(db.target, CORE);
        assert.deepEqual(state.executed, ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys', 'core:006_consumer_groups']);
      } else {
        await (await db.open(CORE)).close(); // a new SQLite file is bootstrapped on open
      }
      assert.deepEqual(await migrationState(db.target, CORE), {
        bootstrapped: true,
        executed: ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys', 'core:006_consumer_groups'],
        pending: [],
        awaitingFinish: [],
      });
      const again = await migrationError(bootstrap(db.target, CORE), 'already_bootstrapped');
      assert.match(again.message, /tollgate migrations up/);
      const store = await db.open(CORE);
      try {
        assert.equal(await store.configVersion(), 0);
        await store.insert('consumers', consumer('first'));
        assert.equal(await store.configVersion(), 1);
        assert.equal((await migrationState(store, CORE)).bootstrapped, true, 'migrations also run through an open store');
      } finally {
        await store.close();
      }
    } finally {
      await db.drop();
    }
  });

  it('new migrations: a store refuses a schema that is behind; up runs them, finish their teardowns', async () => {
    const db = await harness().emptyDatabase();
    try {
      await bootstrap(db.target, CORE);
      const log: string[] = [];
      const registry = migrationRegistry([thingsMigrations(log)]);
      assert.deepEqual((await migrationState(db.target, registry)).pending, ['things:000_base']);
      const behind = await migrationError(db.open(registry), 'pending_migrations');
      assert.match(behind.message, /1 migration behind \(things:000_base\); run `tollgate migrations up`/);

      assert.deepEqual(await up(db.target, registry), ['things:000_base']);
      assert.deepEqual(await migrationState(db.target, registry), {
        bootstrapped: true,
        executed: ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys', 'core:006_consumer_groups'],
        pending: [],
        awaitingFinish: ['things:000_base'],
      });
      assert.deepEqual(log, [], 'up leaves teardowns to finish');
      assert.equal(await db.tableExists('things'), true);
      await (await db.open(registry)).close(); // a pending teardown does not stop a store
      assert.deepEqual(await up(db.target, registry), []);

      assert.deepEqual(await finish(db.target, registry), ['things:000_base']);
      assert.deepEqual(log, ['teardown']);
      assert.deepEqual((await migrationState(db.target, registry)).executed, ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys', 'core:006_consumer_groups', 'things:000_base']);
      assert.deepEqual(await finish(db.target, registry), []);
      // Migrations this node does not know (a newer node's, a disabled plugin's) still count as run.
      assert.deepEqual((await migrationState(db.target, CORE)).executed, ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys', 'core:006_consumer_groups', 'things:000_base']);
    } finally {
      await db.drop();
    }
  });

  it('a database bootstrapped before the audit log is behind by core:001 to 003; up creates their tables', async () => {
    const db = await harness().emptyDatabase();
    try {
      await bootstrap(db.target, [{ name: 'core', migrations: [base000] }]);
      assert.deepEqual((await migrationState(db.target, CORE)).pending, ['core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys', 'core:006_consumer_groups']);
      assert.equal(await db.tableExists('tollgate_audit_log'), false);
      await migrationError(db.open(CORE), 'pending_migrations');
      assert.deepEqual(await up(db.target, CORE), ['core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys', 'core:006_consumer_groups']);
      assert.equal(await db.tableExists('tollgate_audit_log'), true);
      assert.equal(await db.tableExists('tollgate_clustering_data_planes'), true);
      assert.equal(await db.tableExists('tollgate_clustering_telemetry'), true);
      assert.equal(await db.tableExists('keys'), true);
      const store = await db.open(CORE);
      await store.close();
    } finally {
      await db.drop();
    }
  });

  it('core:006 adds consumer groups to a database with plugins: old plugins read with a null group and keep colliding', async () => {
    const db = await harness().emptyDatabase();
    try {
      const through005 = [{ name: 'core', migrations: CORE_MIGRATIONS.migrations.filter((m) => m.name !== '006_consumer_groups') }];
      await bootstrap(db.target, through005);
      // A plugin row as a node without consumer groups wrote it.
      const { consumer_group: _dropped, ...old } = plugin({}, { config: {} });
      const text = (value: string) => `'${value.replaceAll("'", "''")}'`;
      await db.exec(
        `INSERT INTO "plugins" ("id", "entity", "instance_name", "route_id", "service_id", "consumer_id", "cache_key") ` +
          `VALUES (${text(old.id)}, ${text(JSON.stringify(old))}, NULL, NULL, NULL, NULL, ${text(JSON.stringify(['greeter', null, null, null]))})`,
      );
      assert.deepEqual(await up(db.target, CORE), ['core:006_consumer_groups']);
      const store = await db.open(CORE);
      try {
        assert.deepEqual(await store.get('plugins', old.id), { ...old, consumer_group: null });
        const key = { name: 'greeter', route: null, service: null, consumer: null, consumer_group: null };
        assert.equal((await store.getByCacheKey('plugins', key))?.id, old.id);
        await storeError(store.insert('plugins', plugin({}, { config: {} })), 'unique');

        const group = await store.insert('consumer_groups', entity('consumer_groups', { name: 'gold' }));
        const scoped = await store.insert('plugins', plugin({}, { config: {}, consumer_group: ref(group) }));
        const member = await store.insert('consumers', consumer('ann'));
        await store.insert('consumer_group_consumers', entity('consumer_group_consumers', { consumer_group: ref(group), consumer: ref(member) }));
        await storeError(store.insert('consumer_group_consumers', entity('consumer_group_consumers', { consumer_group: ref(group), consumer: ref(member) })), 'unique');
        assert.equal((await store.list('consumer_group_consumers', { size: 10, foreign: { field: 'consumer', id: member.id } })).data.length, 1);
        await store.delete('consumer_groups', group.id);
        assert.equal(await store.get('plugins', scoped.id), null, 'a group takes its plugins along');
        assert.equal((await store.list('consumer_group_consumers', { size: 10 })).data.length, 0, 'and its memberships');
        assert.notEqual(await store.get('plugins', old.id), null);
      } finally {
        await store.close();
      }
    } finally {
      await db.drop();
    }
  });

  it('reset drops the store\'s tables and records, and nothing else; bootstrap works again', async () => {
    const db = await harness().emptyDatabase();
    try {
      const log: string[] = [];
      const registry = migrationRegistry([thingsMigrations(log)]);
      const state = await bootstrap(db.target, registry);
      assert.deepEqual(state.executed, ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys', 'core:006_consumer_groups', 'things:000_base']);
      assert.deepEqual(log, ['teardown'], 'bootstrap runs teardowns at once');
      await db.exec('CREATE TABLE "not_ours" ("x" INTEGER)');

      assert.equal(await reset(db.target, registry), true);
      for (const table of ['services', 'routes_tags', 'tollgate_audit_log', 'vaults', 'keys_tags', 'things', 'tollgate_config_version', 'tollgate_schema_meta']) {
        assert.equal(await db.tableExists(table), false, `${table} is dropped`);
      }
      assert.equal(await db.tableExists('not_ours'), true, 'tables that are not ours stay');
      assert.equal((await migrationState(db.target, registry)).bootstrapped, false);
      assert.equal(await reset(db.target, registry), false, 'nothing left to reset');

      await bootstrap(db.target, CORE);
      const store = await db.open(CORE);
      await store.close();
    } finally {
      await db.drop();
    }
  });
}
