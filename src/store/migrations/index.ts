/**
 * The migration commands behind `tollgate migrations bootstrap | up | finish | list | reset`, on an
 * open store or straight on a database (a store refuses to open on a PostgreSQL database that is not
 * bootstrapped, so the commands must work without one).
 */
import { checkConnection, ensureSchema, openPostgresDriver } from '../postgres/driver.ts';
import { openSqliteDriver } from '../sqlite/driver.ts';
import type { SqlDriver } from '../sql/driver.ts';
import { SqlStore } from '../sql/sql-store.ts';
import type { PostgresSettings, Store } from '../types.ts';
import { defaultMigrations } from './registry.ts';
import { readMigrationState, runBootstrap, runFinish, runReset, runUp } from './runner.ts';
import type { MigrationRegistry, MigrationState } from './types.ts';

export { CORE_MIGRATIONS, defaultMigrations, migrationRegistry, pluginMigrations } from './registry.ts';
export { BASE_ENTITIES } from './core-000-base.ts';
export { SCHEMA_META_TABLE } from './runner.ts';
export { MigrationError } from './types.ts';
export type {
  Migration,
  MigrationDialect,
  MigrationErrorCode,
  MigrationPart,
  MigrationRegistry,
  MigrationState,
  MigrationSubsystem,
} from './types.ts';

/** Where migrations run: an open store, a SQLite file, or a PostgreSQL database. */
export type MigrationTarget = Store | { sqlite: string } | { postgres: PostgresSettings };

async function withDriver<T>(target: MigrationTarget, fn: (driver: SqlDriver) => Promise<T>): Promise<T> {
  if (target instanceof SqlStore) return fn(target.driver);
  let driver: SqlDriver;
  if ('sqlite' in target) {
    driver = openSqliteDriver(target.sqlite);
  } else if ('postgres' in target) {
    const postgres = openPostgresDriver(target.postgres);
    driver = postgres;
    try {
      await checkConnection(postgres);
    } catch (error) {
      await driver.close();
      throw error;
    }
  } else {
    throw new TypeError('migrations: the target must be a store opened by openSqliteStore/openPostgresStore, {sqlite: path} or {postgres: settings}');
  }
  try {
    return await fn(driver);
  } finally {
    await driver.close();
  }
}

/** What `tollgate migrations list` shows: bootstrapped or not, executed, pending, awaiting finish. */
export function migrationState(target: MigrationTarget, registry: MigrationRegistry = defaultMigrations()): Promise<MigrationState> {
  return withDriver(target, (driver) => readMigrationState(driver, registry));
}

/** Creates the schema on an empty database; MigrationError `already_bootstrapped` otherwise. */
export function bootstrap(target: MigrationTarget, registry: MigrationRegistry = defaultMigrations()): Promise<MigrationState> {
  return withDriver(target, async (driver) => {
    await ensureSchema(driver);
    return runBootstrap(driver, registry);
  });
}

/** Runs pending migrations (their `up` parts); returns their names. */
export function up(target: MigrationTarget, registry: MigrationRegistry = defaultMigrations()): Promise<string[]> {
  return withDriver(target, (driver) => runUp(driver, registry));
}

/** Runs the teardowns waiting since `up`; returns the names of the migrations finished. */
export function finish(target: MigrationTarget, registry: MigrationRegistry = defaultMigrations()): Promise<string[]> {
  return withDriver(target, (driver) => runFinish(driver, registry));
}

/** Drops Tollgate's tables (only those) and the migration records; false when there was nothing. */
export function reset(target: MigrationTarget, registry: MigrationRegistry = defaultMigrations()): Promise<boolean> {
  return withDriver(target, (driver) => runReset(driver, registry));
}
