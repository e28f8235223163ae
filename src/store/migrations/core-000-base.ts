/**
 * `core:000_base`: every table of the first storage layout, generated from the entity metadata, and the
 * configuration-version row. The collections are listed by name rather than taken from ENTITY_ORDER: a
 * collection added later needs a migration of its own, or databases bootstrapped earlier would never get
 * its table (`migrations.test.ts` checks both, and pins the generated SQL). Plugins' entities get their
 * tables from the plugins' own migrations.
 */
import type { EntityName } from '../../entities/index.ts';
import { configVersionDdl, CONFIG_VERSION_TABLE, entityTableDdl, entityTableNames, script, type SqlKind } from '../sql/ddl.ts';
import { layoutOf, type TableLayout } from '../sql/layout.ts';
import type { Migration } from './types.ts';

/** Collections created by 000_base, referenced ones first. */
export const BASE_ENTITIES: readonly EntityName[] = [
  'certificates',
  'ca_certificates',
  'snis',
  'services',
  'routes',
  'upstreams',
  'targets',
  'consumers',
  'plugins',
];

/** Foreign keys added after 000_base by migrations of their own (`plugins.consumer_group`: 006). */
const LATER_FOREIGN_KEYS: Readonly<Record<string, readonly string[]>> = { plugins: ['consumer_group'] };

/** A collection's layout as 000_base created it. */
function baseLayout(entity: EntityName): TableLayout {
  const layout = layoutOf(entity);
  const later = LATER_FOREIGN_KEYS[entity];
  if (later === undefined) return layout;
  return { ...layout, foreignColumns: layout.foreignColumns.filter((fk) => !later.includes(fk.field)) };
}

function baseSql(kind: SqlKind): string {
  return script([...BASE_ENTITIES.flatMap((entity) => entityTableDdl(kind, baseLayout(entity))), ...configVersionDdl(kind)]);
}

export const base000: Migration = {
  name: '000_base',
  up: { sqlite: baseSql('sqlite'), postgres: baseSql('postgres') },
  tables: [...entityTableNames(BASE_ENTITIES), CONFIG_VERSION_TABLE],
};
