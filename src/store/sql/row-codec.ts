/**
 * Between entities and table rows: what a write stores (the document plus the extracted column values)
 * and what a read returns.
 */
import type { Row } from '../types.ts';
import type { Dialect, DbRow, SqlValue } from './driver.ts';
import type { TableLayout } from './layout.ts';

/** What one write puts into an entity table. */
export interface PreparedRow {
  id: string;
  /** The entity as stored: ids in lower case, transient fields and `ttl` removed. */
  document: Record<string, unknown> & { id: string };
  /** Values for `valueColumns(layout)`, in that order. */
  values: SqlValue[];
  /** Seconds to live when the entity accepts a `ttl` and one was given (0 and null mean none). */
  ttl: number | null;
}

/** Ids compare as text; PostgreSQL's uuid type would print them in lower case, so we store them that way. */
export function normalizeId(id: string): string {
  return id.toLowerCase();
}

function foreignId(value: unknown): string | null {
  if (typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string') {
    return normalizeId((value as { id: string }).id);
  }
  return null;
}

/** The extracted columns after `id` and `entity`, in the order `PreparedRow.values` holds them. */
export function valueColumns(layout: TableLayout): string[] {
  const columns = [...layout.lookupColumns.values()].map((lookup) => lookup.column);
  for (const fk of layout.foreignColumns) columns.push(fk.column);
  if (layout.compositeCacheKey) columns.push('cache_key');
  return columns;
}

function isForeignField(layout: TableLayout, field: string): boolean {
  return layout.foreignColumns.some((fk) => fk.field === field);
}

/**
 * The text stored in `cache_key`: the key's values as a JSON array, foreign keys as their id, nulls kept,
 * so two global plugins of the same name collide just like two plugins on the same service.
 */
export function cacheKeyText(layout: TableLayout, fields: readonly string[], values: Record<string, unknown>): string {
  return JSON.stringify(
    fields.map((field) => {
      const value = values[field];
      if (isForeignField(layout, field)) return foreignId(value);
      return value === undefined ? null : value;
    }),
  );
}

/**
 * Cache-key fields that a unique violation names only when they are set. Kong's open-source plugin key is
 * `{name, route, service, consumer}` and its clients compare the violation's fields and message exactly; the
 * consumer group (an Enterprise scope we also key on) is named only for a plugin scoped to one.
 */
const REPORTED_WHEN_SET = new Set(['consumer_group']);

/** The cache-key fields of a row as Kong reports them in a unique violation (`{name, route, service, consumer}`). */
export function cacheKeyFields(layout: TableLayout, fields: readonly string[], row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = row[field] ?? null;
    if (value === null && REPORTED_WHEN_SET.has(field)) continue;
    out[field] = isForeignField(layout, field) ? (foreignId(value) === null ? null : { id: foreignId(value) }) : value;
  }
  return out;
}

function lookupValue(value: unknown): SqlValue {
  if (typeof value === 'string' || typeof value === 'number') return value;
  return null;
}

/** What to store for `row` under `id`. */
export function prepareRow(layout: TableLayout, row: Row, id: string = row.id): PreparedRow {
  const document: Record<string, unknown> & { id: string } = { ...row, id: normalizeId(id) };
  for (const field of layout.transientFields) delete document[field];
  let ttl: number | null = null;
  if (layout.ttl && typeof document.ttl === 'number' && document.ttl > 0) ttl = document.ttl;
  delete document.ttl;
  for (const fk of layout.foreignColumns) {
    const target = foreignId(document[fk.field]);
    document[fk.field] = target === null ? null : { ...(document[fk.field] as object), id: target };
  }
  const values: SqlValue[] = [...layout.lookupColumns.values()].map((lookup) => lookupValue(document[lookup.field]));
  for (const fk of layout.foreignColumns) values.push(foreignId(document[fk.field]));
  if (layout.compositeCacheKey) values.push(cacheKeyText(layout, layout.compositeCacheKey, document));
  return { id: document.id, document, values, ttl };
}

/** The entity in a result row (`entity`, plus `expires_at` for entities with a ttl). */
export function readRow(layout: TableLayout, dialect: Dialect, row: DbRow, now: number): Row {
  const entity = dialect.readDocument(row.entity) as Row;
  if (layout.ttl && row.expires_at !== null && row.expires_at !== undefined) {
    // Seconds left, rounded down as Kong computes it.
    entity.ttl = Math.max(0, Math.floor((dialect.readInteger(row.expires_at) - now) / 1000));
  }
  return entity;
}
