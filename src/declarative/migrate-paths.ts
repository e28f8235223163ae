/**
 * Format versions 1.1 and 2.1 predate the `~` marker for regex paths: a route path made only of
 * unreserved URL characters was a prefix, anything else a regex. Loading such a file rewrites the route
 * paths (top-level routes and routes nested in top-level services) into 3.0 form, then treats it as 3.0.
 * The caller's document is not modified: changed branches are copied.
 */
import { normalizePath } from '../core/uri.ts';

const PLAIN_PATH = /^[a-zA-Z0-9.\-_~/%]*$/;

/** Characters that stay percent-encoded (upper-cased) when an old regex path is decoded. */
const RESERVED = new Set([0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2f, 0x3a, 0x3b, 0x3d, 0x3f, 0x40, 0x5b, 0x5d]);

/** Decoded characters that mean something in a regex and must be escaped to keep matching literally. */
const REGEX_META: Record<number, string> = {
  0x2e: '\\.',
  0x5e: '\\^',
  0x2d: '\\-',
  0x7b: '\\{',
  0x7d: '\\}',
  0x5c: '\\\\',
  0x7c: '\\|',
};

function decodeRegex(regex: string): string {
  if (!regex.includes('%')) return regex;
  return regex.replace(/%([0-9A-Fa-f]{2})/g, (match, hex: string) => {
    const code = parseInt(hex, 16);
    // Bytes of multi-byte characters are left encoded rather than decoded one by one.
    if (RESERVED.has(code) || code >= 0x80) return match.toUpperCase();
    return REGEX_META[code] ?? String.fromCharCode(code);
  });
}

/** The 3.0 form of a route path written for format 1.1/2.1. */
export function migrateRoutePath(path: string): string {
  if (PLAIN_PATH.test(path)) return normalizePath(path);
  return `~${decodeRegex(path)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function migrateRoutes(routes: unknown): unknown {
  if (!Array.isArray(routes)) return routes;
  let changed = false;
  const out = routes.map((route: unknown) => {
    if (!isObject(route) || !Array.isArray(route.paths)) return route;
    const paths = route.paths.map((p: unknown) => (typeof p === 'string' ? migrateRoutePath(p) : p));
    if (paths.every((p, i) => p === (route.paths as unknown[])[i])) return route;
    changed = true;
    return { ...route, paths };
  });
  return changed ? out : routes;
}

/**
 * Returns the document in 3.0 form: unchanged when it already is, else a copy with migrated route paths
 * and `_format_version: "3.0"`.
 */
export function migrateOldFormat(document: Record<string, unknown>): Record<string, unknown> {
  const version = document._format_version;
  if (version !== '1.1' && version !== '2.1') return document;
  const out: Record<string, unknown> = { ...document, _format_version: '3.0' };
  out.routes = migrateRoutes(document.routes);
  if (document.routes === undefined) delete out.routes;
  if (Array.isArray(document.services)) {
    out.services = document.services.map((service: unknown) => {
      if (!isObject(service) || service.routes === undefined) return service;
      const routes = migrateRoutes(service.routes);
      return routes === service.routes ? service : { ...service, routes };
    });
  }
  return out;
}
