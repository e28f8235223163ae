/**
 * Slow, literal models of both flavors for differential tests: they walk plain arrays exactly as
 * router.md describes (and Kong's Lua does), with no indexes and no pruning. The real router must
 * agree with them on every request.
 */
import type { RouteMatchCalculation } from '../compatible.ts';
import { normalizePath } from '../../core/uri.ts';
import { compileCompatibleEntries } from '../compatible.ts';
import { entryMatches, FIELD_HEADER, FIELD_HOST, FIELD_METHOD, FIELD_PATH, FIELD_SNI } from '../compiled-entry.ts';
import type { CompiledEntry } from '../compiled-entry.ts';
import { regexPathMatches } from '../field-conditions.ts';
import { wildcardMatchesTraditional } from '../host-condition.ts';
import { RequestView } from '../request-view.ts';
import { compareCategories, compileTraditionalEntries } from '../traditional-order.ts';
import type { MatchInput, RouterEntry } from '../types.ts';

export type ReferenceRouter<T> = (input: MatchInput) => { entry: CompiledEntry<T>; path: string } | null;

export function referenceCompatible<T>(entries: RouterEntry<T>[], calculation: RouteMatchCalculation = 'strict'): ReferenceRouter<T> {
  const compiled = compileCompatibleEntries(entries, calculation);
  return (input) => {
    const view = new RequestView();
    view.reset(input, normalizePath(input.rawPath));
    view.splitHostCompatible(input.listenerPort);
    const entry = compiled.find((candidate) => entryMatches(candidate, view));
    return entry === undefined ? null : { entry, path: view.path };
  };
}

export function referenceTraditional<T>(entries: RouterEntry<T>[]): ReferenceRouter<T> {
  const compiled = compileTraditionalEntries(entries);
  const categoryFields = [...new Set(compiled.map((entry) => entry.fields))].sort(compareCategories);
  const categories = categoryFields.map((fields) => compiled.filter((entry) => entry.fields === fields));

  return (input) => {
    const view = new RequestView();
    view.reset(input, normalizePath(input.rawPath));
    view.splitHostTraditional();

    let mask = 0;
    let hitHost: string | null = null;
    if (view.hasHost) {
      const hostPart = view.host.slice(0, view.hostPartEnd);
      const withPort = view.portStart >= 0 ? view.host : `${hostPart}:${view.defaultPortText}`;
      const plainHit = compiled.some((entry) => entry.hosts?.plain.some((host) => host === withPort || host === view.hostNoPort));
      if (plainHit) {
        mask |= FIELD_HOST;
      } else {
        for (const entry of compiled) {
          const wildcard = entry.hosts?.wildcards.find((candidate) => wildcardMatchesTraditional(candidate, view));
          if (wildcard !== undefined) {
            hitHost = wildcard.value;
            mask |= FIELD_HOST;
            break;
          }
        }
      }
    }

    const headerNames: string[] = [];
    for (const entry of compiled) {
      for (const header of entry.headers ?? []) if (!headerNames.includes(header.name)) headerNames.push(header.name);
    }
    const hitHeader = headerNames.find((name) => view.headerValue(name) !== undefined) ?? null;
    if (hitHeader !== null) mask |= FIELD_HEADER;

    let hitPath: string | null = null;
    if (view.path !== '') {
      for (const entry of compiled) {
        if (entry.regexes !== null && regexPathMatches(entry.regexes[0], view.path)) {
          hitPath = entry.regexes[0].source;
          break;
        }
      }
      if (hitPath === null) {
        for (const entry of compiled) {
          const prefix = entry.prefixes?.[0];
          if (prefix !== undefined && view.path.startsWith(prefix) && (hitPath === null || prefix.length > hitPath.length)) hitPath = prefix;
        }
      }
      if (hitPath !== null) mask |= FIELD_PATH;
    }
    if (compiled.some((entry) => entry.methods?.includes(view.method))) mask |= FIELD_METHOD;
    if (compiled.some((entry) => entry.snis?.exact.has(view.sni))) mask |= FIELD_SNI;
    if (mask === 0) return null;

    const start = Math.max(0, categoryFields.indexOf(mask));
    for (let index = start; index < categories.length; index++) {
      const category = categories[index];
      const fields = categoryFields[index];
      const lists: Array<[number, CompiledEntry<T>[]]> = [];
      const keyed = (predicate: (entry: CompiledEntry<T>) => number): CompiledEntry<T>[] => {
        const list: CompiledEntry<T>[] = [];
        for (const entry of category) for (let n = predicate(entry); n > 0; n--) list.push(entry);
        return list;
      };
      let shortList: CompiledEntry<T>[] | null = null;
      if ((fields & FIELD_HOST) !== 0) {
        const key = hitHost ?? view.host;
        const list = keyed((entry) => [...entry.hosts!.plain, ...entry.hosts!.wildcards.map((w) => w.value)].filter((h) => h === key).length);
        if (list.length > 0) lists.push([FIELD_HOST, list]);
      }
      if ((fields & FIELD_HEADER) !== 0 && hitHeader !== null) {
        const list = keyed((entry) => (entry.headers!.some((header) => header.name === hitHeader) ? 1 : 0));
        if (list.length > 0) shortList = list;
      }
      if (shortList === null) {
        if ((fields & FIELD_PATH) !== 0 && hitPath !== null) {
          const list = keyed((entry) => ((entry.prefixes?.[0] ?? entry.regexes![0].source) === hitPath ? 1 : 0));
          if (list.length > 0) lists.push([FIELD_PATH, list]);
        }
        if ((fields & FIELD_METHOD) !== 0) {
          const list = keyed((entry) => (entry.methods!.includes(view.method) ? 1 : 0));
          if (list.length > 0) lists.push([FIELD_METHOD, list]);
        }
        if ((fields & FIELD_SNI) !== 0) {
          const list = keyed((entry) => (entry.snis!.exact.has(view.sni) ? 1 : 0));
          if (list.length > 0) lists.push([FIELD_SNI, list]);
        }
        for (const [, list] of lists) if (shortList === null || list.length < shortList.length) shortList = list;
      }
      const found = shortList?.find((entry) => entryMatches(entry, view)) ?? category.find((entry) => entryMatches(entry, view));
      if (found !== undefined) return { entry: found, path: view.path };
    }
    return null;
  };
}
