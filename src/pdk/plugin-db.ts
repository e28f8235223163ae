/**
 * `kong.db`: the database as plugins that write while serving traffic need it (Kong's `kong.db.<dao>` for
 * oauth2's tokens and codes). Only entities a plugin owns are reachable; writes are validated with the
 * entity's schema (defaults, generated values) as an Admin API write would be. A node without a database
 * (DB-less, a hybrid data plane) has none: reads find nothing and writes reject, as Kong's DAOs behave there for
 * rows no declarative configuration holds.
 */
import type { EntityRecord } from './plugin-handler.ts';

export interface PluginDbWriteOptions {
  /** Seconds until the row expires (entities that accept a `ttl`); omitted or 0: never. */
  readonly ttl?: number;
}

export interface PluginDb {
  /** The row with this id, or null. */
  select(entity: string, id: string): Promise<EntityRecord | null>;
  /** The row whose unique field (or endpoint key) `field` is `value`, or null. Expired rows are never found. */
  selectBy(entity: string, field: string, value: string): Promise<EntityRecord | null>;
  /** Validates and stores a new row; resolves to it as stored (generated fields filled in). */
  insert(entity: string, row: Readonly<Record<string, unknown>>, options?: PluginDbWriteOptions): Promise<EntityRecord>;
  /** Merges `patch` into the row and stores it; resolves to the new row, or null when there was none. */
  update(entity: string, id: string, patch: Readonly<Record<string, unknown>>, options?: PluginDbWriteOptions): Promise<EntityRecord | null>;
  /** Removes the row; false when there was none. */
  delete(entity: string, id: string): Promise<boolean>;
}

/** One call as it crosses from a worker to the process holding the database. */
export type PluginDbRequest =
  | { readonly op: 'select'; readonly entity: string; readonly id: string }
  | { readonly op: 'selectBy'; readonly entity: string; readonly field: string; readonly value: string }
  | { readonly op: 'insert'; readonly entity: string; readonly row: Readonly<Record<string, unknown>>; readonly ttl: number | null }
  | { readonly op: 'update'; readonly entity: string; readonly id: string; readonly patch: Readonly<Record<string, unknown>>; readonly ttl: number | null }
  | { readonly op: 'delete'; readonly entity: string; readonly id: string };

/** A `PluginDb` over any transport that carries a request and brings back its result or an error message. */
export class RequestPluginDb implements PluginDb {
  readonly #call: (request: PluginDbRequest) => Promise<unknown>;

  constructor(call: (request: PluginDbRequest) => Promise<unknown>) {
    this.#call = call;
  }

  select(entity: string, id: string): Promise<EntityRecord | null> {
    return this.#call({ op: 'select', entity, id }) as Promise<EntityRecord | null>;
  }

  selectBy(entity: string, field: string, value: string): Promise<EntityRecord | null> {
    return this.#call({ op: 'selectBy', entity, field, value }) as Promise<EntityRecord | null>;
  }

  insert(entity: string, row: Readonly<Record<string, unknown>>, options: PluginDbWriteOptions = {}): Promise<EntityRecord> {
    return this.#call({ op: 'insert', entity, row, ttl: options.ttl ?? null }) as Promise<EntityRecord>;
  }

  update(entity: string, id: string, patch: Readonly<Record<string, unknown>>, options: PluginDbWriteOptions = {}): Promise<EntityRecord | null> {
    return this.#call({ op: 'update', entity, id, patch, ttl: options.ttl ?? null }) as Promise<EntityRecord | null>;
  }

  delete(entity: string, id: string): Promise<boolean> {
    return this.#call({ op: 'delete', entity, id }) as Promise<boolean>;
  }
}

/** What `kong.db` is on a node without a database: reads find nothing; writes reject with the reason. */
export const NO_PLUGIN_DB: PluginDb = new RequestPluginDb((request) =>
  request.op === 'select' || request.op === 'selectBy'
    ? Promise.resolve(null)
    : Promise.reject(new Error('this node has no database (database = off or a hybrid data plane): plugin entities cannot be written here')),
);
