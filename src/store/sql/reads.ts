/** Read queries shared by both dialects: lookups, pages with tag and foreign filters, /tags, the export. */
import { ENTITIES, ENTITY_ORDER, type EntityName } from '../../entities/index.ts';
import { emptyFlatConfig, type FlatConfig } from '../../declarative/index.ts';
import { decodeOffset, encodeOffset } from '../offset.ts';
import type { ListOptions, Page, Row, TagPage } from '../types.ts';
import type { Dialect, SqlSession, SqlValue } from './driver.ts';
import { ident, layoutOf } from './layout.ts';
import { cacheKeyText, normalizeId, readRow } from './row-codec.ts';
import { statementsOf, taggedLayouts } from './statements.ts';

const MAX_PAGE_SIZE = 1000;

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new RangeError(`store: page size must be an integer between 1 and ${MAX_PAGE_SIZE}, got ${size}`);
  }
}

function aliveParams(entity: EntityName, now: number): SqlValue[] {
  return layoutOf(entity).ttl ? [now] : [];
}

export async function getById(session: SqlSession, dialect: Dialect, entity: EntityName, id: string): Promise<Row | null> {
  const layout = layoutOf(entity);
  const now = Date.now();
  const rows = await session.query(statementsOf(entity).selectById, [normalizeId(id), ...aliveParams(entity, now)]);
  return rows.length === 0 ? null : readRow(layout, dialect, rows[0], now);
}

export async function getByField(
  session: SqlSession,
  dialect: Dialect,
  entity: EntityName,
  field: string,
  value: string,
): Promise<Row | null> {
  if (field === 'id') return getById(session, dialect, entity, value);
  const layout = layoutOf(entity);
  const lookup = layout.lookupColumns.get(field);
  if (!lookup) {
    const known = ['id', ...layout.lookupColumns.keys()].join(', ');
    throw new Error(`store: ${entity} cannot be looked up by '${field}'; use one of: ${known}`);
  }
  let param: SqlValue = value;
  if (lookup.type !== 'text') {
    // URL segments arrive as text; Kong coerces them to the key's type first.
    param = Number(value);
    if (value.trim() === '' || Number.isNaN(param)) return null;
  }
  const statements = statementsOf(entity);
  const now = Date.now();
  const rows = await session.query(
    `SELECT ${statements.columns} FROM ${ident(layout.table)} WHERE ${ident(lookup.column)} = ?${statements.alive} ` +
      `ORDER BY ${ident('id')} LIMIT 1`,
    [param, ...aliveParams(entity, now)],
  );
  return rows.length === 0 ? null : readRow(layout, dialect, rows[0], now);
}

export async function getByCacheKey(
  session: SqlSession,
  dialect: Dialect,
  entity: EntityName,
  key: Record<string, unknown>,
): Promise<Row | null> {
  const layout = layoutOf(entity);
  if (!layout.cacheKey) throw new Error(`store: ${entity} has no cache key`);
  if (!layout.compositeCacheKey) {
    const value = key[layout.cacheKey[0]];
    return typeof value === 'string' ? getByField(session, dialect, entity, layout.cacheKey[0], value) : null;
  }
  const statements = statementsOf(entity);
  const now = Date.now();
  const rows = await session.query(
    `SELECT ${statements.columns} FROM ${ident(layout.table)} WHERE ${ident('cache_key')} = ?${statements.alive}`,
    [cacheKeyText(layout, layout.compositeCacheKey, key), ...aliveParams(entity, now)],
  );
  return rows.length === 0 ? null : readRow(layout, dialect, rows[0], now);
}

/** The SQL condition selecting rows tagged as the filter asks (`and`: every tag, `or`: any). */
function tagCondition(tagsTable: string, mode: 'and' | 'or', tags: readonly string[]): { sql: string; params: SqlValue[] } {
  const distinct = [...new Set(tags)];
  if (distinct.length === 0) return mode === 'and' ? { sql: '1 = 1', params: [] } : { sql: '1 = 0', params: [] };
  const inList = distinct.map(() => '?').join(', ');
  const tagged = `SELECT ${ident('entity_id')} FROM ${ident(tagsTable)} WHERE ${ident('tag')} IN (${inList})`;
  if (mode === 'or') return { sql: `${ident('id')} IN (${tagged})`, params: distinct };
  return {
    sql: `${ident('id')} IN (${tagged} GROUP BY ${ident('entity_id')} HAVING COUNT(DISTINCT ${ident('tag')}) = ?)`,
    params: [...distinct, distinct.length],
  };
}

export async function listPage(session: SqlSession, dialect: Dialect, entity: EntityName, options: ListOptions): Promise<Page> {
  checkSize(options.size);
  const layout = layoutOf(entity);
  const statements = statementsOf(entity);
  const conditions: string[] = [];
  const params: SqlValue[] = [];
  if (options.foreign) {
    const fk = layout.foreignColumns.find((column) => column.field === options.foreign?.field);
    if (!fk) throw new Error(`store: ${entity} has no foreign key '${options.foreign.field}'`);
    conditions.push(`${ident(fk.column)} = ?`);
    params.push(normalizeId(options.foreign.id));
  }
  // Collections without tags ignore a tag filter, as Kong's nested collections do.
  if (options.tags && layout.tagsTable) {
    const tagged = tagCondition(layout.tagsTable, options.tags.mode, options.tags.tags);
    conditions.push(tagged.sql);
    params.push(...tagged.params);
  }
  if (options.offset !== undefined && options.offset !== null) {
    conditions.push(`${ident('id')} > ?`);
    params.push(decodeOffset(options.offset, entity)[0]);
  }
  const now = Date.now();
  if (layout.ttl) {
    conditions.push(`(${ident('expires_at')} IS NULL OR ${ident('expires_at')} > ?)`);
    params.push(now);
  }
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  // One row more than asked tells whether another page exists, as Kong does.
  const rows = await session.query(
    `SELECT ${ident('id')}, ${statements.columns} FROM ${ident(layout.table)}${where} ORDER BY ${ident('id')} LIMIT ?`,
    [...params, options.size + 1],
  );
  const data = rows.slice(0, options.size).map((row) => readRow(layout, dialect, row, now));
  const more = rows.length > options.size;
  return { data, offset: more ? encodeOffset([String(rows[options.size - 1].id)]) : null };
}

export async function listTagPage(
  session: SqlSession,
  dialect: Dialect,
  options: { size: number; offset?: string | null; tag?: string | null },
): Promise<TagPage> {
  checkSize(options.size);
  const now = Date.now();
  const params: SqlValue[] = [];
  const branches = taggedLayouts().map((layout) => {
    const tags = ident(layout.tagsTable ?? '');
    const select = `SELECT tt.${ident('entity_id')}, '${layout.entity}' AS ${ident('entity_name')}, tt.${ident('tag')}, tt.${ident('position')} FROM ${tags} tt`;
    if (!layout.ttl) return select;
    params.push(now);
    return (
      `${select} JOIN ${ident(layout.table)} e ON e.${ident('id')} = tt.${ident('entity_id')} ` +
      `WHERE (e.${ident('expires_at')} IS NULL OR e.${ident('expires_at')} > ?)`
    );
  });
  const conditions: string[] = [];
  if (options.tag !== undefined && options.tag !== null) {
    conditions.push(`${ident('tag')} = ?`);
    params.push(options.tag);
  }
  if (options.offset !== undefined && options.offset !== null) {
    const [lastId, lastPosition] = decodeOffset(options.offset, 'tags');
    if (lastPosition === null) {
      conditions.push(`${ident('entity_id')} > ?`);
      params.push(lastId);
    } else {
      conditions.push(`(${ident('entity_id')} > ? OR (${ident('entity_id')} = ? AND ${ident('position')} > ?))`);
      params.push(lastId, lastId, lastPosition);
    }
  }
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const rows = await session.query(
    `SELECT ${ident('entity_id')}, ${ident('entity_name')}, ${ident('tag')}, ${ident('position')} ` +
      `FROM (${branches.join(' UNION ALL ')}) AS ${ident('all_tags')}${where} ` +
      `ORDER BY ${ident('entity_id')}, ${ident('position')} LIMIT ?`,
    [...params, options.size + 1],
  );
  const data = rows.slice(0, options.size).map((row) => ({
    entity_name: String(row.entity_name),
    entity_id: String(row.entity_id),
    tag: String(row.tag),
  }));
  if (rows.length <= options.size) return { data, offset: null };
  const last = rows[options.size - 1];
  return { data, offset: encodeOffset([String(last.entity_id), dialect.readInteger(last.position)]) };
}

/**
 * Every live entity of every collection, ordered by id, and when the first of them expires (ms since the
 * epoch, or null): the export no longer holds that entity after then, so whoever serves it must export again.
 * `scope` 'live' is the configuration nodes compile and push; 'file' adds what only `config db_export` writes
 * (Kong exports oauth2 tokens, which here stay out of the live configuration).
 */
export async function exportEntities(session: SqlSession, dialect: Dialect, scope: 'live' | 'file' = 'live'): Promise<{ config: FlatConfig; nextExpiry: number | null }> {
  const config = emptyFlatConfig();
  const now = Date.now();
  let nextExpiry: number | null = null;
  for (const entity of ENTITY_ORDER) {
    // Rows that are no configuration (db_export = false: oauth2 codes) stay out of every export.
    if (scope === 'live' ? !ENTITIES[entity].liveConfig : !ENTITIES[entity].dbExport) continue;
    const layout = layoutOf(entity);
    const alive = layout.ttl ? ` WHERE (${ident('expires_at')} IS NULL OR ${ident('expires_at')} > ?)` : '';
    const rows = await session.query(
      `SELECT ${statementsOf(entity).columns} FROM ${ident(layout.table)}${alive} ORDER BY ${ident('id')}`,
      aliveParams(entity, now),
    );
    const target = config[entity] as unknown as Row[];
    for (const row of rows) {
      if (layout.ttl && row.expires_at !== null && row.expires_at !== undefined) {
        const expiry = dialect.readInteger(row.expires_at);
        if (nextExpiry === null || expiry < nextExpiry) nextExpiry = expiry;
      }
      const entityRow = readRow(layout, dialect, row, now);
      // The flat configuration has no ttl; the entity is served until it expires from the store.
      delete entityRow.ttl;
      target.push(entityRow);
    }
  }
  return { config, nextExpiry };
}
