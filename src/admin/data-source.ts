/**
 * Where the Admin API reads and writes entities: a `Store` (traditional mode), or the loaded declarative
 * configuration (DB-less mode), which answers reads the same way and refuses writes with Kong's 405.
 */
import { ENTITIES, ENTITY_ORDER, type EntityName } from '../entities/index.ts';
import type { FlatConfig } from '../declarative/index.ts';
import type { ListOptions, Page, Row, Store, StoreOps, TagPage, TagRow } from '../store/types.ts';
import { encodeOffset, matchesTags, pageOf } from './pagination.ts';

/** The Admin API's view of its data. */
export interface DataSource {
  /** True in DB-less mode: every write is answered with Kong's `operation unsupported`. */
  readonly readOnly: boolean;
  /** Reads (and, unless read-only, writes) outside a transaction. */
  readonly ops: StoreOps;
  /** Runs several operations as one change (one configuration version). */
  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T>;
}

/** The data source of a node with a database. */
export function storeDataSource(store: Store): DataSource {
  return { readOnly: false, ops: store, transaction: (fn) => store.transaction(fn) };
}

interface CollectionIndex {
  /** Rows sorted by id (Kong pages by primary key). */
  sorted: Row[];
  byId: Map<string, Row>;
}

function readOnlyWrite(): never {
  // The Admin API checks `readOnly` before writing; reaching this is a bug.
  throw new Error('the DB-less configuration cannot be written through the Admin API');
}

function sameForeign(value: unknown, id: string): boolean {
  return typeof value === 'object' && value !== null && (value as { id?: unknown }).id === id;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  return (a as { id?: unknown }).id === (b as { id?: unknown }).id;
}

/**
 * Read-side indexes of one loaded configuration, shaped as `StoreOps` so that the Admin API reads the same
 * way in both modes. Built once per configuration (collections on first use), not per request.
 */
export class ConfigReadOps implements StoreOps {
  readonly hash: string;
  readonly #config: FlatConfig;
  readonly #collections = new Map<EntityName, CollectionIndex>();
  #tags: Array<TagRow & { id: string }> | null = null;

  constructor(config: FlatConfig, hash: string) {
    this.#config = config;
    this.hash = hash;
  }

  #collection(name: EntityName): CollectionIndex {
    let index = this.#collections.get(name);
    if (index !== undefined) return index;
    const rows = ((this.#config as unknown as Record<string, Row[] | undefined>)[name] ?? []).slice();
    rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    index = { sorted: rows, byId: new Map(rows.map((r) => [r.id, r])) };
    this.#collections.set(name, index);
    return index;
  }

  async get(entity: EntityName, id: string): Promise<Row | null> {
    return this.#collection(entity).byId.get(id.toLowerCase()) ?? null;
  }

  async getBy(entity: EntityName, field: string, value: string): Promise<Row | null> {
    return this.#collection(entity).sorted.find((r) => r[field] === value) ?? null;
  }

  async getByCacheKey(entity: EntityName, key: Record<string, unknown>): Promise<Row | null> {
    const fields = Object.keys(key);
    return this.#collection(entity).sorted.find((r) => fields.every((f) => sameValue(r[f] ?? null, key[f] ?? null))) ?? null;
  }

  async list(entity: EntityName, options: ListOptions): Promise<Page> {
    let rows = this.#collection(entity).sorted;
    const foreign = options.foreign;
    if (foreign) rows = rows.filter((r) => sameForeign(r[foreign.field], foreign.id));
    const tags = options.tags;
    if (tags) rows = rows.filter((r) => matchesTags(r.tags, tags));
    return pageOf(rows, options.size, options.offset);
  }

  async listTags(options: { size: number; offset?: string | null; tag?: string | null }): Promise<TagPage> {
    if (this.#tags === null) {
      const all: Array<TagRow & { id: string }> = [];
      for (const name of ENTITY_ORDER) {
        if (!ENTITIES[name].hasTags) continue;
        for (const row of this.#collection(name).sorted) {
          if (!Array.isArray(row.tags)) continue;
          for (const tag of row.tags as string[]) all.push({ id: `${row.id}\u0000${tag}`, entity_name: name, entity_id: row.id, tag });
        }
      }
      all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      this.#tags = all;
    }
    const rows = options.tag === null || options.tag === undefined ? this.#tags : this.#tags.filter((t) => t.tag === options.tag);
    const page = pageOf(rows, options.size, options.offset);
    return {
      data: page.data.map(({ entity_name, entity_id, tag }) => ({ entity_name, entity_id, tag })),
      offset: page.offset === null ? null : encodeOffset(page.data[page.data.length - 1].id),
    };
  }

  insert(): Promise<Row> {
    return readOnlyWrite();
  }

  update(): Promise<Row> {
    return readOnlyWrite();
  }

  upsert(): Promise<Row> {
    return readOnlyWrite();
  }

  delete(): Promise<boolean> {
    return readOnlyWrite();
  }
}

/** The data source of a DB-less node: reads from the configuration it serves. */
export function configDataSource(ops: ConfigReadOps): DataSource {
  return { readOnly: true, ops, transaction: (fn) => fn(ops) };
}
