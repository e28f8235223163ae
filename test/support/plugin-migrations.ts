/**
 * Checks shared by the tests of plugins that own tables: a migration's SQL against the layout the store
 * derives from the plugin's entities, and a suite run once per database the store supports.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { PluginMigration } from '../../src/schema/index.ts';
import { entityTableDdl } from '../../src/store/sql/ddl.ts';
import { layoutOf } from '../../src/store/sql/layout.ts';
import type { StoreHarness } from '../../src/store/suite/harness.ts';
import { postgresHarness, postgresSkipReason } from '../../src/store/suite/postgres-harness.ts';
import { sqliteHarness } from '../../src/store/suite/sqlite-harness.ts';

/**
 * The migration creates exactly the tables and indexes the store expects for `entities` (in that order), on
 * both dialects; every statement is `IF NOT EXISTS`, so it is harmless where the tables already exist.
 */
export function assertCreatesLayout(migration: PluginMigration, entities: readonly string[]): void {
  for (const kind of ['sqlite', 'postgres'] as const) {
    const sql = migration.up[kind];
    const expected = `${entities.flatMap((e) => entityTableDdl(kind, layoutOf(e))).join(';\n')};`;
    assert.equal(sql.replaceAll(' IF NOT EXISTS', ''), expected, kind);
    assert.equal(sql.match(/CREATE (TABLE|INDEX) (?!IF NOT EXISTS)/), null, `${kind}: every statement is IF NOT EXISTS`);
  }
}

/**
 * `body` as a suite `${title} on SQLite` and again on PostgreSQL (skipped where there is none); `harness()` is
 * that database's harness, opened before the suite's tests and closed after them, and `dialect` its SQL.
 */
export function describeOnEachDatabase(title: string, body: (harness: () => StoreHarness, dialect: 'sqlite' | 'postgres') => void): void {
  for (const [kind, dialect, factory, skip] of [
    ['SQLite', 'sqlite', sqliteHarness, null],
    ['PostgreSQL', 'postgres', postgresHarness, postgresSkipReason()],
  ] as const) {
    describe(`${title} on ${kind}`, { skip: skip ?? false }, () => {
      let opened: StoreHarness | undefined;
      before(async () => {
        opened = await factory();
      });
      after(() => opened?.close());
      body(() => {
        assert.ok(opened !== undefined, 'the harness opens before the tests');
        return opened;
      }, dialect);
    });
  }
}
