/**
 * Ranked sets of compiled entries that answer "which is the best-ranked entry matching this request?"
 * without looking at entries that cannot match.
 *
 * A large set is split by the most selective field an entry allows: plain hosts go into a Map keyed by
 * host, prefix paths into a radix trie, exact header values into Maps; the rest (regex paths, wildcard
 * hosts, method-only routes) stays in a list scanned in rank order. Each part is itself a ranked set
 * (split again on the next field when large), and a lookup keeps the best rank found so far as a bound,
 * so a part whose best entry ranks worse is skipped after one comparison. The answer is exactly the
 * first matching entry of the full ranked list.
 */
import { entryMatches, FIELD_HEADER, FIELD_HOST, FIELD_PATH } from './compiled-entry.ts';
import type { CompiledEntry } from './compiled-entry.ts';
import { lowerCase } from './field-conditions.ts';
import { RadixTrie } from './radix-trie.ts';
import type { RequestView } from './request-view.ts';

/** Sets up to this size are scanned; splitting them costs more than it saves. */
const SCAN_LIMIT = 8;

export interface EntrySet<T> {
  /** The best (lowest) rank in the set: a lookup bounded at or below it can skip the set unread. */
  readonly minRank: number;
  /** The lowest-ranked entry whose rank is below `bound` and that matches the request, or null. */
  first(view: RequestView, bound: number): CompiledEntry<T> | null;
}

/** Entries in rank order, tried one by one. */
export class ListSet<T> implements EntrySet<T> {
  readonly entries: CompiledEntry<T>[];
  readonly minRank: number;
  /** FIELD_* bits the index leading here has already checked for every entry. */
  readonly verified: number;

  constructor(entries: CompiledEntry<T>[], verified: number) {
    this.entries = entries;
    this.minRank = entries.length > 0 ? entries[0].rank : Infinity;
    this.verified = verified;
  }

  first(view: RequestView, bound: number): CompiledEntry<T> | null {
    if (this.minRank >= bound) return null;
    const entries = this.entries;
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index];
      if (entry.rank >= bound) return null;
      if (entryMatches(entry, view, this.verified)) return entry;
    }
    return null;
  }
}

/** Entries split by host, prefix path and header value, plus a scanned remainder. */
class IndexedSet<T> implements EntrySet<T> {
  readonly minRank: number;
  readonly compatible: boolean;
  readonly byHost: Map<string, EntrySet<T>> | null;
  readonly byPrefix: RadixTrie<EntrySet<T>> | null;
  readonly headerNames: string[];
  readonly byHeaderValue: Map<string, EntrySet<T>>[];
  readonly rest: ListSet<T> | null;
  /** Scratch list of the trie sets met along the path (matching is synchronous, so one per set is enough). */
  private readonly prefixSets: EntrySet<T>[] = [];

  constructor(
    minRank: number,
    compatible: boolean,
    byHost: Map<string, EntrySet<T>> | null,
    byPrefix: RadixTrie<EntrySet<T>> | null,
    headerNames: string[],
    byHeaderValue: Map<string, EntrySet<T>>[],
    rest: ListSet<T> | null,
  ) {
    this.minRank = minRank;
    this.compatible = compatible;
    this.byHost = byHost;
    this.byPrefix = byPrefix;
    this.headerNames = headerNames;
    this.byHeaderValue = byHeaderValue;
    this.rest = rest;
  }

  first(view: RequestView, bound: number): CompiledEntry<T> | null {
    if (this.minRank >= bound) return null;
    let best: CompiledEntry<T> | null = null;
    let limit = bound;
    let found: CompiledEntry<T> | null;

    const byHost = this.byHost;
    if (byHost !== null && view.hasHost) {
      if (this.compatible) {
        const set = byHost.get(view.compatHost);
        if (set !== undefined && (found = set.first(view, limit)) !== null) {
          best = found;
          limit = found.rank;
        }
      } else {
        // Traditional plain hosts equal the raw Host header or the host without its port.
        let set = byHost.get(view.host);
        if (set !== undefined && (found = set.first(view, limit)) !== null) {
          best = found;
          limit = found.rank;
        }
        if (view.hostNoPort !== view.host) {
          set = byHost.get(view.hostNoPort);
          if (set !== undefined && (found = set.first(view, limit)) !== null) {
            best = found;
            limit = found.rank;
          }
        }
      }
    }

    const trie = this.byPrefix;
    if (trie !== null) {
      // Collect the sets of every stored prefix of the path, then try the longest first: it usually
      // holds the winner, and the shorter ones are then skipped on their minRank alone.
      const path = view.path;
      const length = path.length;
      const sets = this.prefixSets;
      let count = 0;
      let node = trie.root;
      let offset = 0;
      for (;;) {
        if (node.value !== null) sets[count++] = node.value;
        if (offset >= length || node.children === null) break;
        const child = node.children.get(path.charCodeAt(offset));
        if (child === undefined || !path.startsWith(child.label, offset)) break;
        offset += child.label.length;
        node = child;
      }
      while (count > 0) {
        const set = sets[--count];
        if (set.minRank < limit && (found = set.first(view, limit)) !== null) {
          best = found;
          limit = found.rank;
        }
      }
    }

    const names = this.headerNames;
    for (let index = 0; index < names.length; index++) {
      const value = view.headerValue(names[index]);
      if (value === undefined) continue;
      const byValue = this.byHeaderValue[index];
      if (typeof value === 'string') {
        const set = byValue.get(lowerCase(value));
        if (set !== undefined && (found = set.first(view, limit)) !== null) {
          best = found;
          limit = found.rank;
        }
      } else {
        for (let item = 0; item < value.length; item++) {
          const set = byValue.get(lowerCase(value[item]));
          if (set !== undefined && (found = set.first(view, limit)) !== null) {
            best = found;
            limit = found.rank;
          }
        }
      }
    }

    if (this.rest !== null && (found = this.rest.first(view, limit)) !== null) best = found;
    return best;
  }
}

function pushUnique<V>(groups: Map<string, V[]>, key: string, value: V): void {
  const group = groups.get(key);
  if (group === undefined) groups.set(key, [value]);
  else if (group[group.length - 1] !== value) group.push(value);
}

/** Host keys under which an entry can be indexed, or null when a wildcard host forces a scan. */
function hostKeys(entry: CompiledEntry<unknown>): string[] | null {
  const hosts = entry.hosts;
  if (hosts === null || hosts.wildcards.length > 0) return null;
  return hosts.plain;
}

/**
 * Builds a ranked set over `entries` (already in rank order). `excluded` holds the FIELD_* bits that
 * must not be used to split, because every entry here already shares that field's key.
 */
export function buildEntrySet<T>(entries: CompiledEntry<T>[], compatible: boolean, excluded = 0, verified = 0): EntrySet<T> {
  if (entries.length <= SCAN_LIMIT) return new ListSet(entries, verified);

  const hostGroups = new Map<string, CompiledEntry<T>[]>();
  /** Compatible host keys some entry pairs with a port: a key hit does not prove the host matches. */
  const hostKeysWithPort = new Set<string>();
  const prefixGroups = new Map<string, CompiledEntry<T>[]>();
  const headerGroups = new Map<string, Map<string, CompiledEntry<T>[]>>();
  const rest: CompiledEntry<T>[] = [];

  for (const entry of entries) {
    const keys = (excluded & FIELD_HOST) === 0 ? hostKeys(entry) : null;
    if (keys !== null) {
      keys.forEach((key, index) => {
        pushUnique(hostGroups, key, entry);
        if (entry.hosts!.plainPorts[index] >= 0) hostKeysWithPort.add(key);
      });
      continue;
    }
    if ((excluded & FIELD_PATH) === 0 && entry.prefixes !== null) {
      for (const prefix of entry.prefixes) pushUnique(prefixGroups, prefix, entry);
      continue;
    }
    const header = (excluded & FIELD_HEADER) === 0 ? entry.headers?.find((condition) => condition.regexes.length === 0 && condition.exact.size > 0) : undefined;
    if (header !== undefined) {
      let byValue = headerGroups.get(header.name);
      if (byValue === undefined) headerGroups.set(header.name, (byValue = new Map()));
      for (const value of header.exact) pushUnique(byValue, value, entry);
      continue;
    }
    rest.push(entry);
  }

  if (rest.length === entries.length) return new ListSet(entries, verified);

  let byHost: Map<string, EntrySet<T>> | null = null;
  if (hostGroups.size > 0) {
    byHost = new Map();
    for (const [key, group] of hostGroups) {
      const hostVerified = compatible && hostKeysWithPort.has(key) ? verified : verified | FIELD_HOST;
      byHost.set(key, buildEntrySet(group, compatible, excluded | FIELD_HOST, hostVerified));
    }
  }
  let byPrefix: RadixTrie<EntrySet<T>> | null = null;
  if (prefixGroups.size > 0) {
    byPrefix = new RadixTrie();
    for (const [prefix, group] of prefixGroups) byPrefix.set(prefix, buildEntrySet(group, compatible, excluded | FIELD_PATH, verified | FIELD_PATH));
  }
  const headerNames: string[] = [];
  const byHeaderValue: Map<string, EntrySet<T>>[] = [];
  for (const [name, groups] of headerGroups) {
    const sets = new Map<string, EntrySet<T>>();
    for (const [value, group] of groups) sets.set(value, buildEntrySet(group, compatible, excluded | FIELD_HEADER, verified));
    headerNames.push(name);
    byHeaderValue.push(sets);
  }
  const restSet = rest.length > 0 ? new ListSet(rest, verified) : null;
  return new IndexedSet(entries[0].rank, compatible, byHost, byPrefix, headerNames, byHeaderValue, restSet);
}
