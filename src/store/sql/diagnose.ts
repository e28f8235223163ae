/**
 * Turns a constraint violation into Kong's error. SQLite does not say which foreign key failed, and the
 * constraint names of both dialects would tie us to DDL details, so after rolling the failed write back we
 * ask the database which rule the row breaks — the same way for both dialects.
 */
import type { EntityName } from '../../entities/index.ts';
import { foreignKeyViolation, primaryKeyViolation, referencedViolation, uniqueViolation } from '../errors.ts';
import type { StoreError } from '../types.ts';
import type { ConstraintKind, SqlSession, SqlValue } from './driver.ts';
import { ident, layoutOf } from './layout.ts';
import { cacheKeyFields, type PreparedRow } from './row-codec.ts';

async function exists(session: SqlSession, table: string, column: string, value: SqlValue, exceptId?: string): Promise<boolean> {
  const except = exceptId === undefined ? '' : ` AND ${ident('id')} <> ?`;
  const params = exceptId === undefined ? [value] : [value, exceptId];
  const rows = await session.query(`SELECT 1 AS ${ident('found')} FROM ${ident(table)} WHERE ${ident(column)} = ?${except} LIMIT 1`, params);
  return rows.length > 0;
}

/** Which unique or foreign-key rule `row` breaks, or null when none does (any more). */
export async function diagnoseWrite(
  session: SqlSession,
  entity: EntityName,
  row: PreparedRow,
  kind: ConstraintKind,
  isInsert: boolean,
): Promise<StoreError | null> {
  const layout = layoutOf(entity);
  if (kind === 'unique') {
    if (isInsert && (await exists(session, layout.table, 'id', row.id))) return primaryKeyViolation(entity, row.id);
    for (const lookup of layout.lookupColumns.values()) {
      const value = row.document[lookup.field];
      if (!lookup.unique || (typeof value !== 'string' && typeof value !== 'number')) continue;
      if (await exists(session, layout.table, lookup.column, value, row.id)) return uniqueViolation(entity, { [lookup.field]: value });
    }
    if (layout.compositeCacheKey) {
      const index = row.values.length - 1; // cache_key is the last extracted column
      if (await exists(session, layout.table, 'cache_key', row.values[index], row.id)) {
        return uniqueViolation(entity, cacheKeyFields(layout, layout.compositeCacheKey, row.document));
      }
    }
    return null;
  }
  for (const fk of layout.foreignColumns) {
    const value = row.document[fk.field] as { id: string } | null;
    if (value !== null && !(await exists(session, fk.reference, 'id', value.id))) {
      return foreignKeyViolation(entity, fk.field, fk.reference, value.id);
    }
  }
  return null;
}

const MAX_CASCADE_DEPTH = 8;

/**
 * The collection whose rows forbid deleting `ids` of `entity`: a restricting reference to them, or to
 * a row the delete would cascade to.
 */
async function findBlocker(session: SqlSession, entity: EntityName, ids: readonly string[], depth: number): Promise<EntityName | null> {
  if (ids.length === 0 || depth > MAX_CASCADE_DEPTH) return null;
  const layout = layoutOf(entity);
  const inList = ids.map(() => '?').join(', ');
  for (const ref of layout.referencedBy) {
    if (ref.onDelete !== 'restrict') continue;
    const rows = await session.query(`SELECT 1 AS ${ident('found')} FROM ${ident(ref.entity)} WHERE ${ident(ref.column)} IN (${inList}) LIMIT 1`, ids);
    if (rows.length > 0) return ref.entity;
  }
  for (const ref of layout.referencedBy) {
    if (ref.onDelete !== 'cascade') continue;
    const rows = await session.query(`SELECT ${ident('id')} FROM ${ident(ref.entity)} WHERE ${ident(ref.column)} IN (${inList})`, ids);
    const blocker = await findBlocker(session, ref.entity, rows.map((r) => String(r.id)), depth + 1);
    if (blocker !== null) return blocker;
  }
  return null;
}

/** The `referenced` error for a delete that a restricting foreign key refused, or null. */
export async function diagnoseDelete(session: SqlSession, entity: EntityName, id: string): Promise<StoreError | null> {
  const blocker = await findBlocker(session, entity, [id], 0);
  return blocker === null ? null : referencedViolation(entity, blocker);
}
