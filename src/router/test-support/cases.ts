/**
 * The shape of the shared router case tables (one list, run against every flavor, Hono-style) and
 * helpers to turn compact case rows into router inputs.
 */
import type { MatchInput, RouterEntry, RouterFlavor, RouterRoute } from '../types.ts';
import type { RouteMatchCalculation } from '../compatible.ts';

export const FLAVORS: RouterFlavor[] = ['traditional', 'traditional_compatible'];

/** A route as written in a case: only the fields that matter, Kong defaults for the rest. */
export interface RouteSpec {
  id: string;
  name?: string;
  hosts?: string[];
  paths?: string[];
  methods?: string[];
  headers?: Record<string, string[]>;
  snis?: string[];
  protocols?: string[];
  regex_priority?: number;
  strip_path?: boolean;
  preserve_host?: boolean;
  path_handling?: 'v0' | 'v1';
  /** Defaults to the route's position in the list (earlier = older). */
  created_at?: number;
  /** The service path (undefined: no path, i.e. `/`). */
  service_path?: string | null;
  /** expressions flavor: the route's expression and priority. */
  expression?: string;
  priority?: number;
}

export interface RequestSpec {
  method?: string;
  path?: string;
  host?: string;
  headers?: Record<string, string | string[]>;
  /**
   * Header lines as received (`[name, value, ...]`), as the proxy passes them; `headers` then gets what
   * Node's `req.headers` would hold for them (first line of a repeated header only; enough for the cases).
   */
  rawHeaders?: string[];
  sni?: string;
  scheme?: 'http' | 'https';
  /** Listener port; defaults to 8000 for http and 8443 for https, as Kong's proxy listens. */
  port?: number;
  /** Raw query string without `?`. */
  query?: string;
  srcIp?: string;
  srcPort?: number;
  dstIp?: string;
}

/** What the match must produce: the route id (null: 404) and optionally parts of the result. */
export interface Outcome {
  route: string | null;
  upstreamPath?: string;
  strippedPrefix?: string | null;
  normalizedPath?: string;
  captures?: Record<string, string> | null;
}

export type Expectation = string | null | Outcome;
/**
 * Per-flavor expectations. `traditional_compatible` is the documented order (Kong's
 * `route_match_calculation = strict`); `original`, when given, is what Kong 3.x's default arithmetic
 * produces instead (see src/router/compatible.ts). The expressions flavor translates traditional routes
 * exactly as traditional_compatible does, so it is held to the same expectations.
 */
export type PerFlavor = {
  traditional: Expectation;
  traditional_compatible: Expectation;
  original?: Expectation;
  /** Where the expressions flavor's translation of a traditional route differs (see the case). */
  expressions?: Expectation;
};

/** A router configuration the case tables run against. */
export interface RouterMode {
  flavor: RouterFlavor;
  calculation?: RouteMatchCalculation;
  /** For test names. */
  label: string;
}

export const MODES: readonly RouterMode[] = [
  { flavor: 'traditional', label: 'traditional' },
  { flavor: 'traditional_compatible', calculation: 'original', label: 'traditional_compatible, route_match_calculation = original' },
  { flavor: 'traditional_compatible', calculation: 'strict', label: 'traditional_compatible, route_match_calculation = strict' },
  { flavor: 'expressions', calculation: 'original', label: 'expressions (traditional routes), route_match_calculation = original' },
  { flavor: 'expressions', calculation: 'strict', label: 'expressions (traditional routes), route_match_calculation = strict' },
];

export interface RouterCase {
  name: string;
  routes: RouteSpec[];
  request: RequestSpec;
  expect: Expectation | PerFlavor;
}

/** A group of cases sharing one route set, each with its own request. */
export interface RouterScenario {
  name: string;
  routes: RouteSpec[];
  requests: Array<{ name: string; request: RequestSpec; expect: Expectation | PerFlavor }>;
}

export function scenario(s: RouterScenario): RouterCase[] {
  return s.requests.map((item) => ({ name: `${s.name}: ${item.name}`, routes: s.routes, request: item.request, expect: item.expect }));
}

function isPerFlavor(expect: Expectation | PerFlavor): expect is PerFlavor {
  return expect !== null && typeof expect === 'object' && 'traditional' in expect;
}

/** The outcome a flavor must produce for a case. */
export function outcomeFor(expect: Expectation | PerFlavor, flavor: RouterFlavor, calculation: RouteMatchCalculation = 'strict'): Outcome {
  let chosen: Expectation;
  if (!isPerFlavor(expect)) chosen = expect;
  else if (flavor === 'expressions' && expect.expressions !== undefined) chosen = expect.expressions;
  else if (flavor !== 'traditional' && calculation === 'original' && expect.original !== undefined) chosen = expect.original;
  else chosen = expect[flavor === 'expressions' ? 'traditional_compatible' : flavor];
  if (chosen === null || typeof chosen === 'string') return { route: chosen };
  return chosen;
}

export function toRouterEntry(spec: RouteSpec, index: number): RouterEntry<string> {
  const route: RouterRoute = {
    id: spec.id,
    name: spec.name ?? null,
    created_at: spec.created_at ?? index,
    protocols: spec.protocols ?? ['http', 'https'],
    methods: spec.methods ?? null,
    hosts: spec.hosts ?? null,
    paths: spec.paths ?? null,
    headers: spec.headers ?? null,
    snis: spec.snis ?? null,
    regex_priority: spec.regex_priority ?? 0,
    strip_path: spec.strip_path ?? true,
    preserve_host: spec.preserve_host ?? false,
    path_handling: spec.path_handling ?? 'v0',
    ...(spec.expression === undefined ? {} : { expression: spec.expression, priority: spec.priority ?? 0 }),
  };
  return { route, servicePath: spec.service_path ?? null, payload: spec.id };
}

export function toMatchInput(spec: RequestSpec): MatchInput {
  const scheme = spec.scheme ?? 'http';
  const headers: MatchInput['headers'] = {};
  for (const [name, value] of Object.entries(spec.headers ?? {})) headers[name.toLowerCase()] = value;
  const raw = spec.rawHeaders;
  if (raw !== undefined) for (let index = raw.length - 2; index >= 0; index -= 2) headers[raw[index].toLowerCase()] = raw[index + 1];
  return {
    ...(raw === undefined ? {} : { rawHeaders: raw }),
    method: spec.method ?? 'GET',
    rawPath: spec.path ?? '/',
    host: spec.host ?? '',
    headers,
    sni: spec.sni ?? '',
    scheme,
    listenerPort: spec.port ?? (scheme === 'https' ? 8443 : 8000),
    ...(spec.query === undefined ? {} : { query: spec.query }),
    ...(spec.srcIp === undefined ? {} : { srcIp: spec.srcIp }),
    ...(spec.srcPort === undefined ? {} : { srcPort: spec.srcPort }),
    ...(spec.dstIp === undefined ? {} : { dstIp: spec.dstIp }),
  };
}
