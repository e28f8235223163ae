/**
 * `flattened_errors`: the error tree re-expressed as one entry per failing entity, nested entities hoisted
 * to the top, each with the entity as submitted and a flat list of `field`/`entity` errors. Errors that
 * can be attributed are removed from the tree; what is left (top-level fields) stays in `fields`. Errors
 * filed under a name or id cannot be attributed and are dropped, as Kong does.
 */
import { ENTITIES, ENTITY_ORDER, memoizeOnRegistry, type EntityName } from '../entities/index.ts';
import { isUuid } from '../schema/index.ts';
import type { FlattenedError } from './types.ts';

interface Relationship {
  /** The entity holding the foreign key. */
  entity: EntityName;
  /** Its foreign-key field. */
  field: string;
  /** The referenced collection. */
  reference: EntityName;
}

/** For each collection: its own foreign keys and the collections that may nest under it. */
const relationships = memoizeOnRegistry((): ReadonlyMap<string, readonly Relationship[]> => {
  const map = new Map<string, Relationship[]>();
  for (const name of ENTITY_ORDER) map.set(name, []);
  for (const name of ENTITY_ORDER) {
    for (const fk of ENTITIES[name].foreignKeys) {
      const rel = { entity: name, field: fk.field, reference: fk.reference };
      map.get(name)?.push(rel);
      map.get(fk.reference)?.push(rel);
    }
  }
  return map;
});

type Errors = Record<string, unknown>;
type Entry = FlattenedError['errors'][number];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deepCopy);
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = deepCopy(value[key]);
    return out;
  }
  return value;
}

/** Sorted keys of an error node: 1-based numbers for lists, names otherwise. */
function keysOf(node: unknown): (string | number)[] {
  if (Array.isArray(node)) {
    const keys: number[] = [];
    node.forEach((item: unknown, i: number) => {
      if (item !== null && item !== undefined) keys.push(i + 1);
    });
    return keys;
  }
  if (!isObject(node)) return [];
  return Object.keys(node).sort();
}

function valueAt(node: unknown, key: string | number): unknown {
  if (Array.isArray(node)) return node[(key as number) - 1];
  return (node as Record<string, unknown>)[key as string];
}

function join(ns: string, field: string | number): string {
  return ns === '' ? String(field) : `${ns}.${field}`;
}

function addEntityMessages(err: unknown, out: Entry[]): void {
  if (Array.isArray(err)) for (const message of err) addEntityMessages(message, out);
  else if (err !== null && err !== undefined) out.push({ type: 'entity', message: String(err) });
}

function categorize(errors: unknown, ns: string, out: Entry[]): Entry[] {
  for (const key of keysOf(errors)) {
    const err = valueAt(errors, key);
    if (key === '@entity') addEntityMessages(err, out);
    else if (typeof err === 'string') out.push({ type: 'field', field: join(ns, key), message: err });
    else if (typeof err === 'object' && err !== null) categorize(err, join(ns, key), out);
  }
  return out;
}

function primaryKeyOf(entity: Record<string, unknown>): { id: string } | undefined {
  return typeof entity.id === 'string' && isUuid(entity.id) ? { id: entity.id } : undefined;
}

function singular(collection: string): string {
  return collection.endsWith('s') ? collection.slice(0, -1) : collection;
}

function addEntityErrors(collection: string, entity: Record<string, unknown>, input: unknown, out: FlattenedError[]): void {
  let errors: Errors;
  if (typeof input === 'string') errors = { '@entity': input };
  else if (isObject(input) && Object.keys(input).length > 0) errors = { ...input };
  else return;

  const pk = primaryKeyOf(entity);
  for (const rel of relationships().get(collection) ?? []) {
    if (rel.entity === collection) {
      // The entity's own reference given as an object: report its errors as that entity's.
      const value = entity[rel.field];
      if (!isObject(value)) continue;
      const fieldErrors = errors[rel.field];
      const reference = primaryKeyOf(value);
      if (reference) entity[rel.field] = reference;
      else delete entity[rel.field];
      delete errors[rel.field];
      addEntityErrors(rel.reference, value, fieldErrors, out);
    } else {
      // Entities nested under this one: hoist them, pointing back to this entity.
      const children = entity[rel.entity];
      if (!Array.isArray(children)) continue;
      const childErrors = errors[rel.entity];
      delete entity[rel.entity];
      delete errors[rel.entity];
      if (!Array.isArray(childErrors)) continue;
      children.forEach((child: unknown, i: number) => {
        if (!isObject(child)) return;
        if (child[rel.field] === undefined && pk) child[rel.field] = { ...pk };
        addEntityErrors(rel.entity, child, childErrors[i], out);
      });
    }
  }

  if (Object.keys(errors).length === 0) return;
  const entries = categorize(errors, '', []);
  if (entries.length === 0) return;
  const item: FlattenedError = { entity_type: singular(collection), entity, errors: entries };
  if (typeof entity.name === 'string' && entity.name.length > 0) item.entity_name = entity.name;
  if (pk) item.entity_id = pk.id;
  if (Array.isArray(entity.tags) && entity.tags.every((tag: unknown) => typeof tag === 'string')) {
    item.entity_tags = [...(entity.tags as string[])];
  }
  // Kong lists the entity's own entry after the entries of what it contains.
  out.push(item);
}

/**
 * Splits an error tree into flattened entity errors and the part of the tree that is not about an entity.
 * `document` is the configuration as submitted (with the ids derived so far); it is not modified.
 */
export function flattenErrors(
  document: Record<string, unknown>,
  tree: Record<string, unknown>,
): { flattened: FlattenedError[]; remaining: Record<string, unknown> } {
  const flattened: FlattenedError[] = [];
  const remaining: Record<string, unknown> = {};
  for (const section of Object.keys(tree).sort()) {
    const sectionErrors = tree[section];
    const entities = document[section];
    if (typeof sectionErrors !== 'object' || sectionErrors === null || !Array.isArray(entities)) {
      remaining[section] = sectionErrors;
      continue;
    }
    for (const key of keysOf(sectionErrors)) {
      if (typeof key !== 'number' && !/^[1-9][0-9]*$/.test(key)) continue;
      const entity: unknown = entities[Number(key) - 1];
      if (isObject(entity)) addEntityErrors(section, deepCopy(entity) as Record<string, unknown>, valueAt(sectionErrors, key), flattened);
    }
  }
  return { flattened, remaining };
}
