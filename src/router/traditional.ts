/**
 * The `traditional` flavor (router.md section 5), reproducing how Kong's traditional router walks its
 * routes, not only its nominal ranking:
 *
 * 1. From global indexes the request gets a *hit mask* (which fields some route could match) and three
 *    remembered hits: the first matching wildcard host, the first present header name, the first
 *    matching regex path or else the longest matching prefix.
 * 2. The walk starts at the category equal to the hit mask when one exists (so on plain HTTP a
 *    `hosts+snis` route does not shadow a `hosts` route, Kong issue #6425), else at the top.
 * 3. In each category a short-list keyed by those hits (header name first, else the smallest of: by
 *    host, by path, by method, by SNI) is tried before the whole category.
 *
 * Copied quirks (kept because they are what Kong users observe, router.md 5.2): the short-list may
 * pick an entry ranked below another matching entry of the same category; a port-specific wildcard
 * outranks a plain host; a wildcard-host route outranks a headers-only route; header regexes are not
 * lower-cased; a request none of whose fields is known to any route matches nothing (even a route with
 * only `snis` on plain HTTP).
 *
 * Not copied: Kong treating a regex path as a prefix when its text equals the remembered path hit;
 * Kong stripping nothing when a regex path with a top-level `|` matched through an earlier alternative
 * (we strip the whole match); `hosts: []` earning the plain-hosts sub-weight; PCRE's match limit.
 *
 * Every lookup goes through hash maps, radix tries or the ranked sets of `entry-set.ts`; categories that
 * cannot contain a match (a field they need is missing from the request) are skipped without a look.
 */
import { buildEntrySet } from './entry-set.ts';
import type { EntrySet } from './entry-set.ts';
import { FIELD_HEADER, FIELD_HOST, FIELD_METHOD, FIELD_PATH, FIELD_SNI } from './compiled-entry.ts';
import type { CompiledEntry } from './compiled-entry.ts';
import { regexPathMatches } from './field-conditions.ts';
import type { RegexPath } from './field-conditions.ts';
import { splitHostPort, wildcardMatchesTraditional } from './host-condition.ts';
import type { WildcardHost } from './host-condition.ts';
import { RadixTrie } from './radix-trie.ts';
import type { RequestView } from './request-view.ts';
import { compareCategories, compileTraditionalEntries } from './traditional-order.ts';
import type { RouterEntry } from './types.ts';

interface Bucket<T> {
  /** How many entries Kong's list for this key holds (duplicates included): the short-list picks the smallest. */
  size: number;
  set: EntrySet<T>;
}

interface Category<T> {
  fields: number;
  all: EntrySet<T>;
  byHost: Map<string, Bucket<T>>;
  byPath: Map<string, Bucket<T>>;
  byHeaderName: Map<string, Bucket<T>>;
  methodCounts: Map<string, number>;
  sniCounts: Map<string, number>;
}

function addToGroup<T>(groups: Map<string, { size: number; entries: CompiledEntry<T>[] }>, key: string, entry: CompiledEntry<T>): void {
  let group = groups.get(key);
  if (group === undefined) groups.set(key, (group = { size: 0, entries: [] }));
  group.size++;
  if (group.entries[group.entries.length - 1] !== entry) group.entries.push(entry);
}

function toBuckets<T>(
  groups: Map<string, { size: number; entries: CompiledEntry<T>[] }>,
  excluded: number,
): Map<string, Bucket<T>> {
  const buckets = new Map<string, Bucket<T>>();
  for (const [key, group] of groups) {
    buckets.set(key, { size: group.size, set: buildEntrySet(group.entries, false, excluded) });
  }
  return buckets;
}

function buildCategory<T>(fields: number, entries: CompiledEntry<T>[]): Category<T> {
  type Groups = Map<string, { size: number; entries: CompiledEntry<T>[] }>;
  const byHost: Groups = new Map();
  const byPath: Groups = new Map();
  const byHeaderName: Groups = new Map();
  const methodCounts = new Map<string, number>();
  const sniCounts = new Map<string, number>();
  for (const entry of entries) {
    if (entry.hosts !== null) {
      for (const host of entry.hosts.plain) addToGroup(byHost, host, entry);
      for (const wildcard of entry.hosts.wildcards) addToGroup(byHost, wildcard.value, entry);
    }
    for (const header of entry.headers ?? []) addToGroup(byHeaderName, header.name, entry);
    const pathKey = entry.prefixes?.[0] ?? entry.regexes?.[0].source;
    if (pathKey !== undefined) addToGroup(byPath, pathKey, entry);
    for (const method of entry.methods ?? []) methodCounts.set(method, (methodCounts.get(method) ?? 0) + 1);
    for (const sni of entry.snis?.exact ?? []) sniCounts.set(sni, (sniCounts.get(sni) ?? 0) + 1);
  }
  return {
    fields,
    all: buildEntrySet(entries, false),
    byHost: toBuckets(byHost, FIELD_HOST),
    byPath: toBuckets(byPath, FIELD_PATH),
    byHeaderName: toBuckets(byHeaderName, 0),
    methodCounts,
    sniCounts,
  };
}

/** A compiled traditional router: `find` returns the winning entry for a prepared request view. */
export class TraditionalMatcher<T> {
  readonly categories: Category<T>[];
  readonly categoryIndexByFields: Map<number, number>;
  readonly plainHosts: Set<string>;
  /** Hosts written `name:80` / `name:443`, stored as `name`: they equal host-with-port of a port-less Host. */
  readonly plainHostsWithPort80: Set<string>;
  readonly plainHostsWithPort443: Set<string>;
  readonly wildcards: WildcardHost[];
  readonly regexPaths: RegexPath[];
  readonly prefixes: RadixTrie<string>;
  readonly headerNames: string[];
  readonly methods: Set<string>;
  readonly snis: Set<string>;

  constructor(entries: RouterEntry<T>[]) {
    const compiled = compileTraditionalEntries(entries);

    this.plainHosts = new Set();
    this.plainHostsWithPort80 = new Set();
    this.plainHostsWithPort443 = new Set();
    this.wildcards = [];
    this.regexPaths = [];
    this.prefixes = new RadixTrie();
    this.headerNames = [];
    this.methods = new Set();
    this.snis = new Set();
    const headerNameSet = new Set<string>();
    const byFields = new Map<number, CompiledEntry<T>[]>();

    for (const entry of compiled) {
      if (entry.hosts !== null) {
        for (const host of entry.hosts.plain) {
          this.plainHosts.add(host);
          const split = splitHostPort(host);
          if (split.portText === '80') this.plainHostsWithPort80.add(split.host);
          if (split.portText === '443') this.plainHostsWithPort443.add(split.host);
        }
        this.wildcards.push(...entry.hosts.wildcards);
      }
      for (const header of entry.headers ?? []) {
        if (!headerNameSet.has(header.name)) {
          headerNameSet.add(header.name);
          this.headerNames.push(header.name);
        }
      }
      if (entry.regexes !== null) this.regexPaths.push(entry.regexes[0]);
      if (entry.prefixes !== null) this.prefixes.set(entry.prefixes[0], entry.prefixes[0]);
      for (const method of entry.methods ?? []) this.methods.add(method);
      for (const sni of entry.snis?.exact ?? []) this.snis.add(sni);

      let group = byFields.get(entry.fields);
      if (group === undefined) byFields.set(entry.fields, (group = []));
      group.push(entry);
    }

    const order = [...byFields.keys()].sort(compareCategories);
    this.categories = order.map((fields) => buildCategory(fields, byFields.get(fields)!));
    this.categoryIndexByFields = new Map(order.map((fields, index) => [fields, index]));
  }

  /** Whether some plain route host equals the Host as the traditional index sees it. */
  private plainHostHit(view: RequestView): boolean {
    if (this.plainHosts.has(view.hostNoPort)) return true;
    // host-with-port is the raw Host when it carries a port, else the host plus the scheme's default port.
    if (view.portStart >= 0) return this.plainHosts.has(view.host);
    const withDefault = view.scheme === 'https' ? this.plainHostsWithPort443 : this.plainHostsWithPort80;
    if (withDefault.size === 0) return false;
    return withDefault.has(view.hostPartEnd === view.host.length ? view.host : view.host.slice(0, view.hostPartEnd));
  }

  /** The winning entry for a view whose common fields and traditional host split are filled. */
  find(view: RequestView): CompiledEntry<T> | null {
    let mask = 0;
    // What could match at all; differs from `mask` only for a Host Kong's index lookup misses.
    let possible = 0;

    let hitHost: string | null = null;
    if (view.hasHost) {
      if (this.plainHostHit(view)) {
        mask |= FIELD_HOST;
      } else {
        const wildcards = this.wildcards;
        for (let index = 0; index < wildcards.length; index++) {
          if (wildcardMatchesTraditional(wildcards[index], view)) {
            hitHost = wildcards[index].value;
            mask |= FIELD_HOST;
            break;
          }
        }
        // Kong's index misses a bracketed `[v6]` Host without port, but its route matcher still sees it.
        if (mask === 0 && this.plainHosts.has(view.host)) possible |= FIELD_HOST;
      }
    }

    let hitHeader: string | null = null;
    const headerNames = this.headerNames;
    for (let index = 0; index < headerNames.length; index++) {
      if (view.headerValue(headerNames[index]) !== undefined) {
        hitHeader = headerNames[index];
        mask |= FIELD_HEADER;
        break;
      }
    }

    let hitPath: string | null = null;
    const path = view.path;
    if (path !== '') {
      const regexPaths = this.regexPaths;
      for (let index = 0; index < regexPaths.length; index++) {
        if (regexPathMatches(regexPaths[index], path)) {
          hitPath = regexPaths[index].source;
          break;
        }
      }
      if (hitPath === null && this.prefixes.size > 0) hitPath = this.prefixes.longestPrefixValue(path);
      if (hitPath !== null) mask |= FIELD_PATH;
    }

    if (this.methods.has(view.method)) mask |= FIELD_METHOD;
    if (this.snis.has(view.sni)) mask |= FIELD_SNI;
    // Kong gives up when nothing in the request is known to any route.
    if (mask === 0) return null;

    possible |= mask;
    if (view.scheme !== 'https') possible |= FIELD_SNI; // snis never block plain HTTP
    const categories = this.categories;
    for (let index = this.categoryIndexByFields.get(mask) ?? 0; index < categories.length; index++) {
      const category = categories[index];
      if ((category.fields & ~possible) !== 0) continue;
      const found = this.findInCategory(category, view, hitHost, hitHeader, hitPath);
      if (found !== null) return found;
    }
    return null;
  }

  private findInCategory(
    category: Category<T>,
    view: RequestView,
    hitHost: string | null,
    hitHeader: string | null,
    hitPath: string | null,
  ): CompiledEntry<T> | null {
    const fields = category.fields;
    let shortList: EntrySet<T> | null = null;
    let smallest = 0;
    let chosen = false;

    if ((fields & FIELD_HOST) !== 0) {
      const bucket = category.byHost.get(hitHost ?? view.host);
      if (bucket !== undefined) {
        shortList = bucket.set;
        smallest = bucket.size;
        chosen = true;
      }
    }
    if ((fields & FIELD_HEADER) !== 0 && hitHeader !== null) {
      const bucket = category.byHeaderName.get(hitHeader);
      if (bucket !== undefined) {
        shortList = bucket.set;
        chosen = true;
        smallest = -1; // a header short-list is taken as soon as it exists
      }
    }
    if (smallest >= 0) {
      if ((fields & FIELD_PATH) !== 0 && hitPath !== null) {
        const bucket = category.byPath.get(hitPath);
        if (bucket !== undefined && (!chosen || bucket.size < smallest)) {
          shortList = bucket.set;
          smallest = bucket.size;
          chosen = true;
        }
      }
      // Entries of a methods (or, over TLS, snis) category can only match when they list the request's
      // method (SNI), so those short-lists hold the same first match as the whole category.
      if ((fields & FIELD_METHOD) !== 0) {
        const count = category.methodCounts.get(view.method);
        if (count !== undefined && (!chosen || count < smallest)) {
          shortList = null;
          smallest = count;
          chosen = true;
        }
      }
      if ((fields & FIELD_SNI) !== 0) {
        const count = category.sniCounts.get(view.sni);
        if (count !== undefined && (!chosen || count < smallest)) {
          shortList = null;
          smallest = count;
          chosen = true;
        }
      }
    }

    if (shortList !== null) {
      const found = shortList.first(view, Infinity);
      if (found !== null) return found;
    }
    return category.all.first(view, Infinity);
  }
}

