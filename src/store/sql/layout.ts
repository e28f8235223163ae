/**
 * How each entity is stored, derived from the entity registry (again after a plugin registers entities):
 * one table per collection named like it, with `id` as primary key, the whole validated entity as JSON in
 * `entity`, and extracted columns for what the database must enforce or find quickly:
 * - unique fields (`name`, `username`, ...) with UNIQUE constraints;
 * - the endpoint key when it is not unique (`targets.target`), indexed for lookups;
 * - foreign keys as `<field>_id` with real REFERENCES ... ON DELETE CASCADE | RESTRICT;
 * - `cache_key` (UNIQUE) for composite cache keys (plugins: name+route+service+consumer, nulls included),
 *   as Kong's DAO adds one for schemas whose cache key has several fields;
 * - `expires_at` (milliseconds) for entities accepting a `ttl`;
 * - a side table `<collection>_tags` (entity_id, position, tag) for tag filters and /tags.
 */
import { ENTITIES, ENTITY_ORDER, memoizeOnRegistry, type EntityName } from '../../entities/index.ts';

export type ColumnType = 'text' | 'integer' | 'number';

export interface LookupColumn {
  field: string;
  column: string;
  type: ColumnType;
  unique: boolean;
}

export interface ForeignColumn {
  field: string;
  column: string;
  reference: EntityName;
  onDelete: 'cascade' | 'restrict';
}

export interface ReferencingColumn {
  entity: EntityName;
  column: string;
  onDelete: 'cascade' | 'restrict';
}

export interface TableLayout {
  entity: EntityName;
  table: string;
  /** `<collection>_tags`, or null for collections without tags. */
  tagsTable: string | null;
  /** Columns holding a field's value: unique fields and the endpoint key (field -> column). */
  lookupColumns: ReadonlyMap<string, LookupColumn>;
  foreignColumns: readonly ForeignColumn[];
  /** Fields of a composite cache key (stored as the UNIQUE `cache_key` column), or null. */
  compositeCacheKey: readonly string[] | null;
  /** Fields of the cache key, composite or not, or null. */
  cacheKey: readonly string[] | null;
  ttl: boolean;
  /** Input-only fields (`certificates.snis`) that are never stored. */
  transientFields: readonly string[];
  /** Columns of other tables that reference this one. */
  referencedBy: readonly ReferencingColumn[];
}

/** Names the layout uses itself; a field with one of these names would collide. */
const RESERVED_COLUMNS = new Set(['id', 'entity', 'cache_key', 'expires_at']);

function columnType(entity: EntityName, field: string, type: string): ColumnType {
  if (type === 'string') return 'text';
  if (type === 'integer') return 'integer';
  if (type === 'number') return 'number';
  throw new Error(`store layout: ${entity}.${field} is unique or an endpoint key of type '${type}', which has no column type`);
}

function buildLayout(entity: EntityName): Omit<TableLayout, 'referencedBy'> {
  const meta = ENTITIES[entity];
  const fields = meta.schema.fields;
  const lookupColumns = new Map<string, LookupColumn>();
  const addLookup = (field: string, unique: boolean): void => {
    if (lookupColumns.has(field)) return;
    if (RESERVED_COLUMNS.has(field)) throw new Error(`store layout: ${entity}.${field} collides with a store column`);
    lookupColumns.set(field, { field, column: field, type: columnType(entity, field, fields[field].type), unique });
  };
  for (const field of meta.uniqueFields) addLookup(field, true);
  if (meta.endpointKey !== null && meta.endpointKey !== 'id') addLookup(meta.endpointKey, false);

  const foreignColumns = meta.foreignKeys.map((fk) => {
    const column = `${fk.field}_id`;
    if (lookupColumns.has(column) || RESERVED_COLUMNS.has(column)) {
      throw new Error(`store layout: ${entity}.${fk.field} needs column '${column}', which is taken`);
    }
    return { field: fk.field, column, reference: fk.reference, onDelete: fk.onDelete };
  });
  const cacheKey = meta.cacheKey && meta.cacheKey.length > 0 ? meta.cacheKey : null;
  return {
    entity,
    table: entity,
    tagsTable: meta.hasTags ? `${entity}_tags` : null,
    lookupColumns,
    foreignColumns,
    compositeCacheKey: cacheKey && cacheKey.length > 1 ? cacheKey : null,
    cacheKey,
    ttl: meta.ttl,
    transientFields: Object.entries(fields)
      .filter(([, def]) => def.transient === true)
      .map(([name]) => name),
  };
}

function buildLayouts(): Readonly<Record<EntityName, TableLayout>> {
  const partial = ENTITY_ORDER.map(buildLayout);
  const layouts: Record<EntityName, TableLayout> = {};
  for (const layout of partial) {
    const referencedBy: ReferencingColumn[] = [];
    for (const other of partial) {
      for (const fk of other.foreignColumns) {
        if (fk.reference === layout.entity) referencedBy.push({ entity: other.entity, column: fk.column, onDelete: fk.onDelete });
      }
    }
    layouts[layout.entity] = { ...layout, referencedBy };
  }
  return layouts;
}

/** The storage layout of every registered entity, computed once per registry state. */
const tableLayouts = memoizeOnRegistry(buildLayouts);

/** Layout of a collection, or an error naming the known ones (a programming error, not a user one). */
export function layoutOf(entity: EntityName): TableLayout {
  const layout = Object.prototype.hasOwnProperty.call(tableLayouts(), entity) ? tableLayouts()[entity] : undefined;
  if (!layout) throw new Error(`store: unknown collection '${entity}'; known: ${ENTITY_ORDER.join(', ')}`);
  return layout;
}

/** Double-quoted SQL identifier (our names are plain, but quoting keeps `key` and `group` legal). */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
