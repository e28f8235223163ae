/**
 * First phase of a load: walk the document (top-level collections, then nested ones, depth first in
 * dependency order), give every entity its id, and validate it against its schema. Nested entities get
 * their parent reference filled in; top-level references (`service: my-service`) are recorded for the
 * second phase. Schema errors are collected for the whole document before anything else is checked.
 */
import { randomUUID } from 'node:crypto';
import { ENTITIES, ENTITY_ORDER, ENTITY_SCHEMAS, pluginSubschemas, type EntityName } from '../entities/index.ts';
import { MSG, validateRecord, type ErrorNode, type PluginSchemaRegistry, type SubschemaDef } from '../schema/index.ts';
import { deriveEntityId } from './ids.ts';
import { nesting } from './nesting.ts';
import type { EntityLocation, ErrorCollector } from './error-collector.ts';

/** A top-level reference to another entity, by endpoint key / id string or as `{id}`. */
export interface Reference {
  field: string;
  reference: EntityName;
  value: string | Record<string, unknown>;
}

export interface LoadedEntity {
  readonly collection: EntityName;
  readonly location: EntityLocation;
  /** The entity as written in the document. */
  readonly raw: Record<string, unknown>;
  /** The validated entity (defaults filled); references are resolved in place later. */
  readonly entity: Record<string, unknown>;
  readonly id: string;
  readonly references: readonly Reference[];
}

export interface WalkContext {
  readonly errors: ErrorCollector;
  readonly now: number;
  readonly pluginSubschemas: ReadonlyMap<string, SubschemaDef>;
  /** Valid entities in document order (depth first). */
  readonly loaded: LoadedEntity[];
  /** Ids derived from keys, by raw entity object (Kong shows them in flattened errors). */
  readonly derivedIds: Map<object, string>;
}

interface ParentInfo {
  readonly collection: EntityName;
  readonly id: string;
  /** False when the parent got a random id: Kong then derives no id from it. */
  readonly idIsStable: boolean;
  /** The parent's endpoint-key value as written (a child may name its parent by it). */
  readonly key: unknown;
  /** The child's field that points to this parent. */
  readonly field: string;
}

/** Stands in for a top-level reference during schema validation, until references are resolved. */
const PLACEHOLDER_ID = '00000000-0000-0000-0000-000000000000';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function createWalkContext(errors: ErrorCollector, now: number, plugins: PluginSchemaRegistry): WalkContext {
  return { errors, now, pluginSubschemas: pluginSubschemas(plugins), loaded: [], derivedIds: new Map() };
}

/**
 * Cache-key fields added after Kong OSS's key (plugins' `consumer_group`, from Kong Enterprise): left out of
 * the derived id while unset, so entities of files without them keep the ids Kong OSS derives.
 */
const LATER_CACHE_KEY_FIELDS: Readonly<Record<string, string>> = { plugins: 'consumer_group' };

function isUnset(raw: Record<string, unknown>, field: string, parent: ParentInfo | null): boolean {
  return (raw[field] === undefined || raw[field] === null) && parent?.field !== field;
}

/** Kong's cache-key or endpoint-key text from which an entity's id is derived, or null. */
function idKey(collection: EntityName, raw: Record<string, unknown>, parent: ParentInfo | null): string | null {
  const schema = ENTITY_SCHEMAS[collection];
  if (schema.cache_key) {
    const parts: string[] = [collection, '*'];
    const later = Object.prototype.hasOwnProperty.call(LATER_CACHE_KEY_FIELDS, collection) ? LATER_CACHE_KEY_FIELDS[collection] : null;
    for (const name of schema.cache_key) {
      if (name === later && isUnset(raw, name, parent)) continue;
      const def = schema.fields[name];
      if (def.auto) return null;
      const value = raw[name];
      if (typeof value === 'string') {
        parts.push(value);
      } else if (value === undefined) {
        if (parent && name === parent.field) {
          if (!parent.idIsStable) return null;
          parts.push(parent.id);
        } else if (def.required) {
          return null;
        } else {
          parts.push('');
        }
      }
      // Kong skips other values (objects, null) without a placeholder; the key is built the same way.
    }
    return parts.join(':');
  }
  const endpointKey = schema.endpoint_key;
  if (endpointKey && schema.fields[endpointKey].unique) {
    const value = raw[endpointKey];
    if (typeof value === 'string') return value;
  }
  return null;
}

function refersToParent(value: unknown, parent: ParentInfo): boolean {
  if (typeof value === 'string') return value === parent.id || value === parent.key;
  return isObject(value) && value.id === parent.id;
}

/** Walks the collections of one level: the document, or the nested lists of one entity. */
export function walkCollections(
  level: Record<string, unknown>,
  parent: ParentInfo | null,
  parentLocation: EntityLocation | null,
  ctx: WalkContext,
): void {
  const collections = parent ? (nesting().get(parent.collection) ?? []).map((n) => n.collection) : ENTITY_ORDER;
  for (const collection of collections) {
    const list = level[collection];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      if (isObject(list) && Object.keys(list).length === 0) continue;
      ctx.errors.addCollection(parentLocation, collection, MSG.ARRAY);
      continue;
    }
    for (let index = 0; index < list.length; index++) {
      const location: EntityLocation = { parent: parentLocation, collection, index };
      const item: unknown = list[index];
      if (Array.isArray(item) && item.length === 0) {
        walkEntity(collection, {}, location, parent, ctx);
      } else if (!isObject(item)) {
        ctx.errors.addEntityMessage(location, item === null ? MSG.REQUIRED : MSG.RECORD);
      } else {
        walkEntity(collection, item, location, parent, ctx);
      }
    }
  }
}

function walkEntity(
  collection: EntityName,
  raw: Record<string, unknown>,
  location: EntityLocation,
  parent: ParentInfo | null,
  ctx: WalkContext,
): void {
  const meta = ENTITIES[collection];
  const nested = nesting().get(collection) ?? [];
  const data: Record<string, unknown> = {};
  const errors: Record<string, ErrorNode> = {};
  let hasErrors = false;
  let children: Record<string, unknown> | null = null;

  for (const key in raw) {
    const value = raw[key];
    if (key === '_comment') {
      if (typeof value !== 'string') {
        errors._comment = MSG.STRING;
        hasErrors = true;
      }
    } else if (key === '_ignore') {
      if (!Array.isArray(value)) {
        errors._ignore = MSG.ARRAY;
        hasErrors = true;
      }
    } else if (nested.some((n) => n.collection === key)) {
      (children ??= {})[key] = value;
    } else {
      data[key] = value;
    }
  }

  const references: Reference[] = [];
  for (const fk of meta.foreignKeys) {
    const value = data[fk.field];
    if (parent) {
      if (fk.field === parent.field) {
        if (value !== undefined && value !== null && !refersToParent(value, parent)) {
          errors[fk.field] = 'value must be null';
          hasErrors = true;
        }
        data[fk.field] = { id: parent.id };
      } else if (value !== undefined && value !== null) {
        // A nested entity is scoped by its parent only; other references belong at the top level.
        errors[fk.field] = 'value must be null';
        hasErrors = true;
        delete data[fk.field];
      }
    } else if (typeof value === 'string') {
      if (value === '') {
        errors[fk.field] = 'length must be at least 1';
        hasErrors = true;
      } else {
        references.push({ field: fk.field, reference: fk.reference, value });
        data[fk.field] = { id: PLACEHOLDER_ID };
      }
    } else if (isObject(value)) {
      references.push({ field: fk.field, reference: fk.reference, value });
    } else if (value !== undefined && value !== null) {
      errors[fk.field] = MSG.STRING;
      hasErrors = true;
      delete data[fk.field];
    }
  }

  let id: string;
  let idIsStable = true;
  if (raw.id !== undefined && raw.id !== null) {
    id = String(raw.id);
  } else {
    const key = idKey(collection, raw, parent);
    if (key !== null) {
      id = deriveEntityId(collection, key);
      ctx.derivedIds.set(raw, id);
    } else {
      id = randomUUID();
      idIsStable = false;
    }
    data.id = id;
  }

  const result = validateRecord(ENTITY_SCHEMAS[collection], data, {
    now: ctx.now,
    subschemas: collection === 'plugins' ? ctx.pluginSubschemas : undefined,
  });
  if (!result.ok) {
    ctx.errors.addFields(location, { ...result.errors, ...errors });
  } else if (hasErrors) {
    ctx.errors.addFields(location, errors);
  } else {
    ctx.loaded.push({ collection, location, raw, entity: result.value as Record<string, unknown>, id, references });
  }

  if (children) {
    for (const child of nested) {
      if (children[child.collection] === undefined) continue;
      const endpointKey = meta.endpointKey;
      const info: ParentInfo = {
        collection,
        id,
        idIsStable,
        key: endpointKey ? raw[endpointKey] : undefined,
        field: child.field,
      };
      walkCollections({ [child.collection]: children[child.collection] }, info, location, ctx);
    }
  }
}
