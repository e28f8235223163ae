/**
 * The Admin API's paths: a table of endpoints built once (generated CRUD plus custom and node endpoints),
 * then compiled into a matcher. Literal segments win over parameters, so `/plugins/enabled` is not read
 * as the plugin named "enabled".
 */
import { METHODS, type Endpoint, type Handler, type Method } from './endpoint-types.ts';

interface CompiledEndpoint {
  endpoint: Endpoint;
  /** Literal text, or null for a parameter (its name in `names`). */
  segments: (string | null)[];
  names: (string | null)[];
  allow: string;
}

/** A matched endpoint with its parameters (decoded and raw). */
export interface RouteMatch {
  endpoint: Endpoint;
  params: Record<string, string>;
  rawParams: Record<string, string>;
  /** The `Allow` header: the methods with a handler, plus HEAD and OPTIONS. */
  allow: string;
}

/** Percent-decodes a path segment; malformed escapes leave it as it was. */
export function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function allowOf(endpoint: Endpoint): string {
  const methods = new Set<string>(['OPTIONS']);
  for (const method of METHODS) if (endpoint.methods[method] !== undefined) methods.add(method);
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort().join(', ');
}

/** Segment-wise order, as Kong sorts `/endpoints` ("/a", "/a/z", "/ab"). */
export function compareEndpointPaths(a: string, b: string): number {
  const x = a.replaceAll('/', '\u0000');
  const y = b.replaceAll('/', '\u0000');
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The endpoints by path pattern, and the matcher compiled from them (rebuilt after each change). */
export class RouteTable {
  readonly #endpoints = new Map<string, Endpoint>();
  #compiled: CompiledEndpoint[] | null = null;

  /** Adds or replaces the handler of `method` at `path`. */
  set(path: string, method: Method, handler: Handler): void {
    const endpoint = this.#endpoints.get(path);
    const methods = { ...(endpoint?.methods ?? {}), [method]: handler };
    this.#endpoints.set(path, { path, methods });
    this.#compiled = null;
  }

  get(path: string, method: Method): Handler | undefined {
    return this.#endpoints.get(path)?.methods[method];
  }

  /** Wraps an existing handler (Kong's custom routes calling `parent()`); no-op when there is none. */
  wrap(path: string, method: Method, wrapper: (parent: Handler) => Handler): void {
    const parent = this.get(path, method);
    if (parent !== undefined) this.set(path, method, wrapper(parent));
  }

  /** Removes a path altogether (Kong's disabled endpoints answer 404). */
  remove(path: string): void {
    this.#endpoints.delete(path);
    this.#compiled = null;
  }

  /** Every path, sorted as Kong's `GET /endpoints` lists them. */
  paths(): string[] {
    return [...this.#endpoints.keys()].sort(compareEndpointPaths);
  }

  #compile(): CompiledEndpoint[] {
    if (this.#compiled !== null) return this.#compiled;
    const compiled = [...this.#endpoints.values()].map((endpoint) => {
      const parts = endpoint.path.split('/').filter((s) => s !== '');
      const segments = parts.map((p) => (p.startsWith('{') && p.endsWith('}') ? null : p));
      const names = parts.map((p) => (p.startsWith('{') && p.endsWith('}') ? p.slice(1, -1) : null));
      return { endpoint, segments, names, allow: allowOf(endpoint) };
    });
    // By length, then literals before parameters position by position (a total order, as sort needs).
    compiled.sort((a, b) => {
      if (a.segments.length !== b.segments.length) return a.segments.length - b.segments.length;
      for (let i = 0; i < a.segments.length; i++) {
        const la = a.segments[i] !== null;
        const lb = b.segments[i] !== null;
        if (la !== lb) return la ? -1 : 1;
      }
      return 0;
    });
    this.#compiled = compiled;
    return compiled;
  }

  /** The endpoint for a URL path (a trailing slash is ignored), or null. */
  match(pathname: string): RouteMatch | null {
    const raw = pathname.split('/').filter((s) => s !== '');
    const decoded = raw.map(decodeSegment);
    for (const c of this.#compile()) {
      if (c.segments.length !== raw.length) continue;
      let ok = true;
      for (let i = 0; i < raw.length && ok; i++) ok = c.segments[i] === null || c.segments[i] === decoded[i];
      if (!ok) continue;
      const params: Record<string, string> = {};
      const rawParams: Record<string, string> = {};
      c.names.forEach((name, i) => {
        if (name === null) return;
        params[name] = decoded[i];
        rawParams[name] = raw[i];
      });
      return { endpoint: c.endpoint, params, rawParams, allow: c.allow };
    }
    return null;
  }
}
