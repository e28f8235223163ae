/**
 * proxy-cache's cache key, built as Kong builds it so that keys match Kong's for the same request: the SHA-256
 * (hex) of `prefix|method|uri|params|headers`, where the prefix is `consumer:route`, `route` or `default`, the
 * uri is the request line cut at `?` (so it keeps ` HTTP/x.y` when there is no query, as Kong's does), params
 * are every query argument sorted by name (or only `vary_query_params`, in their order), and headers are the
 * `vary_headers` present.
 */
import { createHash } from 'node:crypto';
import type { QueryValue } from '../../pdk/index.ts';

/** A value of a query argument or header, as the PDK gives them. */
export type KeyValue = QueryValue | string | string[] | undefined;

/** `name=value` pairs joined by `:`, for the names given that have a value (arrays sorted and joined by `,`). */
export function varyPart(names: readonly string[], lookup: (name: string) => KeyValue): string {
  let out = '';
  for (const name of names) {
    const value = lookup(name);
    if (value === undefined) continue;
    let part: string;
    if (Array.isArray(value)) part = `${name}=${[...value].map(String).sort().join(',')}`;
    else if (value === true) part = name;
    else part = `${name}=${value}`;
    out = out === '' ? part : `${out}:${part}`;
  }
  return out;
}

/** The query part: every argument sorted by name, or only `vary` ones (null or empty: all). */
export function paramsKey(query: ReadonlyMap<string, QueryValue>, vary: readonly string[] | null): string {
  const names = vary !== null && vary.length > 0 ? vary : [...query.keys()].sort();
  return varyPart(names, (name) => query.get(name));
}

/** The headers part: the `vary` headers present (none configured: empty). */
export function headersKey(header: (lowerName: string) => string | string[] | undefined, vary: readonly string[] | null): string {
  if (vary === null || vary.length === 0) return '';
  return varyPart(vary, (name) => header(name.toLowerCase()));
}

/** Kong's prefix: consumer and route, the route alone, or `default` without a route. */
export function prefixOf(consumerId: string | null, routeId: string | null): string {
  if (routeId === null) return 'default';
  return consumerId === null ? routeId : `${consumerId}:${routeId}`;
}

/** The request line as nginx's `$request` cut at the first `?` (Kong's uri component). */
export function requestLineUri(method: string, rawTarget: string, httpVersion: string): string {
  const q = rawTarget.indexOf('?');
  return q === -1 ? `${method} ${rawTarget} HTTP/${httpVersion}` : `${method} ${rawTarget.slice(0, q)}`;
}

export interface KeyParts {
  readonly consumerId: string | null;
  readonly routeId: string | null;
  readonly method: string;
  readonly uri: string;
  readonly params: string;
  readonly headers: string;
}

/** The 64-character hex key. */
export function buildCacheKey(parts: KeyParts): string {
  const text = `${prefixOf(parts.consumerId, parts.routeId)}|${parts.method}|${parts.uri}|${parts.params}|${parts.headers}`;
  return createHash('sha256').update(text).digest('hex');
}
