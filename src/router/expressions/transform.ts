/**
 * Under `router_flavor = expressions`, routes that use the traditional fields (methods, hosts, paths,
 * headers, snis, sources, destinations) are turned into expressions the way Kong's `transform.lua` does,
 * and every route gets Kong's 64-bit priority: an expression route `0xFF << 56 | priority`, so it always
 * comes before traditional routes, and a traditional route the priority of the traditional_compatible
 * flavor (field count, plain hosts, header count, regex, regex_priority, prefix length).
 */
import { kongOriginalPriority } from '../compatible.ts';
import { parseIPv4 } from '../../core/cidr.ts';
import type { RouterRoute } from '../types.ts';

const AND = ' && ';
const OR = ' || ';

/** Kong's string quoting: a raw string unless the text holds `"#`. */
export function quoteString(text: string): string {
  if (!text.includes('"#')) return `r#"${text}"#`;
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function anyOf<V>(field: string, values: readonly V[], term: (value: V) => [op: string, literal: string]): string {
  return `(${values.map((value) => {
    const [op, literal] = term(value);
    return `${field} ${op} ${literal}`;
  }).join(OR)})`;
}

export interface NetEntry {
  ip?: string | null;
  port?: number | null;
}

function ipLiteral(ip: string): string {
  const slash = ip.indexOf('/');
  if (slash < 0) return ip;
  const address = ip.slice(0, slash);
  const mask = Number(ip.slice(slash + 1));
  const v4 = parseIPv4(address);
  // Kong clears the host bits of IPv4 blocks only.
  if (v4 < 0) return ip;
  const network = mask === 0 ? 0 : (v4 >>> (32 - mask)) << (32 - mask);
  return `${[24, 16, 8, 0].map((shift) => (network >>> shift) & 0xff).join('.')}/${mask}`;
}

function nets(ipField: string, portField: string, entries: readonly NetEntry[]): string {
  return `(${entries.map((entry) => {
    const ip = entry.ip ?? null;
    const port = entry.port ?? null;
    const ipTerm = ip === null ? null : `${ipField} ${ip.includes('/') ? 'in' : '=='} ${ipLiteral(ip)}`;
    const portTerm = port === null ? null : `${portField} == ${port}`;
    if (ipTerm === null) return portTerm;
    if (portTerm === null) return ipTerm;
    return `(${ipTerm}${AND}${portTerm})`;
  }).join(OR)})`;
}

function nonEmpty<V>(values: readonly V[] | null | undefined): values is readonly V[] {
  return values !== null && values !== undefined && values.length > 0;
}

/** The route fields this module reads beyond RouterRoute's. */
export interface TraditionalFields {
  sources?: readonly NetEntry[] | null;
  destinations?: readonly NetEntry[] | null;
}

/** Kong's translation of an HTTP route's traditional fields into one expression (paths: one group). */
export function traditionalExpression(route: RouterRoute & TraditionalFields, paths: readonly string[] | null): string {
  const parts: string[] = [];
  if (nonEmpty(route.snis)) {
    const snis = anyOf('tls.sni', route.snis, (sni) => {
      if (sni.endsWith('*')) return ['^=', quoteString(sni.slice(0, -1))];
      let value = sni.length > 1 && sni.endsWith('.') ? sni.slice(0, -1) : sni;
      if (sni.startsWith('*')) {
        value = value.slice(1);
        return ['=^', quoteString(value)];
      }
      return ['==', quoteString(value)];
    });
    // Kong's #6425: on a request that is not HTTPS the SNI is not considered.
    parts.push(`(net.protocol != r#"https"#${OR}${snis})`);
  }
  if (nonEmpty(route.sources)) parts.push(nets('net.src.ip', 'net.src.port', route.sources));
  if (nonEmpty(route.destinations)) parts.push(nets('net.dst.ip', 'net.dst.port', route.destinations));
  if (nonEmpty(route.methods)) parts.push(anyOf('http.method', route.methods, (method) => ['==', quoteString(method)]));
  if (nonEmpty(route.hosts)) {
    parts.push(`(${route.hosts.map((entry) => {
      let host = entry;
      let port: number | null = null;
      const colon = entry.indexOf(':');
      if (colon >= 0 && /^\d+$/.test(entry.slice(colon + 1))) {
        host = entry.slice(0, colon);
        port = Number(entry.slice(colon + 1));
      }
      let op = '==';
      if (host.startsWith('*')) {
        op = '=^';
        host = host.slice(1);
      } else if (host.endsWith('*')) {
        op = '^=';
        host = host.slice(0, -1);
      }
      const term = `http.host ${op} r#"${host}"#`;
      return port === null ? term : `(${term}${AND}net.dst.port == ${port})`;
    }).join(OR)})`);
  }
  if (nonEmpty(paths)) {
    parts.push(anyOf('http.path', paths, (path) =>
      path.startsWith('~') ? ['~', quoteString(`^${path.slice(1).replaceAll('?<', '?P<')}`)] : ['^=', quoteString(path)]));
  }
  if (route.headers !== null && route.headers !== undefined) {
    const headers: string[] = [];
    for (const [name, values] of Object.entries(route.headers)) {
      if (values.length === 0) continue;
      const field = `any(lower(http.headers.${name.toLowerCase().replaceAll('-', '_')}))`;
      headers.push(`(${values.map((value) => {
        const regex = value.startsWith('~*');
        return `${field} ${regex ? '~' : '=='} ${quoteString((regex ? value.slice(2) : value).toLowerCase())}`;
      }).join(OR)})`);
    }
    if (headers.length > 0) parts.push(headers.join(AND));
  }
  return parts.join(AND);
}

/** The ranking keys of one router entry (see compareRanks). */
export interface RankKeys {
  expression: boolean;
  /** Expression routes: their `priority`. */
  priority: number;
  /** Traditional routes: Kong's priority as a running Kong computes it (`route_match_calculation = original`). */
  originalPriority: bigint;
  fieldCount: number;
  plainHostsOnly: number;
  headerCount: number;
  hasRegex: number;
  regexPriority: number;
  prefixLength: number;
  /** Ties go to the higher id (the route's, or Kong's name-based id of a split route). */
  tieId: string;
}

export const EXPRESSION_ONLY_BIT = 0xffn << 56n;

export function expressionRankKeys(route: RouterRoute & { priority?: number | null }): RankKeys {
  const priority = route.priority ?? 0;
  return {
    expression: true,
    priority,
    originalPriority: EXPRESSION_ONLY_BIT | BigInt(priority),
    fieldCount: 0,
    plainHostsOnly: 0,
    headerCount: 0,
    hasRegex: 0,
    regexPriority: 0,
    prefixLength: 0,
    tieId: route.id.toLowerCase(),
  };
}

/** Kong's `get_priority` inputs for a traditional HTTP route restricted to one path group. */
export function traditionalRankKeys(route: RouterRoute & TraditionalFields, paths: readonly string[] | null, tieId: string): RankKeys {
  let fieldCount = 0;
  if (nonEmpty(route.sources)) fieldCount++;
  if (nonEmpty(route.destinations)) fieldCount++;
  if (nonEmpty(route.methods)) fieldCount++;
  if (nonEmpty(route.hosts)) fieldCount++;
  const headerCount = Math.min(route.headers === null || route.headers === undefined ? 0 : Object.keys(route.headers).length, 255);
  if (headerCount > 0) fieldCount++;
  if (nonEmpty(route.snis)) fieldCount++;
  let hasRegex = false;
  let prefixLength = 0;
  if (nonEmpty(paths)) {
    fieldCount++;
    hasRegex = paths[0].startsWith('~');
    if (!hasRegex) prefixLength = paths[0].length;
  }
  // Kong tests `type(hosts) == "table"`: an empty list counts as plain hosts only.
  const plain = Array.isArray(route.hosts) && !route.hosts.some((host) => host.includes('*'));
  const regexPriority = hasRegex ? route.regex_priority : 0;
  return {
    expression: false,
    priority: 0,
    originalPriority: kongOriginalPriority(fieldCount, plain, headerCount, hasRegex, regexPriority, prefixLength),
    fieldCount,
    plainHostsOnly: nonEmpty(route.hosts) && plain ? 1 : 0,
    headerCount,
    hasRegex: hasRegex ? 1 : 0,
    regexPriority,
    prefixLength,
    tieId: tieId.toLowerCase(),
  };
}

function tie(a: RankKeys, b: RankKeys): number {
  return a.tieId < b.tieId ? 1 : a.tieId > b.tieId ? -1 : 0;
}

/** Kong's order exactly: descending 64-bit priority, then descending id. */
export function compareOriginal(a: RankKeys, b: RankKeys): number {
  if (a.originalPriority !== b.originalPriority) return a.originalPriority > b.originalPriority ? -1 : 1;
  return tie(a, b);
}

/** The documented order: expression routes by `priority`, then traditional routes by the compatible keys. */
export function compareStrict(a: RankKeys, b: RankKeys): number {
  if (a.expression !== b.expression) return a.expression ? -1 : 1;
  if (a.expression) return a.priority !== b.priority ? b.priority - a.priority : tie(a, b);
  if (a.fieldCount !== b.fieldCount) return b.fieldCount - a.fieldCount;
  if (a.plainHostsOnly !== b.plainHostsOnly) return b.plainHostsOnly - a.plainHostsOnly;
  if (a.headerCount !== b.headerCount) return b.headerCount - a.headerCount;
  if (a.hasRegex !== b.hasRegex) return b.hasRegex - a.hasRegex;
  if (a.regexPriority !== b.regexPriority) return b.regexPriority - a.regexPriority;
  if (a.prefixLength !== b.prefixLength) return b.prefixLength - a.prefixLength;
  return tie(a, b);
}

/** Kong's deprecated `net.port` is read as `net.dst.port`. */
export function amendExpression(expression: string): string {
  return expression.includes('net.port') ? expression.replace(/(net\.port)(\s*)([=><!])/g, 'net.dst.port$2$3') : expression;
}
