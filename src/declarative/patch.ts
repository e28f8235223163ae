/**
 * Applies a configuration delta (per collection: complete entities to insert or replace, ids to delete) to
 * a flat configuration without re-validating what the delta does not touch. The outcome is the one a full
 * load of the patched file (`_transform: false`) would give: upserted entities go through the loader's own
 * walk (schema, defaults, reference placeholders) and finalisation; the cross-entity rules of a load
 * (references resolve, unique values stay unique, no duplicate ids) are checked only where the delta can
 * break them.
 *
 * Differences from a full load, by design:
 * - `updated_at`: upserted entities are stamped with `now`, as a load at `now` would; untouched entities keep
 *   the value they had (a full load would restamp every entity).
 * - Upserted entities must carry their id (a patch names entities by id), may not carry nested entities
 *   (each goes in its own collection), and a collection may not both upsert and delete one id.
 * - Deleting an id that is not there is an error (a reload would silently ignore it).
 * - References of untouched entities are not re-resolved. A load looks a `{id}` reference up by endpoint key
 *   before id, so after a reload an upserted entity named exactly like another entity's id would capture
 *   the references to that id; a patch leaves them where they point. Catching that would cost a scan of
 *   every referencing collection for every upsert, for names no control plane produces.
 */
import { ENTITIES, ENTITY_ORDER, type EntityName, type PluginSchemaRegistry } from '../entities/index.ts';
import { ErrorCollector } from './error-collector.ts';
import { buildFlatConfig } from './finalize.ts';
import { NESTING } from './nesting.ts';
import type { FlatConfig } from './types.ts';
import { createWalkContext, walkCollections, type LoadedEntity } from './walk.ts';

export interface ConfigPatch {
  upserts: Partial<Record<EntityName, readonly Readonly<Record<string, unknown>>[]>>;
  deletes: Partial<Record<EntityName, readonly string[]>>;
}

export type PatchResult = { ok: true; config: FlatConfig } | { ok: false; error: string };

export interface PatchOptions {
  /** Enabled plugins, as given to the load that produced the configuration. */
  plugins: PluginSchemaRegistry;
  /** Milliseconds since the epoch for upserted entities' timestamps (default `Date.now()`). */
  now?: number;
}

type Entity = Record<string, unknown>;

/** A failing patch reports this many problems at most; the rest are counted. */
const MAX_REPORTED = 20;
const COLLECTIONS: ReadonlySet<string> = new Set(ENTITY_ORDER);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmptyList(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0) || (isObject(value) && Object.keys(value).length === 0);
}

function entitiesOf(config: FlatConfig, name: EntityName): readonly Entity[] {
  return config[name] as unknown as readonly Entity[];
}

function referencedId(value: unknown): unknown {
  return isObject(value) ? value.id : undefined;
}

/** The value a unique field holds for the uniqueness rules of a load, or undefined when it takes no part. */
function uniqueValue(name: EntityName, field: string, entity: Entity): unknown {
  const value = entity[field];
  // The endpoint key is indexed only when it is a string; other unique fields whenever set, references by id.
  if (field === ENTITIES[name].endpointKey) return typeof value === 'string' ? value : undefined;
  if (value === null || value === undefined) return undefined;
  return isObject(value) && 'id' in value ? value.id : value;
}

/** Schema error nodes as `in 'field.path': message` (1-based positions, as flattened errors show them). */
function describeNode(node: unknown, path: string, out: string[]): void {
  if (typeof node === 'string') {
    out.push(path === '' ? node : `in '${path}': ${node}`);
  } else if (Array.isArray(node)) {
    node.forEach((item: unknown, i: number) => {
      if (item !== null && item !== undefined) describeNode(item, path === '' ? String(i + 1) : `${path}.${i + 1}`, out);
    });
  } else if (isObject(node)) {
    for (const key of Object.keys(node).sort()) {
      const child = key === '@entity' ? path : path === '' ? key : `${path}.${key}`;
      describeNode(node[key], child, out);
    }
  }
}

function entityLabel(name: string, raw: unknown, position: number): string {
  const id = isObject(raw) ? raw.id : undefined;
  return typeof id === 'string' ? `${name} ${id}` : `${name} (upsert ${position + 1})`;
}

class Problems {
  readonly list: string[] = [];
  add(message: string): void {
    this.list.push(message);
  }
  get any(): boolean {
    return this.list.length > 0;
  }
  result(): PatchResult {
    const shown = this.list.slice(0, MAX_REPORTED);
    const more = this.list.length - shown.length;
    return { ok: false, error: shown.join('; ') + (more > 0 ? `; and ${more} more` : '') };
  }
}

/** What the patch does to one collection. */
interface CollectionChange {
  readonly upserts: Map<string, LoadedEntity>;
  readonly deletes: ReadonlySet<string>;
}

/** The patch's shape: known collections, lists, every upsert an object with an id, no id twice. */
function checkShape(patch: ConfigPatch, problems: Problems): Map<EntityName, Set<string>> {
  const deletes = new Map<EntityName, Set<string>>();
  for (const [name, list] of Object.entries(patch.deletes as Record<string, unknown>)) {
    if (!COLLECTIONS.has(name)) {
      problems.add(`deletes: unknown collection '${name}'`);
    } else if (!Array.isArray(list) || list.some((id: unknown) => typeof id !== 'string')) {
      problems.add(`${name}: deletes must be a list of ids`);
    } else {
      deletes.set(name as EntityName, new Set(list as string[]));
    }
  }
  for (const [name, list] of Object.entries(patch.upserts as Record<string, unknown>)) {
    if (!COLLECTIONS.has(name)) {
      problems.add(`upserts: unknown collection '${name}'`);
      continue;
    }
    if (!Array.isArray(list)) {
      problems.add(`${name}: upserts must be a list of entities`);
      continue;
    }
    const collection = name as EntityName;
    const seen = new Set<string>();
    const removed = deletes.get(collection);
    list.forEach((raw: unknown, position: number) => {
      const label = entityLabel(name, raw, position);
      if (!isObject(raw)) return problems.add(`${label}: expected an entity (an object)`);
      if (typeof raw.id !== 'string') return problems.add(`${label}: an upserted entity must carry its id`);
      if (seen.has(raw.id)) problems.add(`${label}: upserted twice`);
      seen.add(raw.id);
      if (removed?.has(raw.id)) problems.add(`${label}: both upserted and deleted`);
      for (const child of NESTING.get(collection) ?? []) {
        if (!isEmptyList(raw[child.collection])) {
          problems.add(`${label}: nested '${child.collection}' are not accepted in a patch; send them as upserts of '${child.collection}'`);
        }
      }
    });
  }
  return deletes;
}

/** Walks and validates the upserted entities exactly as a load walks top-level entities. */
function validateUpserts(patch: ConfigPatch, options: PatchOptions, now: number, problems: Problems): LoadedEntity[] {
  const level: Record<string, unknown> = {};
  for (const name of ENTITY_ORDER) {
    const list = patch.upserts[name];
    if (list && list.length > 0) level[name] = list;
  }
  const errors = new ErrorCollector();
  const ctx = createWalkContext(errors, now, options.plugins);
  walkCollections(level, null, null, ctx);
  if (!errors.hasErrors) return ctx.loaded;
  const tree = errors.toTree();
  for (const name of ENTITY_ORDER) {
    const node = tree[name];
    if (!Array.isArray(node)) continue;
    const list = level[name] as readonly unknown[];
    node.forEach((item: unknown, position: number) => {
      if (item === null || item === undefined) return;
      const lines: string[] = [];
      describeNode(item, '', lines);
      problems.add(`${entityLabel(name, list[position], position)}: ${lines.join(', ')}`);
    });
  }
  return ctx.loaded;
}

/** Every id to delete must exist. */
function checkDeletesExist(previous: FlatConfig, changes: ReadonlyMap<EntityName, CollectionChange>, problems: Problems): void {
  for (const [name, change] of changes) {
    if (change.deletes.size === 0) continue;
    const missing = new Set(change.deletes);
    for (const entity of entitiesOf(previous, name)) missing.delete(entity.id as string);
    for (const id of missing) problems.add(`${name} ${id}: cannot be deleted, there is no such entity`);
  }
}

/**
 * Resolves the references of upserted entities against the patched configuration, the way a load does:
 * by endpoint key first, then by id. Rewrites each to `{id}` of its target.
 */
function resolveUpsertReferences(
  previous: FlatConfig,
  loaded: readonly LoadedEntity[],
  changes: ReadonlyMap<EntityName, CollectionChange>,
  problems: Problems,
): void {
  // One scan per referenced collection answers every lookup into it.
  const wanted = new Map<EntityName, Set<string>>();
  for (const item of loaded) {
    for (const ref of item.references) {
      const key = typeof ref.value === 'string' ? ref.value : ref.value.id;
      if (typeof key !== 'string') continue;
      let keys = wanted.get(ref.reference);
      if (!keys) wanted.set(ref.reference, (keys = new Set()));
      keys.add(key);
    }
  }
  const byKey = new Map<EntityName, Map<string, string>>();
  const byId = new Map<EntityName, Set<string>>();
  for (const [name, keys] of wanted) {
    const endpointKey = ENTITIES[name].endpointKey;
    const keyed = endpointKey !== null && ENTITIES[name].uniqueFields.includes(endpointKey) ? endpointKey : null;
    const keyHits = new Map<string, string>();
    const idHits = new Set<string>();
    const note = (entity: Entity) => {
      const id = entity.id as string;
      if (keys.has(id)) idHits.add(id);
      const key = keyed === null ? undefined : entity[keyed];
      if (typeof key === 'string' && keys.has(key) && !keyHits.has(key)) keyHits.set(key, id);
    };
    const change = changes.get(name);
    for (const entity of entitiesOf(previous, name)) {
      const id = entity.id as string;
      if (change && (change.deletes.has(id) || change.upserts.has(id))) continue;
      note(entity);
    }
    if (change) for (const item of change.upserts.values()) note(item.entity);
    byKey.set(name, keyHits);
    byId.set(name, idHits);
  }
  for (const item of loaded) {
    for (const ref of item.references) {
      const key = typeof ref.value === 'string' ? ref.value : ref.value.id;
      const target =
        typeof key !== 'string' ? undefined : (byKey.get(ref.reference)?.get(key) ?? (byId.get(ref.reference)?.has(key) ? key : undefined));
      if (target !== undefined) {
        item.entity[ref.field] = { id: target };
        continue;
      }
      const shown = typeof key === 'string' ? key : JSON.stringify(ref.value);
      const deleted = typeof key === 'string' && changes.get(ref.reference)?.deletes.has(key);
      problems.add(
        `${item.collection} ${item.id}: references ${ref.field} ${shown} which ${deleted ? 'this patch deletes' : 'does not exist'}`,
      );
    }
  }
}

/** No entity left in place may reference an entity the patch deletes (upserted ones were resolved already). */
function checkDanglingReferences(previous: FlatConfig, changes: ReadonlyMap<EntityName, CollectionChange>, problems: Problems): void {
  for (const name of ENTITY_ORDER) {
    const keys = ENTITIES[name].foreignKeys.filter((fk) => (changes.get(fk.reference)?.deletes.size ?? 0) > 0);
    if (keys.length === 0) continue;
    const own = changes.get(name);
    for (const entity of entitiesOf(previous, name)) {
      const id = entity.id as string;
      if (own && (own.deletes.has(id) || own.upserts.has(id))) continue;
      for (const fk of keys) {
        const target = referencedId(entity[fk.field]);
        if (typeof target === 'string' && changes.get(fk.reference)?.deletes.has(target)) {
          problems.add(`${name} ${id}: references ${fk.field} ${target} which this patch deletes`);
        }
      }
    }
  }
}

/** Unique fields stay unique: only upserted values can collide, with each other or with what stays. */
function checkUniqueness(previous: FlatConfig, changes: ReadonlyMap<EntityName, CollectionChange>, problems: Problems): void {
  for (const [name, change] of changes) {
    const fields = ENTITIES[name].uniqueFields;
    if (change.upserts.size === 0 || fields.length === 0) continue;
    const taken = fields.map(() => new Map<unknown, string>());
    for (const item of change.upserts.values()) {
      fields.forEach((field, i) => {
        const value = uniqueValue(name, field, item.entity);
        if (value === undefined) return;
        const other = taken[i].get(value);
        if (other !== undefined) problems.add(`${name} ${item.id}: ${field} '${String(value)}' is also upserted by ${name} ${other}`);
        else taken[i].set(value, item.id);
      });
    }
    for (const entity of entitiesOf(previous, name)) {
      const id = entity.id as string;
      if (change.deletes.has(id) || change.upserts.has(id)) continue;
      for (let i = 0; i < fields.length; i++) {
        const value = uniqueValue(name, fields[i], entity);
        if (value === undefined) continue;
        const upserted = taken[i].get(value);
        if (upserted !== undefined) problems.add(`${name} ${upserted}: ${fields[i]} '${String(value)}' is already used by ${name} ${id}`);
      }
    }
  }
}

/** The collection with deletes dropped, replacements in place and new entities appended. */
function patchedCollection(before: readonly Entity[], deletes: ReadonlySet<string>, upserted: readonly Entity[]): Entity[] {
  const pending = new Map<string, Entity>();
  for (const entity of upserted) pending.set(entity.id as string, entity);
  const out: Entity[] = [];
  for (const entity of before) {
    const id = entity.id as string;
    if (deletes.has(id)) continue;
    const replacement = pending.get(id);
    if (replacement === undefined) {
      out.push(entity);
    } else {
      out.push(replacement);
      pending.delete(id);
    }
  }
  for (const entity of pending.values()) out.push(entity);
  return out;
}

/**
 * Applies `patch` to `previous`, which was produced by loadDeclarative (or by an earlier patch) and is not
 * modified; the result shares every untouched entity object and every untouched collection array with it.
 * Fails, naming the collection, the entity id and the reason, whenever a full load of the patched
 * configuration would fail (and on the patch-only errors listed at the top of this module).
 */
export function patchFlatConfig(previous: FlatConfig, patch: ConfigPatch, options: PatchOptions): PatchResult {
  const problems = new Problems();
  if (!isObject(patch) || !isObject(patch.upserts) || !isObject(patch.deletes)) {
    return { ok: false, error: 'a patch needs `upserts` and `deletes` objects' };
  }
  const deletes = checkShape(patch, problems);
  if (problems.any) return problems.result();

  const loaded = validateUpserts(patch, options, options.now ?? Date.now(), problems);
  if (problems.any) return problems.result();

  const changes = new Map<EntityName, CollectionChange>();
  for (const name of ENTITY_ORDER) {
    const removed = deletes.get(name);
    const hasUpserts = (patch.upserts[name]?.length ?? 0) > 0;
    if (hasUpserts || (removed !== undefined && removed.size > 0)) {
      changes.set(name, { upserts: new Map(), deletes: removed ?? new Set() });
    }
  }
  for (const item of loaded) changes.get(item.collection)?.upserts.set(item.id, item);

  checkDeletesExist(previous, changes, problems);
  resolveUpsertReferences(previous, loaded, changes, problems);
  checkDanglingReferences(previous, changes, problems);
  checkUniqueness(previous, changes, problems);
  if (problems.any) return problems.result();

  const fresh = buildFlatConfig(loaded, false);
  const config: FlatConfig = { ...previous };
  const writable = config as unknown as Record<EntityName, Entity[]>;
  for (const [name, change] of changes) {
    writable[name] = patchedCollection(entitiesOf(previous, name), change.deletes, entitiesOf(fresh, name));
  }
  return { ok: true, config };
}
