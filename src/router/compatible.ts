/**
 * The `traditional_compatible` flavor (router.md section 10; Kong 3.x's default). Each route becomes
 * one entry per path group (all regex paths together, prefix paths grouped by length) and entries are
 * tried in one total order: field count, plain hosts only, header count, regex path, regex_priority,
 * prefix length, then route id descending (a split route uses the name-based UUID Kong derives for each
 * group). There are no categories or short-lists: the first matching entry wins.
 *
 * That is the documented order (Kong's docs, router.md section 10) and Kong's
 * `route_match_calculation = strict`: our default. Kong's own default, `original`, computes the same 64-bit
 * priority with LuaJIT bit operations that work on 32 bits for plain numbers (`lshift(n, 61)` shifts by
 * 29), so a running Kong 3.x ranks routes with 4+ fields (or a negative regex_priority) first, then
 * plain-host-only routes, then regex routes, and only then by field count: a plain-host-only route outranks
 * a route with more fields, a regex route outranks a methods+prefix route. `original` reproduces that
 * arithmetic exactly, for users who need a running Kong's order (Kong's changelog calls it "the weight of a
 * route was incorrectly downgraded").
 */
import { createHash } from 'node:crypto';
import { compileEntry, isHttpRoute } from './compiled-entry.ts';
import type { CompiledEntry } from './compiled-entry.ts';
import { buildEntrySet } from './entry-set.ts';
import type { EntrySet } from './entry-set.ts';
import type { RequestView } from './request-view.ts';
import type { RouterEntry } from './types.ts';

/** The namespace Kong uses to name the parts of a split route. */
const SPLIT_ROUTE_NAMESPACE = '7f145bf9-0dce-4f91-98eb-debbce4b9f6b';

/** RFC 4122 version 5 (SHA-1, name-based) UUID in lower-case hex. */
export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Groups paths like Kong: one group for all regex paths, one per prefix length, in order of first appearance. */
export function groupPaths(paths: string[]): string[][] {
  const groups = new Map<number, string[]>();
  for (const path of paths) {
    const key = path.startsWith('~') ? -1 : path.length;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [path]);
    else group.push(path);
  }
  return [...groups.values()];
}

/** How entries are ranked: Kong's 3.x arithmetic (`original`) or the corrected, documented order (`strict`). */
export type RouteMatchCalculation = 'original' | 'strict';

interface CompatibleKeys {
  /** Kong's 64-bit priority as `original` computes it (unused by `strict`). */
  originalPriority: bigint;
  fieldCount: number;
  plainHostsOnly: number;
  headerCount: number;
  hasRegex: number;
  regexPriority: number;
  prefixLength: number;
  tieId: string;
}

function keysOf(entry: CompiledEntry<unknown>, tieId: string): CompatibleKeys {
  let fieldCount = 0;
  for (let bits = entry.fields; bits !== 0; bits &= bits - 1) fieldCount++;
  const hasRegex = entry.regexes !== null;
  const keys = {
    fieldCount,
    plainHostsOnly: entry.hosts !== null && entry.hosts.wildcards.length === 0 ? 1 : 0,
    headerCount: Math.min(entry.headers?.length ?? 0, 255),
    hasRegex: hasRegex ? 1 : 0,
    regexPriority: hasRegex ? entry.route.regex_priority : 0,
    prefixLength: entry.prefixes !== null ? entry.prefixes[0].length : 0,
    tieId: tieId.toLowerCase(),
  };
  // Kong tests `type(hosts) == "table"`: an empty hosts list counts as "plain hosts only" there.
  const hosts = entry.route.hosts;
  const plainForKong = Array.isArray(hosts) && !hosts.some((h) => h.includes('*'));
  return { ...keys, originalPriority: kongOriginalPriority(fieldCount, plainForKong, keys.headerCount, hasRegex, keys.regexPriority, keys.prefixLength) };
}

/**
 * Kong 3.x's `get_priority` as it actually computes: the shifts of plain numbers are 32-bit (JavaScript's
 * `<<` and `|` are too, with the same 5-bit shift count), the 32-bit result is sign-extended to 64 bits,
 * and only the plain-host and regex bits are real 64-bit constants.
 */
export function kongOriginalPriority(
  fieldCount: number,
  plainHostOnly: boolean,
  headerCount: number,
  hasRegex: boolean,
  regexPriority: number,
  prefixLength: number,
): bigint {
  const low = (fieldCount << 61) | (headerCount << 52) | ((hasRegex ? regexPriority : 0) << 19) | (prefixLength & 0x7ffff);
  let priority = BigInt.asUintN(64, BigInt(low));
  if (plainHostOnly) priority |= 1n << 60n;
  if (hasRegex) priority |= 1n << 51n;
  return priority;
}

function compareOriginal(a: CompatibleKeys, b: CompatibleKeys): number {
  if (a.originalPriority !== b.originalPriority) return a.originalPriority > b.originalPriority ? -1 : 1;
  return a.tieId < b.tieId ? 1 : a.tieId > b.tieId ? -1 : 0;
}

function compareKeys(a: CompatibleKeys, b: CompatibleKeys): number {
  if (a.fieldCount !== b.fieldCount) return b.fieldCount - a.fieldCount;
  if (a.plainHostsOnly !== b.plainHostsOnly) return b.plainHostsOnly - a.plainHostsOnly;
  if (a.headerCount !== b.headerCount) return b.headerCount - a.headerCount;
  if (a.hasRegex !== b.hasRegex) return b.hasRegex - a.hasRegex;
  if (a.regexPriority !== b.regexPriority) return b.regexPriority - a.regexPriority;
  if (a.prefixLength !== b.prefixLength) return b.prefixLength - a.prefixLength;
  return a.tieId < b.tieId ? 1 : a.tieId > b.tieId ? -1 : 0;
}

/** Compiles and orders the entries of the compatible flavor; ranks are their indexes. */
export function compileCompatibleEntries<T>(entries: RouterEntry<T>[], calculation: RouteMatchCalculation = 'strict'): CompiledEntry<T>[] {
  const keyed: Array<{ entry: CompiledEntry<T>; keys: CompatibleKeys }> = [];
  for (const source of entries) {
    if (!isHttpRoute(source.route)) continue;
    const paths = source.route.paths;
    if (paths === null || paths.length === 0) {
      const entry = compileEntry(source, null, true);
      keyed.push({ entry, keys: keysOf(entry, source.route.id) });
      continue;
    }
    const groups = groupPaths(paths);
    groups.forEach((group, index) => {
      const entry = compileEntry(source, group, true);
      const tieId = groups.length === 1 ? source.route.id : uuidV5(SPLIT_ROUTE_NAMESPACE, `${source.route.id}#${index + 1}`);
      keyed.push({ entry, keys: keysOf(entry, tieId) });
    });
  }
  keyed.sort(calculation === 'strict' ? (a, b) => compareKeys(a.keys, b.keys) : (a, b) => compareOriginal(a.keys, b.keys));
  return keyed.map(({ entry }, rank) => {
    entry.rank = rank;
    return entry;
  });
}

/** A compiled traditional_compatible router: one ranked set over all entries. */
export class CompatibleMatcher<T> {
  readonly all: EntrySet<T>;
  readonly size: number;

  constructor(entries: RouterEntry<T>[], calculation: RouteMatchCalculation = 'strict') {
    const compiled = compileCompatibleEntries(entries, calculation);
    this.size = compiled.length;
    this.all = buildEntrySet(compiled, true);
  }

  /** The winning entry for a view whose common fields and compatible host split are filled. */
  find(view: RequestView): CompiledEntry<T> | null {
    return this.all.first(view, Infinity);
  }
}
