/**
 * Canonical hashing of a configuration as it travels between control plane and data planes.
 *
 * Every entity is hashed once (md5 of its JSON); the configuration hash is built from the sorted
 * `id:entityHash` lines of every collection, so a receiver that patches a few entities only rehashes
 * those and splices their lines into the text it already has, instead of serialising everything again.
 */
import { createHash, hash as digest } from 'node:crypto';
import { ENTITIES, ENTITY_ORDER, memoizeOnRegistry, type CoreEntityName, type EntityName } from '../entities/index.ts';

/** One entity as exported by the CP's store: plain JSON values, foreign keys as `{ id }`. */
export type WireEntity = { readonly id: string } & Readonly<Record<string, unknown>>;
/**
 * Every registered collection present (maybe empty; a plugin's may be absent on the wire); order inside a
 * collection is not significant.
 */
export type WireConfig = { readonly [K in CoreEntityName]: readonly WireEntity[] } & { readonly [collection: string]: readonly WireEntity[] };

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

const md5 = (text: string): string => digest('md5', text, 'hex');

/**
 * The collections in hashing order: core ones in registry order, then plugins' by name, so that nodes that
 * enable plugins in a different order (or not at all) agree on the hash of the same configuration.
 */
const hashOrder = memoizeOnRegistry((): readonly EntityName[] => {
  const core = ENTITY_ORDER.filter((name) => ENTITIES[name].plugin === null);
  const plugin = ENTITY_ORDER.filter((name) => ENTITIES[name].plugin !== null).sort();
  return [...core, ...plugin];
});

/** An empty collection of a plugin counts as absent: a node without that plugin hashes the same configuration alike. */
function skipped(name: EntityName, size: number): boolean {
  return size === 0 && ENTITIES[name].plugin !== null;
}

export function entityHash(e: WireEntity): string {
  return md5(JSON.stringify(e));
}

/**
 * Entity id → entity hash as two arrays in id order. Cheaper than a Map to build, to copy and to
 * compare with another version (a merge walk), and it already is the order the hash needs.
 */
export class EntityHashTable implements ReadonlyMap<string, string> {
  readonly ids: readonly string[];
  readonly hashes: readonly string[];

  constructor(ids: readonly string[], hashes: readonly string[]) {
    this.ids = ids;
    this.hashes = hashes;
  }

  get size(): number {
    return this.ids.length;
  }

  /** Position of `id`, or `-(insertion point) - 1` when absent. */
  find(id: string): number {
    const ids = this.ids;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = ids[mid];
      if (at < id) lo = mid + 1;
      else if (at > id) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  get(id: string): string | undefined {
    const at = this.find(id);
    return at >= 0 ? this.hashes[at] : undefined;
  }

  has(id: string): boolean {
    return this.find(id) >= 0;
  }

  forEach(callback: (hash: string, id: string, map: ReadonlyMap<string, string>) => void, thisArg?: unknown): void {
    for (let i = 0; i < this.ids.length; i++) callback.call(thisArg, this.hashes[i], this.ids[i], this);
  }

  *entries(): Generator<[string, string], undefined, unknown> {
    for (let i = 0; i < this.ids.length; i++) yield [this.ids[i], this.hashes[i]];
    return undefined;
  }

  keys(): ArrayIterator<string> {
    return this.ids.values();
  }

  values(): ArrayIterator<string> {
    return this.hashes.values();
  }

  [Symbol.iterator](): Generator<[string, string], undefined, unknown> {
    return this.entries();
  }
}

/** What is kept per collection so that patching it does not rehash the untouched entities. */
export interface CollectionDigest {
  readonly table: EntityHashTable;
  /** `name\n` followed by one `id:hash\n` line per entity: the collection's share of the hashed text. */
  readonly text: string;
  /** md5 of `text`: equal digests mean an identical collection. */
  readonly hash: string;
  /** The length of every line when ids share one length (UUIDs) and hashes are md5 hex; else null. */
  readonly lineLength: number | null;
}

export type Collections = { readonly [K in EntityName]: CollectionDigest };

export interface ConfigDigest {
  readonly index: VersionIndex;
  readonly collections: Collections;
  readonly entityCount: number;
  /** Sum of the entities' JSON lengths: a cheap proxy for the size of an encoded payload. */
  readonly jsonLength: number;
}

function groupOf(name: EntityName): HashGroup {
  return (HASH_GROUPS as readonly string[]).includes(name) ? (name as HashGroup) : 'rest';
}

const HASH_LENGTH = 32;
/** id + ':' + hash + '\n' */
const lineOf = (idLength: number): number => idLength + HASH_LENGTH + 2;

function commonLength(ids: readonly string[]): number | null {
  if (ids.length === 0) return null;
  const length = ids[0].length;
  for (const id of ids) if (id.length !== length) return null;
  return length;
}

function fixedLine(ids: readonly string[], hashes: readonly string[]): number | null {
  const idLength = commonLength(ids);
  if (idLength === null || !hashes.every((h) => h.length === HASH_LENGTH)) return null;
  return lineOf(idLength);
}

function textOf(name: EntityName, ids: readonly string[], hashes: readonly string[]): string {
  const lines = new Array<string>(ids.length + 1);
  lines[0] = name + '\n';
  for (let i = 0; i < ids.length; i++) lines[i + 1] = ids[i] + ':' + hashes[i] + '\n';
  return lines.join('');
}

function finish(name: EntityName, ids: readonly string[], hashes: readonly string[], text: string, lineLength: number | null): CollectionDigest {
  for (let i = 1; i < ids.length; i++) {
    if (ids[i - 1] === ids[i]) throw new Error(`configuration has duplicate ids in ${name} (${ids[i]})`);
  }
  return { table: new EntityHashTable(ids, hashes), text, hash: md5(text), lineLength };
}

/** Orders (id, hash) pairs by id; builds the text on the way. */
function sortedDigest(name: EntityName, ids: string[], hashes: string[]): CollectionDigest {
  const idLength = commonLength(ids);
  let sorted = true;
  for (let i = 1; i < ids.length && sorted; i++) sorted = ids[i - 1] < ids[i];
  if (sorted) return finish(name, ids, hashes, textOf(name, ids, hashes), fixedLine(ids, hashes));
  if (idLength !== null) {
    // With ids of one length, sorting whole lines sorts by id (plain string sort, the fastest V8 has).
    const lines = new Array<string>(ids.length);
    for (let i = 0; i < ids.length; i++) lines[i] = ids[i] + ':' + hashes[i] + '\n';
    lines.sort();
    const sortedIds = new Array<string>(lines.length);
    const sortedHashes = new Array<string>(lines.length);
    for (let i = 0; i < lines.length; i++) {
      sortedIds[i] = lines[i].slice(0, idLength);
      sortedHashes[i] = lines[i].slice(idLength + 1, -1);
    }
    return finish(name, sortedIds, sortedHashes, name + '\n' + lines.join(''), fixedLine(sortedIds, sortedHashes));
  }
  const order = ids.map((_, i) => i).sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
  const sortedIds = order.map((i) => ids[i]);
  const sortedHashes = order.map((i) => hashes[i]);
  return finish(name, sortedIds, sortedHashes, textOf(name, sortedIds, sortedHashes), null);
}

/** Builds a collection digest from entity hashes in any order. Throws on a duplicate id. */
export function collectionDigest(name: EntityName, hashes: ReadonlyMap<string, string>): CollectionDigest {
  return sortedDigest(name, [...hashes.keys()], [...hashes.values()]);
}

/**
 * Applies upserts (id → new entity hash) and deletes to a collection digest without touching the
 * other entities: the id order is merged and, when every line has the same length, the text is
 * spliced at computed offsets instead of being rebuilt. Deletes of unknown ids are ignored.
 */
export function patchCollection(
  name: EntityName,
  old: CollectionDigest,
  upserts: ReadonlyMap<string, string>,
  deletes: ReadonlySet<string>,
): CollectionDigest {
  const oldIds = old.table.ids;
  const oldHashes = old.table.hashes;
  const incoming = [...upserts.keys()].sort();
  const width = old.lineLength ?? (oldIds.length === 0 && incoming.length > 0 ? lineOf(incoming[0].length) : null);
  const sameLength =
    width !== null && incoming.every((id) => lineOf(id.length) === width && upserts.get(id)!.length === HASH_LENGTH);
  const lineLength = sameLength ? width : 0;
  const header = name.length + 1;
  const ids: string[] = [];
  const hashes: string[] = [];
  const pieces: string[] = [];
  let cursor = 0;
  /** Replaces `span` lines (0 or 1) at old line `at` with `line` (maybe empty) in the spliced text. */
  const splice = (at: number, span: number, line: string): void => {
    if (!sameLength) return;
    const offset = header + at * lineLength;
    pieces.push(old.text.slice(cursor, offset), line);
    cursor = offset + span * lineLength;
  };
  let j = 0;
  for (let i = 0; i < oldIds.length; i++) {
    const id = oldIds[i];
    while (j < incoming.length && incoming[j] < id) {
      const added = incoming[j++];
      const hash = upserts.get(added)!;
      ids.push(added);
      hashes.push(hash);
      splice(i, 0, added + ':' + hash + '\n');
    }
    if (j < incoming.length && incoming[j] === id) {
      const hash = upserts.get(id)!;
      j++;
      ids.push(id);
      hashes.push(hash);
      if (hash !== oldHashes[i]) splice(i, 1, id + ':' + hash + '\n');
    } else if (deletes.has(id)) {
      splice(i, 1, '');
    } else {
      ids.push(id);
      hashes.push(oldHashes[i]);
    }
  }
  for (; j < incoming.length; j++) {
    const added = incoming[j];
    const hash = upserts.get(added)!;
    ids.push(added);
    hashes.push(hash);
    splice(oldIds.length, 0, added + ':' + hash + '\n');
  }
  let text: string;
  if (sameLength) {
    pieces.push(old.text.slice(cursor));
    text = pieces.join('');
  } else {
    text = textOf(name, ids, hashes);
  }
  return finish(name, ids, hashes, text, ids.length === 0 ? null : sameLength ? width : fixedLine(ids, hashes));
}

/** Combines per-collection digests into the configuration's index (overall and group hashes). */
export function indexFromCollections(collections: Collections): VersionIndex {
  const all = createHash('md5');
  const rest = createHash('md5');
  const groups: Partial<Record<HashGroup, string>> = {};
  const entities = new Map<EntityName, ReadonlyMap<string, string>>();
  let count = 0;
  for (const name of hashOrder()) {
    const c = collections[name];
    entities.set(name, c.table);
    if (skipped(name, c.table.size)) continue;
    all.update(c.text);
    count += c.table.size;
    const group = groupOf(name);
    if (group === 'rest') rest.update(c.text);
    else groups[group] = c.hash;
  }
  groups.rest = rest.digest('hex');
  const hash = count === 0 ? EMPTY_CONFIG_HASH : all.digest('hex');
  return { hash, entities, groups: groups as Record<HashGroup, string> };
}

/** Hashes every entity of a configuration. Throws when a collection holds the same id twice. */
export function digestConfig(config: WireConfig): ConfigDigest {
  const collections = {} as { [K in EntityName]: CollectionDigest };
  let entityCount = 0;
  let jsonLength = 0;
  for (const name of ENTITY_ORDER) {
    const list = config[name] ?? [];
    const ids = new Array<string>(list.length);
    const hashes = new Array<string>(list.length);
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      const json = JSON.stringify(e);
      jsonLength += json.length;
      ids[i] = e.id;
      hashes[i] = md5(json);
    }
    collections[name] = sortedDigest(name, ids, hashes);
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
  for (const name of ENTITY_ORDER) collections[name] = collectionDigest(name, entities.get(name) ?? new Map<string, string>());
  return indexFromCollections(collections).hash;
}
