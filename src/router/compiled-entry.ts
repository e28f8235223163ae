/**
 * One matchable unit: a route restricted to one path (traditional) or one path group (compatible),
 * with every field compiled. Both flavors share this shape so the candidate indexes can serve both.
 */
import { compileHostCondition, hostMatchesCompatible, hostMatchesTraditional } from './host-condition.ts';
import type { HostCondition } from './host-condition.ts';
import {
  compileHeaderCondition,
  compileRegexPath,
  compileSniCondition,
  headersMatch,
  regexPathMatches,
  sniMatches,
} from './field-conditions.ts';
import type { HeaderCondition, RegexPath, SniCondition } from './field-conditions.ts';
import type { RequestView } from './request-view.ts';
import type { RouterEntry, RouterRoute } from './types.ts';

/** Field bits, in the traditional router's order of significance (hosts > headers > paths > methods > snis). */
export const FIELD_HOST = 16;
export const FIELD_HEADER = 8;
export const FIELD_PATH = 4;
export const FIELD_METHOD = 2;
export const FIELD_SNI = 1;

export interface CompiledEntry<T> {
  /** Position in the flavor's overall order; lower ranks win. Set once the entries are sorted. */
  rank: number;
  source: RouterEntry<T>;
  route: RouterRoute;
  compatible: boolean;
  /** Which of the FIELD_* bits this entry uses. */
  fields: number;
  hosts: HostCondition | null;
  headers: HeaderCondition[] | null;
  /** Prefix paths (traditional: exactly one; compatible: a group of equal length). */
  prefixes: string[] | null;
  /** Regex paths (traditional: exactly one; compatible: all regex paths of the route). */
  regexes: RegexPath[] | null;
  methods: string[] | null;
  snis: SniCondition | null;
}

const HTTP_PROTOCOLS = ['http', 'https', 'grpc', 'grpcs'];

/** Stream-only routes (tcp, tls, udp, tls_passthrough) belong to the stream router, not this one. */
export function isHttpRoute(route: RouterRoute): boolean {
  return route.protocols.length === 0 || route.protocols.some((protocol) => HTTP_PROTOCOLS.includes(protocol));
}

function nonEmpty<V>(values: V[] | null | undefined): values is V[] {
  return values !== null && values !== undefined && values.length > 0;
}

function describeRoute(route: RouterRoute): string {
  return route.name === null ? `route ${route.id}` : `route ${route.id} (${route.name})`;
}

/**
 * Compiles a route for one set of paths (`null` when the route has no paths). Throws when the route
 * sets no matching field at all, or when one of its regexes does not compile.
 */
export function compileEntry<T>(source: RouterEntry<T>, paths: string[] | null, compatible: boolean): CompiledEntry<T> {
  const route = source.route;
  let fields = 0;

  let hosts: HostCondition | null = null;
  if (nonEmpty(route.hosts)) {
    hosts = compileHostCondition(route.hosts, compatible);
    fields |= FIELD_HOST;
  }

  let headers: HeaderCondition[] | null = null;
  if (route.headers !== null && route.headers !== undefined) {
    const compiled: HeaderCondition[] = [];
    for (const [name, values] of Object.entries(route.headers)) {
      // `host` is matched through `hosts`; the schema rejects it here, and Kong's router ignores it.
      if (name.toLowerCase() === 'host') continue;
      try {
        compiled.push(compileHeaderCondition(name, values, compatible));
      } catch (error) {
        throw new Error(`${describeRoute(route)}: header '${name}': ${(error as Error).message}`);
      }
    }
    if (compiled.length > 0) {
      headers = compiled;
      fields |= FIELD_HEADER;
    }
  }

  let prefixes: string[] | null = null;
  let regexes: RegexPath[] | null = null;
  if (nonEmpty(paths)) {
    fields |= FIELD_PATH;
    for (const path of paths) {
      if (path.startsWith('~')) {
        try {
          (regexes ??= []).push(compileRegexPath(path.slice(1)));
        } catch (error) {
          throw new Error(`${describeRoute(route)}: invalid regex path '${path}': ${(error as Error).message}`);
        }
      } else {
        (prefixes ??= []).push(path);
      }
    }
  }

  let methods: string[] | null = null;
  if (nonEmpty(route.methods)) {
    methods = [...new Set(route.methods.map((method) => method.toUpperCase()))];
    fields |= FIELD_METHOD;
  }

  let snis: SniCondition | null = null;
  if (nonEmpty(route.snis)) {
    snis = compileSniCondition(route.snis, compatible);
    fields |= FIELD_SNI;
  }

  if (fields === 0) {
    throw new Error(`${describeRoute(route)}: sets none of 'methods', 'hosts', 'headers', 'paths', 'snis'; it can match nothing`);
  }
  return { rank: 0, source, route, compatible, fields, hosts, headers, prefixes, regexes, methods, snis };
}

/** Index of the first path of the entry that matches the normalised path, or -1. */
export function matchingPathIndex(entry: CompiledEntry<unknown>, path: string): number {
  const prefixes = entry.prefixes;
  if (prefixes !== null) {
    for (let index = 0; index < prefixes.length; index++) {
      if (path.startsWith(prefixes[index])) return index;
    }
    return -1;
  }
  const regexes = entry.regexes!;
  for (let index = 0; index < regexes.length; index++) {
    if (regexPathMatches(regexes[index], path)) return index;
  }
  return -1;
}

/**
 * Whether every field the entry sets matches the request (router.md section 4). `verified` holds
 * FIELD_HOST and/or FIELD_PATH when the index that produced the entry already guarantees them.
 */
export function entryMatches(entry: CompiledEntry<unknown>, view: RequestView, verified = 0): boolean {
  if (entry.methods !== null && !entry.methods.includes(view.method)) return false;
  if (entry.hosts !== null && (verified & FIELD_HOST) === 0) {
    const hostOk = entry.compatible ? hostMatchesCompatible(entry.hosts, view) : hostMatchesTraditional(entry.hosts, view);
    if (!hostOk) return false;
  }
  if (entry.snis !== null && !sniMatches(entry.snis, view)) return false;
  if (entry.headers !== null && !headersMatch(entry.headers, view)) return false;
  if ((entry.fields & FIELD_PATH) !== 0 && (verified & FIELD_PATH) === 0 && matchingPathIndex(entry, view.path) < 0) return false;
  return true;
}
