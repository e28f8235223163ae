/**
 * The router's contract with the rest of Tollgate.
 *
 * The snapshot compiler hands the router every route once per configuration, each with an opaque
 * `payload` (the prebuilt proxy entry: service, upstream, plugin chain). The router compiles them into
 * a matcher; the proxy calls `match` once per request and gets the payload back with the upstream path.
 */

export type RouterFlavor = 'traditional' | 'traditional_compatible' | 'expressions';

/** The route fields the router reads (Kong 3.x names; defaults already applied by the schema). */
export interface RouterRoute {
  id: string;
  name: string | null;
  created_at: number;
  protocols: string[];
  methods: string[] | null;
  hosts: string[] | null;
  paths: string[] | null;
  headers: Record<string, string[]> | null;
  snis: string[] | null;
  regex_priority: number;
  strip_path: boolean;
  preserve_host: boolean;
  path_handling: 'v0' | 'v1';
  /** expressions flavor only: the route's expression (null for a route using the traditional fields). */
  expression?: string | null;
  /** expressions flavor only: order among expression routes, higher first. */
  priority?: number | null;
}

export interface RouterEntry<T> {
  route: RouterRoute;
  /** The service's `path`, or null when the route has no service or the service has no path. */
  servicePath: string | null;
  payload: T;
}

/** What the proxy knows about a request before routing. */
export interface MatchInput {
  method: string;
  /** The raw request-target path as received, without the query string, not normalised. */
  rawPath: string;
  /** The raw Host header value (case and port as sent), or '' when absent. */
  host: string;
  /** Request headers as Node gives them: lower-case names, repeated headers as arrays. */
  headers: Record<string, string | string[] | undefined>;
  /**
   * The header lines as received (`[name, value, ...]`, Node's `rawHeaders`). When given, header conditions
   * read it instead of `headers`: a header sent on several lines matches on any of its values, as in Kong,
   * where Node's `headers` keeps only the first line of some headers (`Location`, `Host`, ...) and joins
   * the lines of others into one value.
   */
  rawHeaders?: readonly string[];
  /** TLS SNI, or '' on plain HTTP. */
  sni: string;
  scheme: 'http' | 'https';
  /** The local port of the listener that accepted the request. */
  listenerPort: number;
  /** The raw query string without `?` ('' or absent when none); read by the expressions flavor only. */
  query?: string;
  /** Client address and port (expressions flavor: `net.src.ip`, `net.src.port`). */
  srcIp?: string;
  srcPort?: number;
  /** The local address that accepted the connection (expressions flavor: `net.dst.ip`). */
  dstIp?: string;
}

export interface MatchResult<T> {
  route: RouterRoute;
  payload: T;
  /** Normalised request path (percent-decoding of unreserved bytes, dot segments, merged slashes). */
  normalizedPath: string;
  /** Path to send upstream, already percent-escaped, without query string. */
  upstreamPath: string;
  /** The stripped prefix for X-Forwarded-Prefix, or null when nothing (or only '/') was stripped. */
  strippedPrefix: string | null;
  /** Named and numbered regex captures of the matched path (for plugins), or null for prefix matches. */
  uriCaptures: Record<string, string> | null;
}

export interface Router<T> {
  match(input: MatchInput): MatchResult<T> | null;
}
