/**
 * Origin matching for cors, compiled once per configuration, with Kong's rules:
 * - no origins, or only `*`: every origin is allowed and answered with `*`;
 * - a single plain value (letters, digits, `.:/-` only): always answered with that value, whatever the
 *   request's Origin (the browser compares);
 * - otherwise each entry is a plain value, compared with the request's Origin after both are normalized
 *   (scheme, host and a non-default port), or a regular expression, anchored at both ends and matched against
 *   the origin's host alone when the pattern has no `:`, else against the normalized origin;
 * - `*` among several entries allows every request that has an Origin.
 */
import { compileRouteRegex } from '../../core/regex.ts';

/** A normalized origin: `scheme://host[:port]` without a default port, and its host. */
export interface NormalizedOrigin {
  readonly domain: string;
  readonly host: string;
}

/** `scheme://authority` or `//authority` at the start of a URL. */
const AUTHORITY = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?\/\/([^/?#]*)/;
/** What Kong takes for a plain origin rather than a regular expression. */
const PLAIN = /^[A-Za-z0-9.:/-]+$/;

/**
 * Normalizes an origin as Kong does with LuaSocket's URL parser: a value without an authority (`foo.test`)
 * is kept as it is; otherwise user info and the path are dropped, and port 80 for http and 443 for https.
 */
export function normalizeOrigin(origin: string): NormalizedOrigin {
  const m = AUTHORITY.exec(origin);
  if (m === null || m[2] === '') return { domain: origin, host: origin };
  const scheme = m[1];
  let authority = m[2];
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let host = authority;
  let port: string | undefined;
  const close = authority.startsWith('[') ? authority.indexOf(']') : -1;
  const colon = authority.indexOf(':', close < 0 ? 0 : close);
  if (colon >= 0) {
    host = authority.slice(0, colon);
    port = authority.slice(colon + 1);
  }
  if (host === '') return { domain: origin, host: origin };
  if ((scheme === 'http' && port === '80') || (scheme === 'https' && port === '443')) port = undefined;
  return { domain: `${scheme === undefined ? '' : `${scheme}://`}${host}${port === undefined || port === '' ? '' : `:${port}`}`, host };
}

type Matcher = { readonly regex: RegExp; readonly byHost: boolean } | { readonly domain: string };

/** How a configuration answers Origins. */
export type OriginPolicy =
  | { readonly kind: 'any' }
  | { readonly kind: 'fixed'; readonly value: string }
  | { readonly kind: 'list'; readonly wildcard: boolean; readonly matchers: readonly Matcher[] };

export function compileOrigins(origins: readonly string[] | null | undefined): OriginPolicy {
  const list = origins ?? [];
  if (list.length === 0 || (list.length === 1 && list[0] === '*')) return { kind: 'any' };
  if (list.length === 1 && PLAIN.test(list[0])) return { kind: 'fixed', value: list[0] };
  const matchers: Matcher[] = [];
  let wildcard = false;
  for (const entry of list) {
    if (entry === '*') {
      wildcard = true;
      continue;
    }
    if (PLAIN.test(entry)) {
      matchers.push({ domain: normalizeOrigin(entry).domain });
      continue;
    }
    // Kong 0.x did not anchor patterns; Kong anchors them now and accepts the anchors written out.
    let pattern = entry.startsWith('^') ? entry.slice(1) : entry;
    if (!pattern.endsWith('$')) pattern += '$';
    matchers.push({ regex: compileRouteRegex(pattern), byHost: !entry.includes(':') });
  }
  return { kind: 'list', wildcard, matchers };
}

/** The normalized origin to answer with when `origin` is allowed by the list, else null. */
export function matchOrigin(policy: Extract<OriginPolicy, { kind: 'list' }>, origin: string): string | null {
  const normalized = normalizeOrigin(origin);
  for (const matcher of policy.matchers) {
    const found = 'regex' in matcher ? matcher.regex.test(matcher.byHost ? normalized.host : normalized.domain) : matcher.domain === normalized.domain;
    if (found) return normalized.domain;
  }
  return null;
}
