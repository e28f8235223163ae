/**
 * Where a request carries its JWT, in Kong's order: query parameters (every value of each), cookies, then
 * `Bearer` values of the configured headers (first occurrence of each). Equal tokens found in several places
 * count once; several different ones are refused by the handler.
 */
import type { Kong } from '../../pdk/index.ts';

/** A token as found: a string, or `true` for a bare `?jwt` (Kong then answers "Unrecognizable token"). */
export type FoundToken = string | true;

// Not anchored, as Kong's regex is not: the first `Bearer` anywhere in the value.
const BEARER = /\s*[Bb]earer\s+(.+)/;

/** The value of cookie `name` in the Cookie header(s), as nginx's `$cookie_<name>` reads it (name without case). */
export function cookieValue(headers: readonly string[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const header of headers) {
    for (const pair of header.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      if (pair.slice(0, eq).trim().toLowerCase() === wanted) return pair.slice(eq + 1).trim();
    }
  }
  return undefined;
}

/** The token of an Authorization-style header value (`Bearer <token>`), or undefined. */
export function bearerToken(value: string): string | undefined {
  const m = BEARER.exec(value);
  return m === null || m[1] === '' ? undefined : m[1];
}

/** Every distinct token the request carries under the configured names. */
export function findTokens(kong: Kong, uriParamNames: readonly string[], cookieNames: readonly string[], headerNames: readonly string[]): Set<FoundToken> {
  const tokens = new Set<FoundToken>();
  for (const name of uriParamNames) {
    const value = kong.request.getQueryArg(name);
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const v of value) if (v !== '') tokens.add(v);
    } else if (value !== '') tokens.add(value);
  }
  if (cookieNames.length > 0) {
    const cookieHeaders = kong.request.getHeaderValues('cookie');
    for (const name of cookieNames) {
      const value = cookieValue(cookieHeaders, name);
      if (value !== undefined && value !== '') tokens.add(value);
    }
  }
  for (const name of headerNames) {
    const value = kong.request.getHeader(name);
    if (value === undefined) continue;
    const token = bearerToken(value);
    if (token !== undefined) tokens.add(token);
  }
  return tokens;
}
