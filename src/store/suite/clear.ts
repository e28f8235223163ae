/** Empties every entity table of a store (test helper: one database serves all cases). */
import { ENTITY_ORDER } from '../../entities/index.ts';
import { entityTableNames } from '../sql/ddl.ts';
import { ident } from '../sql/layout.ts';
import { SqlStore } from '../sql/sql-store.ts';
import type { Store } from '../types.ts';

export async function clearEntities(store: Store): Promise<void> {
  if (!(store instanceof SqlStore)) throw new Error('clearEntities: not an SQL store');
  const deleteAll = entityTableNames(ENTITY_ORDER)
    .reverse()
    .map((table) => `DELETE FROM ${ident(table)};`)
    .join('\n');
  await store.driver.transaction((session) => session.exec(deleteAll));
}
