/**
 * Second phase of a load, run only when every entity passed its schema: duplicate endpoint keys and
 * primary keys, unresolved references, duplicate unique values. Messages and where they are filed follow
 * Kong: duplicates by position, unresolved references and unique values under the entity's name or id.
 */
import { ENTITIES, ENTITY_ORDER, type EntityName } from '../entities/index.ts';
import type { ErrorCollector } from './error-collector.ts';
import type { LoadedEntity } from './walk.ts';

function uniquenessMessage(collection: string, field: string, value: unknown): string {
  return `uniqueness violation: '${collection}' entity with ${field} set to '${String(value)}' already declared`;
}

/** How Kong names an entity in keyed errors: its endpoint-key value when unique and set, else its id. */
function errorKeyOf(item: LoadedEntity): string {
  const meta = ENTITIES[item.collection];
  const endpointKey = meta.endpointKey;
  if (endpointKey && meta.uniqueFields.includes(endpointKey)) {
    const value = item.entity[endpointKey];
    if (typeof value === 'string') return value;
  }
  return item.id;
}

export interface EntityIndex {
  byId: Map<EntityName, Map<string, LoadedEntity>>;
  byKey: Map<EntityName, Map<string, LoadedEntity>>;
}

/** Indexes entities by id and by unique endpoint key, reporting duplicates of either. */
export function indexEntities(loaded: readonly LoadedEntity[], errors: ErrorCollector): EntityIndex {
  const byId = new Map<EntityName, Map<string, LoadedEntity>>();
  const byKey = new Map<EntityName, Map<string, LoadedEntity>>();
  for (const name of ENTITY_ORDER) {
    byId.set(name, new Map());
    byKey.set(name, new Map());
  }
  for (const item of loaded) {
    const meta = ENTITIES[item.collection];
    const endpointKey = meta.endpointKey;
    let failed = false;
    if (endpointKey && meta.uniqueFields.includes(endpointKey)) {
      const key = item.entity[endpointKey];
      if (typeof key === 'string') {
        const keys = byKey.get(item.collection) as Map<string, LoadedEntity>;
        if (keys.has(key)) {
          errors.addEntityMessage(item.location, uniquenessMessage(item.collection, endpointKey, key));
          failed = true;
        } else {
          keys.set(key, item);
        }
      }
    }
    const ids = byId.get(item.collection) as Map<string, LoadedEntity>;
    if (ids.has(item.id)) {
      if (!failed) errors.addEntityMessage(item.location, uniquenessMessage(item.collection, 'primary key', item.id));
    } else {
      ids.set(item.id, item);
    }
  }
  return { byId, byKey };
}

/** Replaces top-level references by `{id}` of the entity they name; reports those naming nothing. */
export function resolveReferences(loaded: readonly LoadedEntity[], index: EntityIndex, errors: ErrorCollector): void {
  for (const item of loaded) {
    for (const ref of item.references) {
      const key = typeof ref.value === 'string' ? ref.value : ref.value.id;
      const target =
        typeof key === 'string' ? (index.byKey.get(ref.reference)?.get(key) ?? index.byId.get(ref.reference)?.get(key)) : undefined;
      if (target) {
        item.entity[ref.field] = { id: target.id };
        continue;
      }
      const shown = typeof ref.value === 'string' ? ref.value : JSON.stringify(ref.value);
      const message = `invalid reference '${ref.field}: ${shown}' (no such entry in '${ref.reference}')`;
      errors.addKeyed(item.collection, errorKeyOf(item), message, true);
    }
  }
}

/** Reports repeated values of unique fields other than the endpoint key (e.g. consumers' `custom_id`). */
export function checkUniqueFields(loaded: readonly LoadedEntity[], errors: ErrorCollector): void {
  const seen = new Map<string, Set<unknown>>();
  for (const item of loaded) {
    const meta = ENTITIES[item.collection];
    for (const field of meta.uniqueFields) {
      if (field === meta.endpointKey) continue;
      let value = item.entity[field];
      if (value === null || value === undefined) continue;
      if (typeof value === 'object' && 'id' in value) value = (value as { id: unknown }).id;
      const slot = `${item.collection}\u0000${field}`;
      let values = seen.get(slot);
      if (!values) {
        values = new Set();
        seen.set(slot, values);
      }
      if (values.has(value)) {
        errors.addKeyed(item.collection, errorKeyOf(item), uniquenessMessage(item.collection, field, value), false);
      } else {
        values.add(value);
      }
    }
  }
}
