/**
 * The stream router: chooses the route of a TCP connection, TLS connection or UDP session from its source
 * and destination addresses and its TLS server name, as Kong's stream router does. Compiled once per
 * configuration; `match` only walks a priority-ordered array of precompiled conditions.
 *
 * Order (see docs/stream.md): Kong's priority (`streamPriority`; an expression route's own `priority`), then the
 * older route, then configuration order.
 */
import { compileIpMatcher, type IpMatcher } from '../core/cidr.ts';
import { compileStreamExpression, type StreamPredicate } from './expression-routes.ts';

/** The protocol a connection arrived with, as stream routes name it. */
export type StreamProtocol = 'tcp' | 'tls' | 'tls_passthrough' | 'udp';

export const STREAM_PROTOCOLS: readonly string[] = ['tcp', 'tls', 'tls_passthrough', 'udp'];

/** The route fields the stream router reads. */
export interface StreamRouteFields {
  id: string;
  created_at: number;
  protocols: readonly string[];
  snis: readonly string[] | null;
  sources?: readonly StreamEndpoint[] | null;
  destinations?: readonly StreamEndpoint[] | null;
  /** `router_flavor = expressions`: the route's expression (then the fields above are unset) and its priority. */
  expression?: string | null;
  priority?: number | null;
}

export interface StreamEndpoint {
  ip?: string | null;
  port?: number | null;
}

/** What is known about a connection when it is routed. */
export interface StreamConnection {
  protocol: StreamProtocol;
  /** The TLS server name, lower-case, or null (plain TCP, UDP, or a client that sent none). */
  sni: string | null;
  sourceIp: string;
  sourcePort: number;
  destinationIp: string;
  destinationPort: number;
}

/** True when a route's protocols make it a stream route (it then belongs here, not to the HTTP router). */
export function isStreamRoute(route: { protocols: readonly string[] }): boolean {
  return route.protocols.length > 0 && route.protocols.every((p) => STREAM_PROTOCOLS.includes(p));
}

type EndpointMatcher = (ip: string, port: number) => boolean;

interface CompiledStreamRoute<T> {
  readonly protocols: ReadonlySet<string>;
  readonly snis: SniMatcher | null;
  readonly sources: EndpointMatcher | null;
  readonly destinations: EndpointMatcher | null;
  readonly expression: StreamPredicate | null;
  readonly payload: T;
}

interface SniMatcher {
  readonly exact: ReadonlySet<string>;
  /** `*.example.com` kept as `.example.com`. */
  readonly suffixes: readonly string[];
  /** `example.*` kept as `example.`. */
  readonly prefixes: readonly string[];
}

function compileSnis(snis: readonly string[]): SniMatcher {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  const prefixes: string[] = [];
  for (const raw of snis) {
    const name = raw.toLowerCase().replace(/\.$/, '');
    if (name.startsWith('*')) suffixes.push(name.slice(1));
    else if (name.endsWith('*')) prefixes.push(name.slice(0, -1));
    else exact.add(name);
  }
  return { exact, suffixes, prefixes };
}

function sniMatches(m: SniMatcher, sni: string): boolean {
  if (m.exact.has(sni)) return true;
  for (const s of m.suffixes) if (sni.length > s.length && sni.endsWith(s)) return true;
  for (const p of m.prefixes) if (sni.length > p.length && sni.startsWith(p)) return true;
  return false;
}

function compileEndpoints(endpoints: readonly StreamEndpoint[]): EndpointMatcher {
  const compiled = endpoints.map((e) => ({
    ip: e.ip === null || e.ip === undefined ? null : compileIpMatcher([e.ip]),
    port: e.port ?? null,
  }));
  return (ip, port) => {
    for (const e of compiled) if ((e.port === null || e.port === port) && (e.ip === null || (e.ip as IpMatcher)(ip))) return true;
    return false;
  };
}

function present<T>(list: readonly T[] | null | undefined): list is readonly T[] {
  return list !== null && list !== undefined && list.length > 0;
}

const SRC_IP = 1 << 7;
const SRC_PORT = 1 << 6;
const SRC_CIDR = 1 << 4;
const DST_IP = 1 << 3;
const DST_PORT = 1 << 2;
const DST_CIDR = 1 << 0;
/** Above every endpoint bit: a route with `snis`, or with both `sources` and `destinations`. */
const TOP = 1 << 8;

function endpointBits(list: readonly StreamEndpoint[], ip: number, cidr: number, port: number): number {
  let bits = 0;
  for (const e of list) {
    if (e.ip != null) bits |= e.ip.includes('/') ? cidr : ip;
    if (e.port != null) bits |= port;
  }
  return bits;
}

/**
 * A route's rank, Kong's (traditional_compatible) weights: `snis`, or `sources` together with `destinations`,
 * put a route above every other; then one bit each for a source ip, source port, source CIDR, destination ip,
 * destination port, destination CIDR, in that order of weight. A larger number is tried first.
 */
export function streamPriority(route: StreamRouteFields): number {
  const sources = present(route.sources) ? route.sources : null;
  const destinations = present(route.destinations) ? route.destinations : null;
  let priority = present(route.snis) || (sources !== null && destinations !== null) ? TOP : 0;
  if (sources !== null) priority |= endpointBits(sources, SRC_IP, SRC_CIDR, SRC_PORT);
  if (destinations !== null) priority |= endpointBits(destinations, DST_IP, DST_CIDR, DST_PORT);
  return priority;
}

/**
 * Where a route ranks: Kong's traditional priority is a 64-bit number whose top bit (2^61) sits above any
 * expression route's `priority`, so the two parts are compared in turn rather than added.
 */
interface StreamRank {
  top: number;
  low: number;
}

export interface StreamRouterEntry<T> {
  route: StreamRouteFields;
  payload: T;
}

/** The compiled stream routes of one configuration. */
export class StreamRouter<T> {
  static empty<T>(): StreamRouter<T> {
    return new StreamRouter<T>([]);
  }

  readonly #routes: readonly CompiledStreamRoute<T>[];
  /** Whether any route wants TLS server names of connections this node does not terminate (then plain listeners peek). */
  readonly hasPassthrough: boolean;
  readonly size: number;

  /** `onRefused` hears of routes left out (an expression that does not check). */
  constructor(entries: readonly StreamRouterEntry<T>[], onRefused?: (routeId: string, reason: string) => void) {
    const ranked: { e: StreamRouterEntry<T>; index: number; rank: StreamRank; expression: StreamPredicate | null }[] = [];
    entries.forEach((e, index) => {
      if (!isStreamRoute(e.route)) return;
      const source = e.route.expression;
      if (typeof source === 'string' && source !== '') {
        const compiled = compileStreamExpression(source);
        if (typeof compiled === 'string') onRefused?.(e.route.id, compiled);
        else ranked.push({ e, index, rank: { top: 0, low: e.route.priority ?? 0 }, expression: compiled });
        return;
      }
      const priority = streamPriority(e.route);
      ranked.push({ e, index, rank: { top: priority >= TOP ? 1 : 0, low: priority % TOP }, expression: null });
    });
    ranked.sort((a, b) => b.rank.top - a.rank.top || b.rank.low - a.rank.low || a.e.route.created_at - b.e.route.created_at || a.index - b.index);
    this.#routes = ranked.map(({ e, expression }) => ({
      protocols: new Set(e.route.protocols),
      snis: present(e.route.snis) ? compileSnis(e.route.snis) : null,
      sources: present(e.route.sources) ? compileEndpoints(e.route.sources) : null,
      destinations: present(e.route.destinations) ? compileEndpoints(e.route.destinations) : null,
      expression,
      payload: e.payload,
    }));
    this.hasPassthrough = this.#routes.some((r) => r.protocols.has('tls_passthrough'));
    this.size = this.#routes.length;
  }

  /**
   * The payload of the first route matching `c`, or null. A TLS connection whose ClientHello was only peeked
   * (`tls_passthrough`) also matches `tcp` routes without `snis`: its bytes are then relayed as plain TCP;
   * `strict` leaves that out (an `ssl` listener terminates such a connection instead).
   */
  match(c: StreamConnection, strict = false): T | null {
    for (const r of this.#routes) {
      if (!r.protocols.has(c.protocol)) {
        if (strict || !(c.protocol === 'tls_passthrough' && r.snis === null && r.protocols.has('tcp'))) continue;
      }
      if (r.snis !== null && (c.sni === null || !sniMatches(r.snis, c.sni))) continue;
      if (r.sources !== null && !r.sources(c.sourceIp, c.sourcePort)) continue;
      if (r.destinations !== null && !r.destinations(c.destinationIp, c.destinationPort)) continue;
      if (r.expression !== null && !r.expression(c)) continue;
      return r.payload;
    }
    return null;
  }
}
