/**
 * Runs migrations on a driver and records them in `tollgate_schema_meta` (one row per executed
 * migration: subsystem, name, state, time). Every step runs in a migration transaction, which on
 * PostgreSQL also holds an advisory lock, so nodes starting together never run a migration twice.
 */
import type { SqlDriver, SqlSession } from '../sql/driver.ts';
import { ident } from '../sql/layout.ts';
import { MigrationError, type Migration, type MigrationPart, type MigrationRegistry, type MigrationState } from './types.ts';

export const SCHEMA_META_TABLE = 'tollgate_schema_meta';

/** `executed`: done; `teardown_pending`: up ran, finish has not. */
type RecordedState = 'executed' | 'teardown_pending';

const META = ident(SCHEMA_META_TABLE);

function metaDdl(driver: SqlDriver): string {
  const bigint = driver.kind === 'postgres' ? 'BIGINT' : 'INTEGER';
  return (
    `CREATE TABLE ${META} (${ident('subsystem')} TEXT NOT NULL, ${ident('name')} TEXT NOT NULL, ` +
    `${ident('state')} TEXT NOT NULL, ${ident('executed_at')} ${bigint} NOT NULL, ` +
    `PRIMARY KEY (${ident('subsystem')}, ${ident('name')}))`
  );
}

function key(subsystem: string, name: string): string {
  return `${subsystem}:${name}`;
}

/** The recorded migrations (`subsystem:name` -> state), or null when the meta table does not exist. */
async function readRecords(driver: SqlDriver, session: SqlSession): Promise<Map<string, RecordedState> | null> {
  const exists = await session.query(driver.dialect.tableExistsSql, [SCHEMA_META_TABLE]);
  if (exists.length === 0) return null;
  const rows = await session.query(
    `SELECT ${ident('subsystem')}, ${ident('name')}, ${ident('state')} FROM ${META} ORDER BY ${ident('executed_at')}, ${ident('name')}`,
  );
  return new Map(rows.map((row) => [key(String(row.subsystem), String(row.name)), row.state as RecordedState]));
}

function stateOf(records: Map<string, RecordedState> | null, registry: MigrationRegistry): MigrationState {
  const known = new Set<string>();
  const state: MigrationState = { bootstrapped: false, executed: [], pending: [], awaitingFinish: [] };
  for (const subsystem of registry) {
    for (const migration of subsystem.migrations) {
      const name = key(subsystem.name, migration.name);
      known.add(name);
      const recorded = records?.get(name);
      if (recorded === 'executed') state.executed.push(name);
      else if (recorded === 'teardown_pending') state.awaitingFinish.push(name);
      else state.pending.push(name);
    }
  }
  // Migrations of a newer Tollgate (or of a plugin not enabled here) still count as executed.
  for (const [name, recorded] of records ?? []) {
    if (known.has(name)) continue;
    if (recorded === 'executed') state.executed.push(name);
    else state.awaitingFinish.push(name);
  }
  state.bootstrapped = [...(records?.keys() ?? [])].some((name) => name.startsWith('core:'));
  return state;
}

async function runPart(driver: SqlDriver, session: SqlSession, part: MigrationPart): Promise<void> {
  if (typeof part === 'function') await part(session, driver.kind);
  else await session.exec(part[driver.kind]);
}

async function record(session: SqlSession, subsystem: string, name: string, state: RecordedState): Promise<void> {
  await session.execute(`DELETE FROM ${META} WHERE ${ident('subsystem')} = ? AND ${ident('name')} = ?`, [subsystem, name]);
  await session.execute(
    `INSERT INTO ${META} (${ident('subsystem')}, ${ident('name')}, ${ident('state')}, ${ident('executed_at')}) VALUES (?, ?, ?, ?)`,
    [subsystem, name, state, Date.now()],
  );
}

export async function readMigrationState(driver: SqlDriver, registry: MigrationRegistry): Promise<MigrationState> {
  return stateOf(await driver.read((s) => readRecords(driver, s)), registry);
}

/**
 * Creates everything on an empty database: every migration's up and teardown, in one transaction.
 * Fails (`already_bootstrapped`) when the database already has Tollgate's schema.
 */
export async function runBootstrap(driver: SqlDriver, registry: MigrationRegistry): Promise<MigrationState> {
  return driver.migrationTransaction(async (session) => {
    const records = await readRecords(driver, session);
    if (stateOf(records, registry).bootstrapped) {
      throw new MigrationError(
        'already_bootstrapped',
        'the database is already bootstrapped; run `tollgate migrations up` for new migrations, or `tollgate migrations reset` to start over',
      );
    }
    if (records === null) await session.exec(metaDdl(driver));
    for (const subsystem of registry) {
      for (const migration of subsystem.migrations) {
        await runPart(driver, session, migration.up);
        if (migration.teardown) await runPart(driver, session, migration.teardown);
        await record(session, subsystem.name, migration.name, 'executed');
      }
    }
    return stateOf(await readRecords(driver, session), registry);
  });
}

function requireBootstrapped(state: MigrationState): void {
  if (!state.bootstrapped) {
    throw new MigrationError('not_bootstrapped', 'the database is not bootstrapped; run `tollgate migrations bootstrap` first');
  }
}

/** Runs the `up` part of every pending migration, one transaction each; returns what ran. */
export async function runUp(driver: SqlDriver, registry: MigrationRegistry): Promise<string[]> {
  requireBootstrapped(await readMigrationState(driver, registry));
  const ran: string[] = [];
  for (const subsystem of registry) {
    for (const migration of subsystem.migrations) {
      const name = key(subsystem.name, migration.name);
      const done = await driver.migrationTransaction(async (session) => {
        // Another node may have run it since we looked.
        if ((await readRecords(driver, session))?.has(name)) return false;
        await runPart(driver, session, migration.up);
        await record(session, subsystem.name, migration.name, migration.teardown ? 'teardown_pending' : 'executed');
        return true;
      });
      if (done) ran.push(name);
    }
  }
  return ran;
}

/** Runs the teardown of every migration whose `up` ran but whose teardown did not; returns what ran. */
export async function runFinish(driver: SqlDriver, registry: MigrationRegistry): Promise<string[]> {
  requireBootstrapped(await readMigrationState(driver, registry));
  const ran: string[] = [];
  for (const subsystem of registry) {
    for (const migration of subsystem.migrations) {
      const name = key(subsystem.name, migration.name);
      const done = await driver.migrationTransaction(async (session) => {
        if ((await readRecords(driver, session))?.get(name) !== 'teardown_pending') return false;
        if (migration.teardown) await runPart(driver, session, migration.teardown);
        await record(session, subsystem.name, migration.name, 'executed');
        return true;
      });
      if (done) ran.push(name);
    }
  }
  return ran;
}

function registryTables(registry: MigrationRegistry): string[] {
  return registry.flatMap((subsystem) => subsystem.migrations.flatMap((migration: Migration) => migration.tables));
}

/**
 * Drops every table the registry's migrations create (dependants first) and the migration records;
 * other tables in the database are left alone. Returns whether there was a schema to drop.
 */
export async function runReset(driver: SqlDriver, registry: MigrationRegistry): Promise<boolean> {
  return driver.migrationTransaction(async (session) => {
    const records = await readRecords(driver, session);
    const cascade = driver.kind === 'postgres' ? ' CASCADE' : '';
    for (const table of registryTables(registry).reverse()) {
      await session.exec(`DROP TABLE IF EXISTS ${ident(table)}${cascade}`);
    }
    if (records !== null) await session.exec(`DROP TABLE ${META}`);
    return records !== null && records.size > 0;
  });
}
