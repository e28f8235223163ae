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
import { consumer } from './fixtures.ts';
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
        pending: ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys'],
        awaitingFinish: [],
      });
      if (harness().kind === 'postgres') {
        const refusal = await migrationError(db.open(CORE), 'not_bootstrapped');
        assert.match(refusal.message, /PostgreSQL database 'tollgate_store_test_\w+' at .* has no Tollgate schema yet/);
        assert.match(refusal.message, /run `tollgate migrations bootstrap`/);
        assert.equal(await db.tableExists('services'), false, 'opening never creates tables on PostgreSQL');
        const state = await bootstrap(db.target, CORE);
        assert.deepEqual(state.executed, ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys']);
      } else {
        await (await db.open(CORE)).close(); // a new SQLite file is bootstrapped on open
      }
      assert.deepEqual(await migrationState(db.target, CORE), {
        bootstrapped: true,
        executed: ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys'],
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
        executed: ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys'],
        pending: [],
        awaitingFinish: ['things:000_base'],
      });
      assert.deepEqual(log, [], 'up leaves teardowns to finish');
      assert.equal(await db.tableExists('things'), true);
      await (await db.open(registry)).close(); // a pending teardown does not stop a store
      assert.deepEqual(await up(db.target, registry), []);

      assert.deepEqual(await finish(db.target, registry), ['things:000_base']);
      assert.deepEqual(log, ['teardown']);
      assert.deepEqual((await migrationState(db.target, registry)).executed, ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys', 'things:000_base']);
      assert.deepEqual(await finish(db.target, registry), []);
      // Migrations this node does not know (a newer node's, a disabled plugin's) still count as run.
      assert.deepEqual((await migrationState(db.target, CORE)).executed, ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys', 'things:000_base']);
    } finally {
      await db.drop();
    }
  });

  it('a database bootstrapped before the audit log is behind by core:001 to 003; up creates their tables', async () => {
    const db = await harness().emptyDatabase();
    try {
      await bootstrap(db.target, [{ name: 'core', migrations: [base000] }]);
      assert.deepEqual((await migrationState(db.target, CORE)).pending, ['core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys']);
      assert.equal(await db.tableExists('tollgate_audit_log'), false);
      await migrationError(db.open(CORE), 'pending_migrations');
      assert.deepEqual(await up(db.target, CORE), ['core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys']);
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

  it('reset drops the store\'s tables and records, and nothing else; bootstrap works again', async () => {
    const db = await harness().emptyDatabase();
    try {
      const log: string[] = [];
      const registry = migrationRegistry([thingsMigrations(log)]);
      const state = await bootstrap(db.target, registry);
      assert.deepEqual(state.executed, ['core:000_base', 'core:001_audit_log', 'core:002_clustering_data_planes', 'core:003_clustering_telemetry', 'core:004_audit_log_bounds', 'core:005_vaults_keys', 'things:000_base']);
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
