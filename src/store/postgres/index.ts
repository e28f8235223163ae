/** The shared store: a PostgreSQL database that several nodes may use at once. */
import { readMigrationState } from '../migrations/runner.ts';
import { assertSchemaReady } from '../migrations/readiness.ts';
import { defaultMigrations } from '../migrations/registry.ts';
import type { MigrationRegistry } from '../migrations/types.ts';
import { createSqlStore } from '../sql/sql-store.ts';
import type { PostgresSettings, Store } from '../types.ts';
import { checkConnection, describeServer, openPostgresDriver } from './driver.ts';

export interface StoreOpenOptions {
  /** Migrations the schema must have run (default: core only); plugins with tables add theirs. */
  migrations?: MigrationRegistry;
}

/**
 * Opens the store on the PostgreSQL database in `settings`. It never changes the schema: an empty
 * database is refused with "run `tollgate migrations bootstrap`", one that is behind with
 * "run `tollgate migrations up`" (both MigrationError); an unreachable server with what to check.
 */
export async function openPostgresStore(settings: PostgresSettings, options: StoreOpenOptions = {}): Promise<Store> {
  const driver = openPostgresDriver(settings);
  try {
    await checkConnection(driver);
    assertSchemaReady(await readMigrationState(driver, options.migrations ?? defaultMigrations()), describeServer(settings));
    return await createSqlStore(driver);
  } catch (error) {
    await driver.close();
    throw error;
  }
}
