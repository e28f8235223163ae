/**
 * The traditional flavor's ordering (router.md section 5.1): routes split per path, grouped in
 * categories by the set of fields they use, categories ordered by field count then field significance,
 * entries inside a category by sub-weight, header count, regex_priority, prefix length and created_at.
 */
import { compileEntry, FIELD_PATH, isHttpRoute } from './compiled-entry.ts';
import type { CompiledEntry } from './compiled-entry.ts';
import type { RouterEntry } from './types.ts';

const SUB_WILDCARD_HOST_PORT = 4;
const SUB_PLAIN_HOSTS_ONLY = 2;
const SUB_REGEX_PATH = 1;

/** The sort keys of one traditional entry. */
export interface TraditionalKeys {
  subWeight: number;
  headerCount: number;
  regexPriority: number;
  prefixLength: number;
  createdAt: number;
  inputOrder: number;
}

export function fieldCount(fields: number): number {
  let count = 0;
  for (let bits = fields; bits !== 0; bits &= bits - 1) count++;
  return count;
}

function keysOf(entry: CompiledEntry<unknown>, inputOrder: number): TraditionalKeys {
  let subWeight = 0;
  const hosts = entry.hosts;
  if (hosts !== null) {
    if (hosts.wildcards.length === 0) subWeight |= SUB_PLAIN_HOSTS_ONLY;
    if (hosts.wildcards.some((wildcard) => wildcard.portText !== null)) subWeight |= SUB_WILDCARD_HOST_PORT;
  }
  if (entry.regexes !== null) subWeight |= SUB_REGEX_PATH;
  return {
    subWeight,
    headerCount: entry.headers?.length ?? 0,
    regexPriority: entry.regexes !== null ? entry.route.regex_priority : 0,
    prefixLength: entry.prefixes !== null ? entry.prefixes[0].length : 0,
    createdAt: entry.route.created_at,
    inputOrder,
  };
}

/** Kong's in-category order; ties left after created_at keep the configuration order. */
function compareKeys(a: TraditionalKeys, b: TraditionalKeys): number {
  if (a.subWeight !== b.subWeight) return b.subWeight - a.subWeight;
  if (a.headerCount !== b.headerCount) return b.headerCount - a.headerCount;
  if ((a.subWeight & SUB_REGEX_PATH) !== 0 && a.regexPriority !== b.regexPriority) return b.regexPriority - a.regexPriority;
  if (a.prefixLength !== b.prefixLength) return b.prefixLength - a.prefixLength;
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.inputOrder - b.inputOrder;
}

/**
 * Compiles every HTTP route into one entry per path and sorts them in Kong's global order (the order
 * its wildcard-host and regex-path scans use; categories are filtered from it). Ranks are the indexes.
 */
export function compileTraditionalEntries<T>(entries: RouterEntry<T>[]): CompiledEntry<T>[] {
  const keyed: Array<{ entry: CompiledEntry<T>; keys: TraditionalKeys }> = [];
  for (const source of entries) {
    if (!isHttpRoute(source.route)) continue;
    const paths = source.route.paths;
    if (paths !== null && paths.length > 0) {
      for (const path of paths) {
        const entry = compileEntry(source, [path], false);
        keyed.push({ entry, keys: keysOf(entry, keyed.length) });
      }
    } else {
      const entry = compileEntry(source, null, false);
      keyed.push({ entry, keys: keysOf(entry, keyed.length) });
    }
  }
  keyed.sort((a, b) => compareKeys(a.keys, b.keys));
  return keyed.map(({ entry }, rank) => {
    entry.rank = rank;
    return entry;
  });
}

/** Category order: more fields first, then by the most significant field (hosts > headers > paths > methods > snis). */
export function compareCategories(a: number, b: number): number {
  const byCount = fieldCount(b) - fieldCount(a);
  return byCount !== 0 ? byCount : b - a;
}

export function hasRegexPath(entry: CompiledEntry<unknown>): boolean {
  return (entry.fields & FIELD_PATH) !== 0 && entry.regexes !== null;
}
