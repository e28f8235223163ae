/**
 * `core:006_consumer_groups`: the tables of consumer groups and their memberships, and the plugins'
 * `consumer_group` scope: a new foreign-key column, and the composite cache key of existing plugin rows
 * extended with that (null) field, so they keep colliding with a new plugin of the same scope. Existing
 * plugin documents get `"consumer_group": null` appended, as a new plugin has it. `migrations.test.ts`
 * pins the generated SQL.
 */
import type { EntityName } from '../../entities/index.ts';
import { entityTableDdl, entityTableNames, script, type SqlKind } from '../sql/ddl.ts';
import { ident, layoutOf } from '../sql/layout.ts';
import type { Migration } from './types.ts';

/** Collections created by 006, referenced ones first. */
export const CONSUMER_GROUPS_ENTITIES: readonly EntityName[] = ['consumer_groups', 'consumer_group_consumers'];

function pluginsScopeSql(kind: SqlKind): string[] {
  const id = kind === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
  const plugins = ident('plugins');
  const entity = ident('entity');
  const cacheKey = ident('cache_key');
  // Documents and cache keys are JSON texts ending in '}' and ']': the new (null) field goes before the end.
  const document = kind === 'postgres' ? `${entity}::text` : entity;
  const appended = `substr(${document}, 1, length(${document}) - 1) || ',"consumer_group":null}'`;
  return [
    `ALTER TABLE ${plugins} ADD COLUMN ${ident('consumer_group_id')} ${id} ` +
      `CONSTRAINT ${ident('plugins_consumer_group_fkey')} REFERENCES ${ident('consumer_groups')} (${ident('id')}) ON DELETE CASCADE`,
    `CREATE INDEX ${ident('plugins_consumer_group_id_idx')} ON ${plugins} (${ident('consumer_group_id')})`,
    `UPDATE ${plugins} SET ${cacheKey} = substr(${cacheKey}, 1, length(${cacheKey}) - 1) || ',null]', ` +
      `${entity} = ${kind === 'postgres' ? `(${appended})::json` : appended}`,
  ];
}

function consumerGroupsSql(kind: SqlKind): string {
  return script([...CONSUMER_GROUPS_ENTITIES.flatMap((entity) => entityTableDdl(kind, layoutOf(entity))), ...pluginsScopeSql(kind)]);
}

export const consumerGroups006: Migration = {
  name: '006_consumer_groups',
  up: { sqlite: consumerGroupsSql('sqlite'), postgres: consumerGroupsSql('postgres') },
  tables: entityTableNames(CONSUMER_GROUPS_ENTITIES),
};
