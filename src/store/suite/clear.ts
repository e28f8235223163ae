/** Empties every entity table of a store (test helper: one database serves all cases). */
import { BASE_ENTITIES } from '../migrations/core-000-base.ts';
import { entityTableNames } from '../sql/ddl.ts';
import { ident } from '../sql/layout.ts';
import { SqlStore } from '../sql/sql-store.ts';
import type { Store } from '../types.ts';

const DELETE_ALL = entityTableNames(BASE_ENTITIES)
  .reverse()
  .map((table) => `DELETE FROM ${ident(table)};`)
  .join('\n');

export async function clearEntities(store: Store): Promise<void> {
  if (!(store instanceof SqlStore)) throw new Error('clearEntities: not an SQL store');
  await store.driver.transaction((session) => session.exec(DELETE_ALL));
}
