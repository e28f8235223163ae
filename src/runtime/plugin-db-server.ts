/**
 * The supervisor's half of `kong.db`: runs a worker's request against the node's store. Only entities a
 * plugin owns are reachable (a plugin cannot rewrite routes or consumers behind the Admin API's back); writes
 * are validated with the entity schema, so defaults and generated values (ids, tokens, timestamps) are filled
 * in as on an Admin API write. Without a store (DB-less, data plane) reads find nothing and writes fail.
 */
import { ENTITIES, validateEntity, type EntityName } from '../entities/index.ts';
import type { PluginDbRequest } from '../pdk/index.ts';
import { StoreError, type Row, type Store } from '../store/index.ts';

/** The most seconds a plugin may ask a row to live (Kong's DAO limit). */
const MAX_TTL = 100_000_000;

function pluginEntity(name: string): EntityName {
  const meta = Object.prototype.hasOwnProperty.call(ENTITIES, name) ? ENTITIES[name] : undefined;
  if (meta === undefined || meta.plugin === null) throw new Error(`'${name}' is not an entity owned by a plugin`);
  return meta.name;
}

function withTtl(row: Record<string, unknown>, ttl: number | null): Row {
  if (ttl !== null) {
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) throw new Error(`ttl must be an integer between 0 and ${MAX_TTL}`);
    if (ttl > 0) row.ttl = ttl;
  }
  return row as Row;
}

function validated(entity: EntityName, input: Record<string, unknown>, context: 'insert' | 'update'): Record<string, unknown> {
  const result = validateEntity(entity, input, { context });
  if (!result.ok) throw new Error(`invalid ${entity}: ${JSON.stringify(result.errors)}`);
  return result.value;
}

/**
 * Runs one request; the result is what the matching `PluginDb` method resolves to. A store error is reported
 * by its kind only: its message quotes the conflicting values, which here are tokens and codes, and the
 * worker logs what it is told.
 */
export async function runPluginDbRequest(store: Store | null, request: PluginDbRequest): Promise<unknown> {
  try {
    return await runRequest(store, request);
  } catch (err) {
    if (err instanceof StoreError) throw new Error(`${request.op} ${request.entity} failed: ${err.kind} violation`);
    throw err;
  }
}

async function runRequest(store: Store | null, request: PluginDbRequest): Promise<unknown> {
  if (store === null) {
    // Reads find nothing, as Kong's DB-less reads of rows no configuration holds; writes cannot happen.
    if (request.op === 'select' || request.op === 'selectBy') return null;
    throw new Error('this node has no database (database = off or a hybrid data plane): plugin entities cannot be written here');
  }
  const entity = pluginEntity(request.entity);
  switch (request.op) {
    case 'select':
      return await store.get(entity, request.id);
    case 'selectBy':
      return await store.getBy(entity, request.field, request.value);
    case 'insert':
      return await store.insert(entity, withTtl(validated(entity, { ...request.row }, 'insert'), request.ttl));
    case 'update': {
      const stored = await store.get(entity, request.id);
      if (stored === null) return null;
      const merged: Record<string, unknown> = { ...stored, ...request.patch, id: stored.id };
      delete merged.ttl;
      return await store.update(entity, stored.id, withTtl(validated(entity, merged, 'update'), request.ttl));
    }
    case 'delete':
      return await store.delete(entity, request.id);
  }
}
