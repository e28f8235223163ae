/**
 * Canonical hashing of a configuration as it travels between control plane and data planes.
 *
 * Every entity is hashed once (md5 of its JSON); the configuration hash is built from the sorted
 * `id:entityHash` lines of every collection, so a receiver that patches a few entities only rehashes
 * those and re-digests the lines, instead of serialising the whole configuration again.
 */
import { createHash, hash as digest } from 'node:crypto';
import { ENTITY_ORDER, type EntityName } from '../entities/index.ts';

/** One entity as exported by the CP's store: plain JSON values, foreign keys as `{ id }`. */
export type WireEntity = { readonly id: string } & Readonly<Record<string, unknown>>;
/** Every collection present (maybe empty); order inside a collection is not significant. */
export type WireConfig = { readonly [K in EntityName]: readonly WireEntity[] };

export type HashGroup = 'routes' | 'services' | 'plugins' | 'upstreams' | 'targets' | 'rest';
export const HASH_GROUPS: readonly HashGroup[] = ['routes', 'services', 'plugins', 'upstreams', 'targets', 'rest'];

/** The hash of a configuration without any entity (the same value Kong uses). */
export const EMPTY_CONFIG_HASH = '0'.repeat(32);

/** Per collection: entity id → entity hash. */
export type EntityHashes = ReadonlyMap<EntityName, ReadonlyMap<string, string>>;

export interface VersionIndex {
  readonly hash: string;
  readonly entities: EntityHashes;
  readonly groups: Readonly<Record<HashGroup, string>>;
}

/** What a receiver keeps per collection so that patching it does not rehash the untouched entities. */
export interface CollectionDigest {
  readonly hashes: ReadonlyMap<string, string>;
  /** Ids in code-unit order (the order of the hashed lines). */
  readonly sortedIds: readonly string[];
  /** `name\n` followed by one `id:hash\n` line per entity: the collection's share of the hashed text. */
  readonly text: string;
  /** md5 of `text`: equal digests mean an identical collection. */
  readonly hash: string;
}

export interface ConfigDigest {
  readonly index: VersionIndex;
  readonly collections: { readonly [K in EntityName]: CollectionDigest };
  readonly entityCount: number;
  /** Sum of the entities' JSON lengths: a cheap proxy for the size of an encoded payload. */
  readonly jsonLength: number;
}

const md5 = (text: string): string => digest('md5', text, 'hex');

export function entityHash(e: WireEntity): string {
  return md5(JSON.stringify(e));
}

function groupOf(name: EntityName): HashGroup {
  return (HASH_GROUPS as readonly string[]).includes(name) ? (name as HashGroup) : 'rest';
}

/** Builds the digest of one collection from its entity hashes and its ids already in order. */
export function collectionDigest(name: EntityName, hashes: ReadonlyMap<string, string>, sortedIds: readonly string[]): CollectionDigest {
  const lines = new Array<string>(sortedIds.length + 1);
  lines[0] = name + '\n';
  for (let i = 0; i < sortedIds.length; i++) {
    const id = sortedIds[i];
    lines[i + 1] = id + ':' + hashes.get(id) + '\n';
  }
  const text = lines.join('');
  return { hashes, sortedIds, text, hash: md5(text) };
}

/** Combines per-collection digests into the configuration's index (overall and group hashes). */
export function indexFromCollections(collections: { readonly [K in EntityName]: CollectionDigest }): VersionIndex {
  const all = createHash('md5');
  const rest = createHash('md5');
  const groups: Partial<Record<HashGroup, string>> = {};
  const entities = new Map<EntityName, ReadonlyMap<string, string>>();
  let count = 0;
  for (const name of ENTITY_ORDER) {
    const c = collections[name];
    all.update(c.text);
    count += c.sortedIds.length;
    entities.set(name, c.hashes);
    const group = groupOf(name);
    if (group === 'rest') rest.update(c.text);
    else groups[group] = c.hash;
  }
  groups.rest = rest.digest('hex');
  const hash = count === 0 ? EMPTY_CONFIG_HASH : all.digest('hex');
  return { hash, entities, groups: groups as Record<HashGroup, string> };
}

// Exports often come out in id order already; checking is much cheaper than sorting.
function isSorted(ids: readonly string[]): boolean {
  for (let i = 1; i < ids.length; i++) if (ids[i - 1] > ids[i]) return false;
  return true;
}

/** Hashes every entity of a configuration. Throws when a collection holds the same id twice. */
export function digestConfig(config: WireConfig): ConfigDigest {
  const collections = {} as { [K in EntityName]: CollectionDigest };
  let entityCount = 0;
  let jsonLength = 0;
  for (const name of ENTITY_ORDER) {
    const list = config[name];
    const hashes = new Map<string, string>();
    const ids = new Array<string>(list.length);
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      const json = JSON.stringify(e);
      jsonLength += json.length;
      hashes.set(e.id, md5(json));
      ids[i] = e.id;
    }
    if (hashes.size !== list.length) throw new Error(`configuration has duplicate ids in ${name}`);
    if (!isSorted(ids)) ids.sort();
    collections[name] = collectionDigest(name, hashes, ids);
    entityCount += list.length;
  }
  return { index: indexFromCollections(collections), collections, entityCount, jsonLength };
}

export function indexConfig(config: WireConfig): VersionIndex {
  return digestConfig(config).index;
}

/** Recomputes the configuration hash from entity hashes alone (a missing collection counts as empty). */
export function hashFromIndex(entities: EntityHashes): string {
  const collections = {} as { [K in EntityName]: CollectionDigest };
  for (const name of ENTITY_ORDER) {
    const hashes = entities.get(name) ?? new Map<string, string>();
    collections[name] = collectionDigest(name, hashes, [...hashes.keys()].sort());
  }
  return indexFromCollections(collections).hash;
}
