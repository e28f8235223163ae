/**
 * HTTPRoutes for the expressions router, KIC's way: every hostname × rule × match becomes one Kong route named
 * `httproute.<namespace>.<name>.<host or _>.<rule>.<match>` whose `expression` joins its hostname, SNIs, path,
 * headers, query parameters and method, with KIC's priority: the match's traits (precise hostname, hostname
 * length, Exact or RegularExpression path, path length, method, header and query parameter counts) in the high
 * bits, and among equal traits an order by creation time, namespace, name, rule and match in the low 12 bits.
 */
import { isObject, type Json, type JsonObject, type K8sObject } from '../objects.ts';
import { asArray, asString, field } from './state.ts';

/** The expression of a route that matches everything KIC would send to it. */
export const CATCH_ALL_HTTP_EXPRESSION = '(net.protocol == "http") || (net.protocol == "https")';

const HTTP_ROUTE_KIND_BITS = 2;
const KIND_SHIFT = 44;
const RELATIVE_ORDER_MAX = 2 ** 12 - 1;
const VALID_HOST = /^(\*\.)?([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)+(\.([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*))*?(\.\*)?$/;
const VALID_METHOD = /^[A-Z]+$/;

export interface SplitMatch {
  route: K8sObject;
  hostname: string;
  ruleIndex: number;
  matchIndex: number;
  match: JsonObject;
}

/** One entry per hostname (or none), rule and match (a rule without matches counts one empty match). */
export function splitHttpRoute(route: K8sObject): SplitMatch[] {
  const hostnames = asArray(field(route, 'spec.hostnames')).filter((h): h is string => typeof h === 'string');
  const out: SplitMatch[] = [];
  for (const hostname of hostnames.length === 0 ? [''] : hostnames) {
    asArray(field(route, 'spec.rules')).forEach((rule, ruleIndex) => {
      const matches = isObject(rule) ? asArray(rule.matches) : [];
      if (matches.length === 0) out.push({ route, hostname, ruleIndex, matchIndex: 0, match: {} });
      matches.forEach((match, matchIndex) => out.push({ route, hostname, ruleIndex, matchIndex, match: isObject(match) ? match : {} }));
    });
  }
  return out;
}

export function splitKey(s: { route: K8sObject; hostname: string; ruleIndex: number; matchIndex: number }): string {
  return `${s.route.metadata.namespace}/${s.route.metadata.name}/${s.hostname}/${s.ruleIndex}/${s.matchIndex}`;
}

/** KIC's string literal: double quotes with backslash escapes. */
function literal(value: string): string {
  const escaped = value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n').replaceAll('\r', '\\r').replaceAll('\t', '\\t');
  return `"${escaped}"`;
}

/** A group of predicates: one stands alone, several are each parenthesised and joined. */
function join(parts: readonly string[], op: '&&' | '||'): string {
  const present = parts.filter((p) => p !== '');
  if (present.length <= 1) return present[0] ?? '';
  return present.map((p) => `(${p})`).join(` ${op} `);
}

function pathPredicate(path: JsonObject): string {
  const type = asString(path.type) ?? 'PathPrefix';
  const value = asString(path.value) ?? '';
  switch (type) {
    case 'Exact':
      return `http.path == ${literal(value)}`;
    case 'RegularExpression':
      return `http.path ~ ${literal(value.startsWith('^') ? value : `^${value}`)}`;
    default: {
      const prefix = value === '' || value === '/' ? '/' : value.replace(/\/$/, '');
      if (prefix === '/') return 'http.path ^= "/"';
      return join([`http.path == ${literal(prefix)}`, `http.path ^= ${literal(`${prefix}/`)}`], '||');
    }
  }
}

function byName(list: Json | undefined): JsonObject[] {
  return asArray(list).filter((x): x is JsonObject => isObject(x) && typeof x.name === 'string' && typeof x.value === 'string')
    .sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : (a.name as string) > (b.name as string) ? 1 : 0));
}

function matchExpression(match: JsonObject): string {
  const parts: string[] = [];
  if (isObject(match.path)) parts.push(pathPredicate(match.path));
  const headers = byName(match.headers).map((h) => {
    const name = (h.name as string).toLowerCase().replaceAll('-', '_');
    return `http.headers.${name} ${h.type === 'RegularExpression' ? '~' : '=='} ${literal(h.value as string)}`;
  });
  parts.push(join(headers, '&&'));
  const queries = byName(match.queryParams).map((q) => `http.queries.${q.name as string} ${q.type === 'RegularExpression' ? '~' : '=='} ${literal(q.value as string)}`);
  parts.push(join(queries, '&&'));
  if (typeof match.method === 'string' && VALID_METHOD.test(match.method)) parts.push(`http.method == ${literal(match.method)}`);
  return join(parts, '&&');
}

/** The expression of one split match; `snis` from the route's `konghq.com/snis`. */
export function splitExpression(s: SplitMatch, snis: readonly string[]): string {
  const parts: string[] = [];
  if (s.hostname !== '' && VALID_HOST.test(s.hostname)) {
    parts.push(s.hostname.startsWith('*') ? `http.host =^ ${literal(s.hostname.slice(1))}` : `http.host == ${literal(s.hostname)}`);
  }
  parts.push(join(snis.map((sni) => `tls.sni == ${literal(sni)}`), '||'));
  parts.push(matchExpression(s.match));
  const expression = join(parts, '&&');
  return expression === '' ? CATCH_ALL_HTTP_EXPRESSION : expression;
}

function traitsPriority(s: SplitMatch): number {
  let p = HTTP_ROUTE_KIND_BITS * 2 ** KIND_SHIFT;
  if (s.hostname !== '') {
    if (!s.hostname.startsWith('*')) p += 2 ** 43;
    p += s.hostname.length * 2 ** 35;
  }
  if (isObject(s.match.path)) {
    const type = asString(s.match.path.type);
    if (type === 'Exact') p += 2 ** 34;
    if (type === 'RegularExpression') p += 2 ** 33;
    const length = (asString(s.match.path.value) ?? '').length;
    if (length > 0) p += (length - 1) * 2 ** 23;
  }
  if (typeof s.match.method === 'string') p += 2 ** 22;
  p += asArray(s.match.headers).length * 2 ** 17;
  p += asArray(s.match.queryParams).length * 2 ** 12;
  return p;
}

function creationTime(route: K8sObject): string {
  const meta = route.raw.metadata;
  return isObject(meta) && typeof meta.creationTimestamp === 'string' ? meta.creationTimestamp : '';
}

/** Priorities of every split match of `routes`, by splitKey. */
export function httpRoutePriorities(routes: readonly K8sObject[]): Map<string, number> {
  const byTraits = new Map<number, SplitMatch[]>();
  for (const route of routes) {
    for (const s of splitHttpRoute(route)) {
      const p = traitsPriority(s);
      const list = byTraits.get(p);
      if (list === undefined) byTraits.set(p, [s]);
      else list.push(s);
    }
  }
  const out = new Map<string, number>();
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  for (const [priority, matches] of byTraits) {
    matches.sort((a, b) => cmp(creationTime(a.route), creationTime(b.route))
      || cmp(a.route.metadata.namespace, b.route.metadata.namespace)
      || cmp(a.route.metadata.name, b.route.metadata.name)
      || a.ruleIndex - b.ruleIndex || a.matchIndex - b.matchIndex);
    matches.forEach((s, i) => out.set(splitKey(s), priority + Math.max(RELATIVE_ORDER_MAX - i, 0)));
  }
  return out;
}
