/**
 * The consumer-group memberships declarative files write the way decK and Kong export them:
 * `consumers[].groups: [{name}]` and `consumer_groups[].consumers: [{username}]` (an `id` works in both, and
 * so does a plain string). Membership is an entity of its own (`consumer_group_consumers`) pointing at a group
 * and a consumer; a nested entity may only name its parent, so each membership becomes a top-level one that
 * references both. The caller's document is not modified: changed branches are copied.
 */
import { randomUUID } from 'node:crypto';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How an item of `groups` / `consumers` names its entity: a string, or the first of the given keys it has. */
function referenceOf(item: unknown, keys: readonly string[]): unknown {
  if (!isObject(item)) return item;
  for (const key of keys) if (item[key] !== undefined && item[key] !== null) return item[key];
  // Nothing to resolve by: kept as written, so the reference error shows what was there.
  return item;
}

/**
 * How an entity of the document is referenced: its id, else its endpoint key; an entity with neither gets
 * a random id written in (the id it would get anyway), so its memberships can name it.
 */
function selfReference(entity: Record<string, unknown>, endpointKey: string): { entity: Record<string, unknown>; reference: unknown } {
  if (entity.id !== undefined && entity.id !== null) return { entity, reference: entity.id };
  if (typeof entity[endpointKey] === 'string') return { entity, reference: entity[endpointKey] };
  const id = randomUUID();
  return { entity: { ...entity, id }, reference: id };
}

/** Rewrites one collection's shorthand lists into memberships; returns the collection unchanged when it has none. */
function hoist(
  list: unknown,
  shorthand: string,
  endpointKey: string,
  referenceKeys: readonly string[],
  membership: (self: unknown, other: unknown) => Record<string, unknown>,
  out: Record<string, unknown>[],
): unknown {
  if (!Array.isArray(list) || !list.some((item) => isObject(item) && item[shorthand] !== undefined)) return list;
  return list.map((item: unknown) => {
    if (!isObject(item) || item[shorthand] === undefined) return item;
    const { [shorthand]: members, ...rest } = item;
    if (members === null) return rest;
    if (!Array.isArray(members)) return item; // left for the schema to refuse, naming the field
    const { entity, reference } = selfReference(rest, endpointKey);
    for (const member of members) out.push(membership(reference, referenceOf(member, referenceKeys)));
    return entity;
  });
}

/** The document with membership shorthands turned into top-level `consumer_group_consumers`. */
export function expandConsumerGroupShorthands(document: Record<string, unknown>): Record<string, unknown> {
  const memberships: Record<string, unknown>[] = [];
  const consumers = hoist(document.consumers, 'groups', 'username', ['id', 'name'], (consumer, group) => ({ consumer, consumer_group: group }), memberships);
  const groups = hoist(document.consumer_groups, 'consumers', 'name', ['id', 'username'], (group, consumer) => ({ consumer_group: group, consumer }), memberships);
  const existing = document.consumer_group_consumers;
  // A malformed membership list is left for the walk to refuse, naming the key.
  if (memberships.length === 0 || (existing !== undefined && existing !== null && !Array.isArray(existing))) return document;
  const out: Record<string, unknown> = { ...document, consumers, consumer_groups: groups };
  if (document.consumers === undefined) delete out.consumers;
  if (document.consumer_groups === undefined) delete out.consumer_groups;
  out.consumer_group_consumers = Array.isArray(existing) ? [...existing, ...memberships] : memberships;
  return out;
}
