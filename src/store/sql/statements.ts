/** SQL text per entity, built once per registry state from the storage layout. Placeholders are `?` (PostgreSQL's driver renumbers them). */
import { ENTITY_ORDER, memoizeOnRegistry, type EntityName } from '../../entities/index.ts';
import { ident, layoutOf, type TableLayout } from './layout.ts';
import { valueColumns } from './row-codec.ts';

export interface EntityStatements {
  /** Columns every read selects. */
  columns: string;
  /** ` AND <row has not expired>` (one `?`: now in ms), or '' for entities without a ttl. */
  alive: string;
  selectById: string;
  /** The stored document and expiry of a row, expired or not (for writes). */
  selectStored: string;
  insert: string;
  update: string;
  delete: string;
  /** Deletes expired rows (one `?`: now in ms); null for entities without a ttl. */
  purgeExpired: string | null;
  deleteTags: string | null;
}

function buildStatements(layout: TableLayout): EntityStatements {
  const t = ident(layout.table);
  const extracted = valueColumns(layout);
  const written = ['entity', ...extracted, ...(layout.ttl ? ['expires_at'] : [])];
  const columns = layout.ttl ? `${ident('entity')}, ${ident('expires_at')}` : ident('entity');
  const alive = layout.ttl ? ` AND (${ident('expires_at')} IS NULL OR ${ident('expires_at')} > ?)` : '';
  return {
    columns,
    alive,
    selectById: `SELECT ${columns} FROM ${t} WHERE ${ident('id')} = ?${alive}`,
    selectStored: `SELECT ${ident('entity')}${layout.ttl ? `, ${ident('expires_at')}` : ''} FROM ${t} WHERE ${ident('id')} = ?`,
    insert:
      `INSERT INTO ${t} (${['id', ...written].map(ident).join(', ')}) ` +
      `VALUES (${['id', ...written].map(() => '?').join(', ')})`,
    update: `UPDATE ${t} SET ${written.map((c) => `${ident(c)} = ?`).join(', ')} WHERE ${ident('id')} = ?`,
    delete: `DELETE FROM ${t} WHERE ${ident('id')} = ?`,
    purgeExpired: layout.ttl ? `DELETE FROM ${t} WHERE ${ident('expires_at')} <= ?` : null,
    deleteTags: layout.tagsTable ? `DELETE FROM ${ident(layout.tagsTable)} WHERE ${ident('entity_id')} = ?` : null,
  };
}

const allStatements = memoizeOnRegistry(
  (): ReadonlyMap<EntityName, EntityStatements> => new Map(ENTITY_ORDER.map((entity) => [entity, buildStatements(layoutOf(entity))])),
);

/** The statements of a collection (throws for an unknown one, naming the known ones). */
export function statementsOf(entity: EntityName): EntityStatements {
  return allStatements().get(entity) ?? buildStatements(layoutOf(entity));
}

/** `INSERT` of `count` tags of one entity (`entity_id, position, tag` per row). */
export function insertTagsSql(layout: TableLayout, count: number): string {
  const rows = Array.from({ length: count }, () => '(?, ?, ?)').join(', ');
  return `INSERT INTO ${ident(layout.tagsTable ?? '')} (${ident('entity_id')}, ${ident('position')}, ${ident('tag')}) VALUES ${rows}`;
}

/** Collections with tags, for the /tags listing. */
export const taggedLayouts = memoizeOnRegistry((): readonly TableLayout[] => ENTITY_ORDER.map(layoutOf).filter((l) => l.tagsTable !== null));
