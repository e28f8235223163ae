/**
 * Applies a configuration delta (per collection: complete entities to insert or replace, ids to delete) to
 * a flat configuration without re-validating what the delta does not touch. The outcome is the one a full
 * load of the patched file (`_transform: false`) would give: upserted entities go through the loader's own
 * walk (schema, defaults, reference placeholders) and finalisation; the cross-entity rules of a load
 * (references resolve, unique values stay unique) are checked only where the delta can break them, with one
 * pass over each collection the delta involves (reading ids and a few fields, a few milliseconds per
 * 100,000 entities) and no state kept between calls.
 *
 * Differences from a full load, by design:
 * - `updated_at`: upserted entities are stamped with `now`, as a load at `now` would; untouched entities keep
 *   the value they had (a full load would restamp every entity).
 * - Upserted entities must carry their id (a patch names entities by id), may not carry nested entities
 *   (each goes in its own collection), and a collection may not both upsert and delete one id.
 * - Deleting an id that is not there is an error (a reload would silently ignore it).
 * - References of untouched entities keep pointing where they point. A load looks a reference up by
 *   endpoint key before id, so a reload would move every `{id: X}` to an upserted entity whose name is the
 *   string X. The control plane resolved those references to ids already; following them is what it meant.
 */
import { ENTITIES, ENTITY_ORDER, isEntityName, memoizeOnRegistry, type EntityName, type PluginSchemaRegistry } from '../entities/index.ts';
import { ErrorCollector } from './error-collector.ts';
import { buildFlatConfig } from './finalize.ts';
import { nesting } from './nesting.ts';
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
    if (!isEntityName(name)) {
      problems.add(`deletes: unknown collection '${name}'`);
    } else if (!Array.isArray(list) || list.some((id: unknown) => typeof id !== 'string')) {
      problems.add(`${name}: deletes must be a list of ids`);
    } else {
      deletes.set(name as EntityName, new Set(list as string[]));
    }
  }
  for (const [name, list] of Object.entries(patch.upserts as Record<string, unknown>)) {
    if (!isEntityName(name)) {
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
      for (const child of nesting().get(collection) ?? []) {
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

/**
 * What one pass over a collection of `previous` must find out. Every check of a patch is phrased as such a
 * question, so that each collection involved is read once, whatever the patch holds; untouched entities
 * are only read, never validated.
 */
interface Question {
  /** Ids whose position is wanted (deletes, replacements, reference targets). */
  readonly ids: Set<string>;
  /** Per unique field: values whose holder is wanted (upserted values, references by endpoint key). */
  readonly values: Map<string, Set<unknown>>;
  /** Per foreign-key field: referenced ids whose referrers are wanted (targets of deletes). */
  readonly targets: Map<string, Set<string>>;
}

interface Answer {
  readonly positions: ReadonlyMap<string, number>;
  /** Per unique field: value → id of the (first) entity holding it. */
  readonly holders: ReadonlyMap<string, ReadonlyMap<unknown, string>>;
  /** Per foreign-key field: referenced id → ids of the entities referencing it. */
  readonly referrers: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
}

function newQuestion(): Question {
  return { ids: new Set(), values: new Map(), targets: new Map() };
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

/** One pass over `list` answering `question`. */
function scan(name: EntityName, list: readonly Entity[], question: Question): Answer {
  const positions = new Map<string, number>();
  const values = [...question.values].map(([field, wanted]) => ({ field, wanted, found: new Map<unknown, string>() }));
  const targets = [...question.targets].map(([field, wanted]) => ({ field, wanted, found: new Map<string, string[]>() }));
  const ids = question.ids;
  for (let i = 0; i < list.length; i++) {
    const entity = list[i];
    const id = entity.id as string;
    if (ids.has(id)) positions.set(id, i);
    for (let v = 0; v < values.length; v++) {
      const slot = values[v];
      const value = uniqueValue(name, slot.field, entity);
      if (value !== undefined && slot.wanted.has(value) && !slot.found.has(value)) slot.found.set(value, id);
    }
    for (let t = 0; t < targets.length; t++) {
      const slot = targets[t];
      const target = referencedId(entity[slot.field]);
      if (typeof target !== 'string' || !slot.wanted.has(target)) continue;
      const referrers = slot.found.get(target);
      if (referrers) referrers.push(id);
      else slot.found.set(target, [id]);
    }
  }
  return {
    positions,
    holders: new Map(values.map((slot) => [slot.field, slot.found])),
    referrers: new Map(targets.map((slot) => [slot.field, slot.found])),
  };
}

/** For each collection, the foreign keys of other collections that point to it. */
const referring = memoizeOnRegistry((): ReadonlyMap<EntityName, readonly { collection: EntityName; field: string }[]> => {
  const map = new Map<EntityName, { collection: EntityName; field: string }[]>();
  for (const name of ENTITY_ORDER) map.set(name, []);
  for (const name of ENTITY_ORDER) {
    for (const fk of ENTITIES[name].foreignKeys) map.get(fk.reference)?.push({ collection: name, field: fk.field });
  }
  return map;
});

/** The unique endpoint key of a collection (what references may name an entity by), or null. */
function keyField(name: EntityName): string | null {
  const meta = ENTITIES[name];
  return meta.endpointKey !== null && meta.uniqueFields.includes(meta.endpointKey) ? meta.endpointKey : null;
}

function referenceKey(value: string | Record<string, unknown>): unknown {
  return typeof value === 'string' ? value : value.id;
}

const NO_ANSWER: Answer = { positions: new Map(), holders: new Map(), referrers: new Map() };

/** The previous configuration seen through the patch: what stays, what goes, what replaces what. */
class PatchView {
  readonly previous: FlatConfig;
  readonly changes: ReadonlyMap<EntityName, CollectionChange>;
  readonly #answers = new Map<EntityName, Answer>();
  readonly #upsertedKeys = new Map<EntityName, Map<string, string>>();

  constructor(previous: FlatConfig, changes: ReadonlyMap<EntityName, CollectionChange>, loaded: readonly LoadedEntity[]) {
    this.previous = previous;
    this.changes = changes;
    const questions = new Map<EntityName, Question>();
    const ask = (name: EntityName): Question => {
      let question = questions.get(name);
      if (!question) questions.set(name, (question = newQuestion()));
      return question;
    };
    for (const [name, change] of changes) {
      const question = ask(name);
      for (const id of change.deletes) question.ids.add(id);
      for (const [id, item] of change.upserts) {
        question.ids.add(id);
        for (const field of ENTITIES[name].uniqueFields) {
          const value = uniqueValue(name, field, item.entity);
          if (value !== undefined) addTo(question.values, field, value);
        }
      }
      for (const { collection, field } of change.deletes.size > 0 ? (referring().get(name) ?? []) : []) {
        for (const id of change.deletes) addTo(ask(collection).targets, field, id);
      }
    }
    for (const item of loaded) {
      for (const ref of item.references) {
        const key = referenceKey(ref.value);
        if (typeof key !== 'string') continue;
        const question = ask(ref.reference);
        question.ids.add(key);
        const field = keyField(ref.reference);
        if (field !== null) addTo(question.values, field, key);
      }
    }
    for (const [name, question] of questions) this.#answers.set(name, scan(name, entitiesOf(previous, name), question));
  }

  answer(name: EntityName): Answer {
    return this.#answers.get(name) ?? NO_ANSWER;
  }

  /** Whether the previous entity `id` is deleted or replaced by the patch (its old values no longer count). */
  superseded(name: EntityName, id: string): boolean {
    const change = this.changes.get(name);
    return change !== undefined && (change.deletes.has(id) || change.upserts.has(id));
  }

  #upsertedKey(name: EntityName, field: string, key: string): string | undefined {
    let keys = this.#upsertedKeys.get(name);
    if (!keys) {
      keys = new Map();
      for (const item of this.changes.get(name)?.upserts.values() ?? []) {
        const value = item.entity[field];
        if (typeof value === 'string' && !keys.has(value)) keys.set(value, item.id);
      }
      this.#upsertedKeys.set(name, keys);
    }
    return keys.get(key);
  }

  /** The id of the patched collection's entity a reference names, looked up as a load does: by key, then id. */
  lookup(name: EntityName, key: string): string | undefined {
    const answer = this.answer(name);
    const field = keyField(name);
    if (field !== null) {
      const upserted = this.#upsertedKey(name, field, key);
      if (upserted !== undefined) return upserted;
      const holder = answer.holders.get(field)?.get(key);
      if (holder !== undefined && !this.superseded(name, holder)) return holder;
    }
    if (this.changes.get(name)?.upserts.has(key)) return key;
    if (answer.positions.has(key) && !this.changes.get(name)?.deletes.has(key)) return key;
    return undefined;
  }
}

/** Every id to delete must exist. */
function checkDeletesExist(view: PatchView, problems: Problems): void {
  for (const [name, change] of view.changes) {
    const positions = view.answer(name).positions;
    for (const id of change.deletes) if (!positions.has(id)) problems.add(`${name} ${id}: cannot be deleted, there is no such entity`);
  }
}

/** Resolves the references of upserted entities against the patched configuration, rewriting each to `{id}`. */
function resolveUpsertReferences(view: PatchView, loaded: readonly LoadedEntity[], problems: Problems): void {
  for (const item of loaded) {
    for (const ref of item.references) {
      const key = referenceKey(ref.value);
      const target = typeof key === 'string' ? view.lookup(ref.reference, key) : undefined;
      if (target !== undefined) {
        item.entity[ref.field] = { id: target };
        continue;
      }
      const shown = typeof key === 'string' ? key : JSON.stringify(ref.value);
      const deleted = typeof key === 'string' && view.changes.get(ref.reference)?.deletes.has(key);
      problems.add(`${item.collection} ${item.id}: references ${ref.field} ${shown} which ${deleted ? 'this patch deletes' : 'does not exist'}`);
    }
  }
}

/** No entity left in place may reference an entity the patch deletes (upserted ones were resolved already). */
function checkDanglingReferences(view: PatchView, problems: Problems): void {
  for (const [name, change] of view.changes) {
    if (change.deletes.size === 0) continue;
    for (const { collection, field } of referring().get(name) ?? []) {
      const byTarget = view.answer(collection).referrers.get(field);
      for (const target of change.deletes) {
        for (const id of byTarget?.get(target) ?? []) {
          if (!view.superseded(collection, id)) problems.add(`${collection} ${id}: references ${field} ${target} which this patch deletes`);
        }
      }
    }
  }
}

/** Unique fields stay unique: only upserted values can collide, with each other or with what stays. */
function checkUniqueness(view: PatchView, problems: Problems): void {
  for (const [name, change] of view.changes) {
    if (change.upserts.size === 0) continue;
    const holders = view.answer(name).holders;
    for (const field of ENTITIES[name].uniqueFields) {
      const taken = new Map<unknown, string>();
      for (const item of change.upserts.values()) {
        const value = uniqueValue(name, field, item.entity);
        if (value === undefined) continue;
        const other = taken.get(value);
        if (other !== undefined) {
          problems.add(`${name} ${item.id}: ${field} '${String(value)}' is also upserted by ${name} ${other}`);
          continue;
        }
        taken.set(value, item.id);
        const holder = holders.get(field)?.get(value);
        if (holder !== undefined && holder !== item.id && !view.superseded(name, holder)) {
          problems.add(`${name} ${item.id}: ${field} '${String(value)}' is already used by ${name} ${holder}`);
        }
      }
    }
  }
}

/** Beyond this many deletes, one filtering copy beats moving the array's tail for each. */
const SPLICE_LIMIT = 4;

/** The collection with deletes dropped, replacements in place and new entities appended. */
function patchCollection(name: EntityName, view: PatchView, change: CollectionChange, upserted: readonly Entity[]): Entity[] {
  const positions = view.answer(name).positions;
  let out = entitiesOf(view.previous, name).slice();
  const appended: Entity[] = [];
  for (const entity of upserted) {
    const position = positions.get(entity.id as string);
    if (position === undefined) appended.push(entity);
    else out[position] = entity;
  }
  const dropped = [...change.deletes].map((id) => positions.get(id) as number);
  if (dropped.length <= SPLICE_LIMIT) {
    for (const position of dropped.sort((a, b) => b - a)) out.splice(position, 1);
  } else {
    const drop = new Uint8Array(out.length);
    for (const position of dropped) drop[position] = 1;
    out = out.filter((_, i) => drop[i] === 0);
  }
  for (const entity of appended) out.push(entity);
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

  const view = new PatchView(previous, changes, loaded);
  checkDeletesExist(view, problems);
  if (problems.any) return problems.result();
  resolveUpsertReferences(view, loaded, problems);
  checkDanglingReferences(view, problems);
  checkUniqueness(view, problems);
  if (problems.any) return problems.result();

  const fresh = buildFlatConfig(loaded, false);
  const config: FlatConfig = { ...previous };
  const writable = config as unknown as Record<EntityName, Entity[]>;
  for (const [name, change] of changes) writable[name] = patchCollection(name, view, change, entitiesOf(fresh, name));
  return { ok: true, config };
}
