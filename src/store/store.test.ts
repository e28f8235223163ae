/**
 * Runs the shared store suite on SQLite (a temporary file) and on PostgreSQL (a fresh database). The
 * PostgreSQL run is skipped only when TOLLGATE_TEST_PG=off; an unreachable server otherwise fails it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MigrationError } from './migrations/index.ts';
import { openPostgresStore } from './postgres/index.ts';
import { storeSuite } from './store-suite.ts';
import { postgresHarness, postgresSkipReason, testSettings } from './suite/postgres-harness.ts';
import { sqliteHarness } from './suite/sqlite-harness.ts';
import { registerPlugins } from '../entities/index.ts';
import { BUNDLED_PLUGINS } from '../plugins/index.ts';

// Credentials (cascades, ttl, cache-key lookups) are exercised with a plugin's entity, as a node gets them.
registerPlugins(BUNDLED_PLUGINS);

storeSuite('store on SQLite', sqliteHarness);

storeSuite('store on PostgreSQL', postgresHarness, { skip: postgresSkipReason() });

test('openPostgresStore names the server and the settings to check when it cannot connect', { skip: postgresSkipReason() ?? false }, async () => {
  const settings = { ...testSettings('tollgate_nowhere'), port: 1 };
  await assert.rejects(openPostgresStore(settings), (error: Error) => {
    assert.ok(!(error instanceof MigrationError));
    assert.match(error.message, /^cannot connect to PostgreSQL database 'tollgate_nowhere' at 127\.0\.0\.1:1 \(user '\w+'\): /);
    assert.match(error.message, /check pg_host, pg_port, pg_user, pg_password and pg_database/);
    return true;
  });
});
