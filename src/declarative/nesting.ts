/**
 * Which collections may be nested in which: every foreign key lets the referenced entity carry a list of
 * the referencing one (`services[].routes`, `routes[].plugins`, `certificates[].snis`,
 * `upstreams[].targets`, a plugin's credentials under `consumers[]`, ...). Derived from the entity registry.
 */
import { ENTITIES, ENTITY_ORDER, memoizeOnRegistry, type EntityName } from '../entities/index.ts';

export interface NestedCollection {
  /** The child collection (`routes`). */
  collection: EntityName;
  /** The child's field pointing to the parent (`service`). */
  field: string;
}

function buildNesting(): ReadonlyMap<EntityName, readonly NestedCollection[]> {
  const nesting = new Map<EntityName, NestedCollection[]>();
  for (const name of ENTITY_ORDER) nesting.set(name, []);
  for (const child of ENTITY_ORDER) {
    for (const fk of ENTITIES[child].foreignKeys) nesting.get(fk.reference)?.push({ collection: child, field: fk.field });
  }
  return nesting;
}

/** Nested collections allowed inside each collection's entities, in dependency order (per registry state). */
export const nesting = memoizeOnRegistry(buildNesting);

/** Collections Kong knows that Tollgate does not implement: accepted when empty, otherwise unknown. */
export const UNSUPPORTED_COLLECTIONS: ReadonlySet<string> = new Set([
  'filter_chains',
  'workspaces',
  'parameters',
]);
