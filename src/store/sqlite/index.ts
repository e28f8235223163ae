/** The embedded store: one SQLite file, created and bootstrapped on first open. */
import { readMigrationState, runBootstrap } from '../migrations/runner.ts';
import { assertSchemaReady } from '../migrations/readiness.ts';
import { defaultMigrations } from '../migrations/registry.ts';
import type { MigrationRegistry } from '../migrations/types.ts';
import { createSqlStore } from '../sql/sql-store.ts';
import type { Store } from '../types.ts';
import { openSqliteDriver } from './driver.ts';

export interface StoreOpenOptions {
  /** Migrations the schema must have run (default: core, then those of the registered plugins). */
  migrations?: MigrationRegistry;
}

/**
 * Opens the SQLite store at `path` (`:memory:` for a private in-memory one). A new or empty file is
 * bootstrapped at once; a file whose schema is behind is refused with the command that updates it.
 */
export async function openSqliteStore(path: string, options: StoreOpenOptions = {}): Promise<Store> {
  const registry = options.migrations ?? defaultMigrations();
  const driver = openSqliteDriver(path);
  try {
    let state = await readMigrationState(driver, registry);
    if (!state.bootstrapped) state = await runBootstrap(driver, registry);
    assertSchemaReady(state, `the SQLite database '${path}'`);
    return await createSqlStore(driver);
  } catch (error) {
    await driver.close();
    throw error;
  }
}
