/**
 * Building the path sent upstream from the service path, the normalised request path and what the
 * route matched (router.md section 6). The result is not escaped yet.
 */

const SLASH = 0x2f;

/** Drops what would otherwise read as a dot segment at the start of the postfix: `.`, `..`, `./`, `../`. */
export function sanitizePostfix(postfix: string): string {
  if (postfix === '.' || postfix === '..') return '';
  if (postfix.startsWith('./')) return postfix.slice(2);
  if (postfix.startsWith('../')) return postfix.slice(3);
  return postfix;
}

/**
 * `path_handling: v0`: service path, route path and request path are segments joined by exactly one
 * slash; a trailing slash of the request survives.
 */
export function joinV0(base: string, postfix: string, requestPath: string, stripPath: boolean): string {
  if (base.charCodeAt(base.length - 1) === SLASH) {
    if (!stripPath) return base + requestPath.slice(1);
    if (postfix === '') {
      if (base === '/') return '/';
      if (requestPath.charCodeAt(requestPath.length - 1) === SLASH) return base;
      return base.slice(0, -1);
    }
    if (postfix.charCodeAt(0) === SLASH) return base.slice(0, -1) + postfix;
    return base + postfix;
  }
  if (!stripPath) return requestPath === '/' ? base : base + requestPath;
  if (postfix === '') {
    return requestPath.length > 1 && requestPath.charCodeAt(requestPath.length - 1) === SLASH ? base + '/' : base;
  }
  if (postfix.charCodeAt(0) === SLASH) return base + postfix;
  return base + '/' + postfix;
}

/** `path_handling: v1`: the service path is a raw string prefix of the postfix (or of the whole path). */
export function joinV1(base: string, postfix: string, requestPath: string, stripPath: boolean): string {
  if (!stripPath) return base + requestPath.slice(1);
  if (base.charCodeAt(base.length - 1) === SLASH && postfix.charCodeAt(0) === SLASH) return base.slice(0, -1) + postfix;
  return base + postfix;
}

/**
 * The upstream path before escaping.
 * @param servicePath the service's `path` (null means `/`)
 * @param requestPath the normalised request path
 * @param stripPath the route's `strip_path`
 * @param matchedPrefix the text the route's path matched (a prefix, or a regex's whole match), or null
 *   when the route matched without a path
 */
export function buildUpstreamPath(
  servicePath: string | null,
  requestPath: string,
  stripPath: boolean,
  matchedPrefix: string | null,
  pathHandling: 'v0' | 'v1',
): string {
  const base = servicePath === null || servicePath === '' ? '/' : servicePath;
  const postfix =
    stripPath && matchedPrefix !== null ? sanitizePostfix(requestPath.slice(matchedPrefix.length)) : requestPath.slice(1);
  return pathHandling === 'v1' ? joinV1(base, postfix, requestPath, stripPath) : joinV0(base, postfix, requestPath, stripPath);
}
