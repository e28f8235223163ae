/**
 * Kong's DAO semantics for one collection, on top of `StoreOps`: how a URL key addresses an entity, and
 * the insert / upsert / update / delete pipelines (options, foreign references given by name, schema
 * validation, write-time transformations, the write itself). Collections that differ extend this class
 * (see `entity-daos.ts`); endpoints never talk to the store directly.
 */
import { randomUUID } from 'node:crypto';
import { ENTITIES, validateEntity, type EntityMeta, type PluginSchemaRegistry } from '../entities/index.ts';
import { checkImmutableFields, isUuid, validateFieldValue, type ErrorTree, type FieldsDef } from '../schema/index.ts';
import type { ListOptions, Page, Row, StoreOps } from '../store/types.ts';
import {
  foreignKeysUnresolved,
  invalidOptions,
  invalidPrimaryKey,
  invalidUnique,
  notFoundByField,
  notFoundByPrimaryKey,
  operationUnsupported,
  schemaViolation,
  type UnresolvedReference,
} from './errors.ts';
import { fieldsForInput } from './schema-coercion.ts';

/** How a request addresses one entity: its primary key, or the value of its endpoint key. */
export type EntityKey = { id: string } | { field: string; value: string };

/** Which write a DAO pipeline runs (Kong's validation context). */
export type WriteContext = 'insert' | 'upsert' | 'update';

/** What every DAO needs to know about the node. */
export interface DaoSettings {
  /** Enabled plugins, for plugin configurations. */
  readonly plugins: PluginSchemaRegistry;
  /** DB-less: writes end in Kong's 405 (after validation, as Kong's off strategy does). */
  readonly readOnly: boolean;
}

/** Kong's upper bound for `ttl` (seconds). */
export const MAX_TTL = 100_000_000;

const VERBS: Record<WriteContext | 'delete', string> = {
  insert: 'create',
  update: 'update',
  upsert: 'create or update',
  delete: 'remove',
};

/** True for a JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function byFieldOf(key: EntityKey): string | null {
  return 'id' in key ? null : key.field;
}

/**
 * Kong's `merge_values`: the update on top of the stored entity; records (a plugin's `config` included)
 * merge field by field, everything else (arrays, maps, nulls) replaces.
 */
export function mergeValues(fields: FieldsDef, top: Record<string, unknown>, bottom: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...bottom, ...top };
  for (const key of Object.keys(top)) {
    const def = Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : undefined;
    const value = top[key];
    if (def?.type === 'record' && !def.abstract && def.fields !== undefined && isPlainObject(value)) {
      out[key] = mergeValues(def.fields, value, isPlainObject(bottom[key]) ? bottom[key] : {});
    }
  }
  return out;
}

/** The generic DAO: every collection's behaviour unless a subclass says otherwise. */
export class EntityDao {
  readonly meta: EntityMeta;
  protected readonly settings: DaoSettings;

  constructor(meta: EntityMeta, settings: DaoSettings) {
    this.meta = meta;
    this.settings = settings;
  }

  /**
   * The key a URL segment stands for: a UUID is a primary key, anything else the endpoint key. Collections
   * without an endpoint key answer a non-UUID with Kong's `invalid primary key` (code 1).
   */
  keyOf(segment: string): EntityKey {
    if (isUuid(segment)) return { id: segment.toLowerCase() };
    const field = this.meta.endpointKey;
    if (field === null) throw invalidPrimaryKey({ id: 'expected a valid UUID' });
    const def = this.meta.schema.fields[field];
    const problem = def === undefined ? undefined : validateFieldValue(def, segment);
    if (typeof problem === 'string') throw invalidUnique(field, problem);
    return { field, value: segment };
  }

  /**
   * The key a URL segment stands for, when finding it may need the data (certificates are also addressed
   * by SNI name). `method` matters where a PUT may create what it names.
   */
  async resolveKey(_ops: StoreOps, segment: string, _method: string): Promise<EntityKey> {
    return this.keyOf(segment);
  }

  /** The stored entity a key names, or null. */
  async select(ops: StoreOps, key: EntityKey): Promise<Row | null> {
    if ('id' in key) return ops.get(this.meta.name, key.id);
    return ops.getBy(this.meta.name, key.field, key.value);
  }

  /** The entity as the Admin API shows it (certificates add their SNI names). */
  async present(_ops: StoreOps, row: Row): Promise<Row> {
    return row;
  }

  /** One page of the collection, each entity presented. */
  async page(ops: StoreOps, options: ListOptions): Promise<Page> {
    const page = await ops.list(this.meta.name, options);
    const data: Row[] = [];
    for (const row of page.data) data.push(await this.present(ops, row));
    return { data, offset: page.offset };
  }

  /** POST: a new entity. */
  async insert(ops: StoreOps, input: Record<string, unknown>): Promise<Row> {
    const entity = this.prepare({ ...input }, 'insert');
    await this.resolveForeign(ops, entity);
    const row = this.transform(this.validate(entity, 'insert'), input, 'insert');
    this.refuseWhenReadOnly('insert', null);
    return this.present(ops, await ops.insert(this.meta.name, row));
  }

  /**
   * PUT: creates or fully replaces the entity the key names. The endpoint key from the URL wins over the
   * body; an existing entity keeps its id (and, in the store, its `created_at`).
   */
  async upsert(ops: StoreOps, key: EntityKey, input: Record<string, unknown>): Promise<Row> {
    const entity = this.prepare({ ...input }, 'upsert');
    const existing = await this.select(ops, key);
    if ('id' in key) entity.id = key.id;
    else {
      entity[key.field] = key.value;
      if (existing !== null) entity.id = existing.id;
    }
    await this.resolveForeign(ops, entity);
    const row = this.transform(this.validate(entity, 'upsert'), input, 'upsert');
    this.refuseWhenReadOnly('upsert', byFieldOf(key));
    return this.present(ops, await ops.upsert(this.meta.name, row));
  }

  /** PATCH: merges the input into the stored entity; 404 (code 6) when there is none. */
  async update(ops: StoreOps, key: EntityKey, input: Record<string, unknown>): Promise<Row> {
    const patch = this.prepare({ ...input }, 'update');
    const stored = await this.select(ops, key);
    if (stored === null) throw 'id' in key ? notFoundByPrimaryKey(key.id) : notFoundByField(key.field, key.value);
    const immutable = checkImmutableFields(this.meta.schema, patch, stored);
    if (immutable !== null) throw schemaViolation(immutable);
    const merged = mergeValues(fieldsForInput(this.meta, stored.name, this.settings.plugins), patch, stored);
    // The primary key is the stored one, whatever the body says.
    merged.id = stored.id;
    // A read shows the seconds left; writing them back would restart the clock. Only a new ttl does.
    if (this.meta.ttl && patch.ttl === undefined) delete merged.ttl;
    await this.resolveForeign(ops, merged);
    const row = this.transform(this.validate(merged, 'update'), patch, 'update');
    this.refuseWhenReadOnly('update', byFieldOf(key));
    return this.present(ops, await ops.update(this.meta.name, stored.id, row));
  }

  /** DELETE: removes the entity if it exists (cascades and restricts are the store's). */
  async delete(ops: StoreOps, key: EntityKey): Promise<void> {
    const stored = await this.select(ops, key);
    if (stored === null) return;
    await this.beforeDelete(ops, stored);
    this.refuseWhenReadOnly('delete', byFieldOf(key));
    await ops.delete(this.meta.name, stored.id);
  }

  /** Checks the write options Kong pops from the body (`ttl`) and lets subclasses adjust the input. */
  protected prepare(input: Record<string, unknown>, _context: WriteContext): Record<string, unknown> {
    if (this.meta.ttl && input.ttl !== undefined) {
      if (input.ttl === null) delete input.ttl;
      else if (typeof input.ttl !== 'number' || !Number.isInteger(input.ttl) || input.ttl < 0 || input.ttl > MAX_TTL) {
        throw invalidOptions({ ttl: `must be an integer between 0 and ${MAX_TTL}` });
      }
    }
    return input;
  }

  /** Hook: checks before a delete (CA certificates still in use). */
  protected async beforeDelete(_ops: StoreOps, _row: Row): Promise<void> {}

  /** Hook: write-time transformations (hashing, digests); `input` is what the client sent. */
  protected transformEntity(row: Row, _input: Record<string, unknown>, _context: WriteContext): Row {
    return row;
  }

  /** Validates with the entity schema; throws Kong's schema violation. */
  protected validate(entity: Record<string, unknown>, context: WriteContext): Row {
    const result = validateEntity(this.meta.name, entity, { context, plugins: this.settings.plugins });
    if (!result.ok) throw schemaViolation(result.errors);
    return result.value as unknown as Row;
  }

  /** Input-only fields never reach the store; then the collection's own transformations. */
  protected transform(row: Row, input: Record<string, unknown>, context: WriteContext): Row {
    for (const [name, def] of Object.entries(this.meta.schema.fields)) if (def.transient) delete row[name];
    // The schema's own transformations (a plugin's password hashing), when the write sets one of their inputs.
    for (const step of this.meta.schema.transformations ?? []) {
      if (step.input.some((field) => input[field] !== undefined)) Object.assign(row, step.on_write(row, { transform: true }));
    }
    return this.transformEntity(row, input, context);
  }

  protected refuseWhenReadOnly(context: WriteContext | 'delete', byField: string | null): void {
    if (this.settings.readOnly) throw operationUnsupported(VERBS[context], this.meta.name, byField);
  }

  /**
   * Kong's `resolve_foreign`: a reference given by a unique field or endpoint key (`{"name": "svc"}`)
   * instead of an id is looked up and replaced by `{id}`; references that match nothing fail with code 13.
   */
  protected async resolveForeign(ops: StoreOps, entity: Record<string, unknown>): Promise<void> {
    const unresolved: UnresolvedReference[] = [];
    for (const fk of this.meta.foreignKeys) {
      const value = entity[fk.field];
      if (!isPlainObject(value) || (typeof value.id === 'string' && isUuid(value.id))) continue;
      const parent = ENTITIES[fk.reference];
      for (const [name, def] of Object.entries(parent.schema.fields)) {
        if (!def.unique && parent.endpointKey !== name) continue;
        const candidate = value[name];
        if (typeof candidate !== 'string' || validateFieldValue(def, candidate) !== undefined) continue;
        const found = await ops.getBy(parent.name, name, candidate);
        if (found !== null) {
          entity[fk.field] = { id: found.id };
          break;
        }
        unresolved.push({ field: fk.field, keyField: name, value: candidate, parentCollection: parent.name });
      }
    }
    if (unresolved.length > 0) throw foreignKeysUnresolved(unresolved);
  }
}

/** Builds a schema-violation error for one field (used by collections with their own pre-checks). */
export function fieldViolation(field: string, message: string): ReturnType<typeof schemaViolation> {
  const errors: ErrorTree = { [field]: message };
  return schemaViolation(errors);
}

/** A fresh primary key, for PUTs that create under a name the URL gave. */
export function newId(): string {
  return randomUUID();
}
