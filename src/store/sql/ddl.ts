/**
 * CREATE statements for entity tables, derived from their storage layout (see `layout.ts`), in the
 * SQLite or PostgreSQL dialect.
 */
import type { EntityName } from '../../entities/index.ts';
import { ident, layoutOf, type ColumnType, type TableLayout } from './layout.ts';

export type SqlKind = 'sqlite' | 'postgres';

interface ColumnTypes {
  /** ids and foreign keys: text compared byte by byte, so `ORDER BY id` is UUID order on both dialects. */
  id: string;
  /**
   * The entity document. PostgreSQL `json` (not `jsonb`) keeps the text as written — key order and
   * number spelling — so a row reads back identical on both dialects and configuration hashes agree.
   */
  document: string;
  bigint: string;
  integer: string;
  text: string;
  real: string;
}

const COLUMN_TYPES: Record<SqlKind, ColumnTypes> = {
  sqlite: { id: 'TEXT', document: 'TEXT', bigint: 'INTEGER', integer: 'INTEGER', text: 'TEXT', real: 'REAL' },
  postgres: { id: 'TEXT COLLATE "C"', document: 'JSON', bigint: 'BIGINT', integer: 'INTEGER', text: 'TEXT', real: 'DOUBLE PRECISION' },
};

function valueType(kind: SqlKind, type: ColumnType): string {
  const types = COLUMN_TYPES[kind];
  return type === 'text' ? types.text : type === 'integer' ? types.bigint : types.real;
}

/** The statements creating one entity's table, indexes and tags table. */
export function entityTableDdl(kind: SqlKind, layout: TableLayout): string[] {
  const types = COLUMN_TYPES[kind];
  const t = layout.table;
  const columns = [`${ident('id')} ${types.id} NOT NULL PRIMARY KEY`, `${ident('entity')} ${types.document} NOT NULL`];
  const constraints: string[] = [];
  const indexes: string[] = [];
  for (const lookup of layout.lookupColumns.values()) {
    columns.push(`${ident(lookup.column)} ${valueType(kind, lookup.type)}`);
    if (lookup.unique) constraints.push(`CONSTRAINT ${ident(`${t}_${lookup.column}_key`)} UNIQUE (${ident(lookup.column)})`);
    else indexes.push(`CREATE INDEX ${ident(`${t}_${lookup.column}_idx`)} ON ${ident(t)} (${ident(lookup.column)})`);
  }
  for (const fk of layout.foreignColumns) {
    columns.push(`${ident(fk.column)} ${types.id}`);
    constraints.push(
      `CONSTRAINT ${ident(`${t}_${fk.field}_fkey`)} FOREIGN KEY (${ident(fk.column)}) ` +
        `REFERENCES ${ident(fk.reference)} (${ident('id')}) ON DELETE ${fk.onDelete.toUpperCase()}`,
    );
    indexes.push(`CREATE INDEX ${ident(`${t}_${fk.column}_idx`)} ON ${ident(t)} (${ident(fk.column)})`);
  }
  if (layout.compositeCacheKey) {
    columns.push(`${ident('cache_key')} ${types.text} NOT NULL`);
    constraints.push(`CONSTRAINT ${ident(`${t}_cache_key_key`)} UNIQUE (${ident('cache_key')})`);
  }
  if (layout.ttl) {
    columns.push(`${ident('expires_at')} ${types.bigint}`);
    indexes.push(`CREATE INDEX ${ident(`${t}_expires_at_idx`)} ON ${ident(t)} (${ident('expires_at')})`);
  }
  const statements = [`CREATE TABLE ${ident(t)} (\n  ${[...columns, ...constraints].join(',\n  ')}\n)`, ...indexes];
  if (layout.tagsTable) {
    const tags = layout.tagsTable;
    statements.push(
      `CREATE TABLE ${ident(tags)} (\n  ${[
        `${ident('entity_id')} ${types.id} NOT NULL REFERENCES ${ident(t)} (${ident('id')}) ON DELETE CASCADE`,
        `${ident('position')} ${types.integer} NOT NULL`,
        `${ident('tag')} ${types.text} NOT NULL`,
        `PRIMARY KEY (${ident('entity_id')}, ${ident('position')})`,
      ].join(',\n  ')}\n)`,
      `CREATE INDEX ${ident(`${tags}_tag_idx`)} ON ${ident(tags)} (${ident('tag')}, ${ident('entity_id')})`,
    );
  }
  return statements;
}

/** Tables (entity table, then its tags table) of the given collections, in creation order. */
export function entityTableNames(entities: readonly EntityName[]): string[] {
  return entities.flatMap((entity) => {
    const layout = layoutOf(entity);
    return layout.tagsTable ? [layout.table, layout.tagsTable] : [layout.table];
  });
}

/** The table holding the configuration version (one row). */
export const CONFIG_VERSION_TABLE = 'tollgate_config_version';

export function configVersionDdl(kind: SqlKind): string[] {
  const types = COLUMN_TYPES[kind];
  return [
    `CREATE TABLE ${ident(CONFIG_VERSION_TABLE)} (\n  ${ident('id')} ${types.integer} NOT NULL PRIMARY KEY CHECK (${ident('id')} = 1),\n  ${ident('version')} ${types.bigint} NOT NULL\n)`,
    `INSERT INTO ${ident(CONFIG_VERSION_TABLE)} (${ident('id')}, ${ident('version')}) VALUES (1, 0)`,
  ];
}

/** Statements joined into one script. */
export function script(statements: readonly string[]): string {
  return statements.map((s) => `${s};`).join('\n');
}
