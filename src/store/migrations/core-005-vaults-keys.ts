/**
 * `core:005_vaults_keys`: the tables of vaults, key sets and keys (Kong 3.x's newer core entities),
 * generated from the entity metadata like 000_base. `migrations.test.ts` pins the generated SQL: a later
 * change to these entities' storage needs a migration of its own.
 */
import type { EntityName } from '../../entities/index.ts';
import { entityTableDdl, entityTableNames, script, type SqlKind } from '../sql/ddl.ts';
import { layoutOf } from '../sql/layout.ts';
import type { Migration } from './types.ts';

/** Collections created by 005, referenced ones first. */
export const VAULTS_KEYS_ENTITIES: readonly EntityName[] = ['vaults', 'key_sets', 'keys'];

function vaultsKeysSql(kind: SqlKind): string {
  return script(VAULTS_KEYS_ENTITIES.flatMap((entity) => entityTableDdl(kind, layoutOf(entity))));
}

export const vaultsKeys005: Migration = {
  name: '005_vaults_keys',
  up: { sqlite: vaultsKeysSql('sqlite'), postgres: vaultsKeysSql('postgres') },
  tables: entityTableNames(VAULTS_KEYS_ENTITIES),
};
