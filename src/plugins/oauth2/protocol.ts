/**
 * The pieces of OAuth 2.0 (RFC 6749, RFC 7636) the oauth2 endpoints share, as Kong's plugin has them: request
 * parameters from the query and body, scopes, PKCE challenges, the `WWW-Authenticate` value, HTTPS checks,
 * random tokens and redirect URIs carrying the answer.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Kong } from '../../pdk/index.ts';

/** Parameters as Kong reads them: the query, overlaid with the body for POST, PUT and PATCH. */
export type Parameters = Readonly<Record<string, unknown>>;

/** An RFC 6749 error answer (`error`, `error_description`), or a success's fields. */
export type ResponseParams = Record<string, unknown>;

export async function retrieveParameters(kong: Kong): Promise<Parameters> {
  const query: Record<string, unknown> = { ...kong.request.getQuery() };
  const method = kong.request.getMethod();
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return query;
  try {
    const body = await kong.request.getBody();
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) return { ...query, ...body };
  } catch {
    // No body, or one of a type that carries no parameters: the query alone, as Kong's get_body gives nil.
  }
  return query;
}

/** A parameter that is a (non-repeated) string, else undefined. */
export function stringParam(params: Parameters, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' ? value : undefined;
}

/** A parameter as Kong's Lua sees it: absent (nil) or present with any value. */
export function hasParam(params: Parameters, name: string): boolean {
  return params[name] !== undefined && params[name] !== null;
}

export const error = (code: string, description: string): ResponseParams => ({ error: code, error_description: description });

/**
 * The scopes asked for, checked against the configured ones: the granted scope string (undefined when none),
 * or an `invalid_scope` error.
 */
export function retrieveScope(params: Parameters, scopes: ReadonlySet<string> | null, mandatory: boolean): { scope?: string; error?: ResponseParams } {
  const scope = params.scope;
  const granted: string[] = [];
  if (scopes !== null && scope !== undefined && scope !== null) {
    if (typeof scope !== 'string') return { error: error('invalid_scope', 'scope must be a string') };
    for (const word of scope.split(/\s+/)) {
      if (word === '') continue;
      if (!scopes.has(word)) return { error: error('invalid_scope', `"${word}" is an invalid scope`) };
      granted.push(word);
    }
  } else if ((scope === undefined || scope === null) && mandatory) {
    return { error: error('invalid_scope', 'You must specify a scope') };
  }
  return granted.length > 0 ? { scope: granted.join(' ') } : {};
}

/** The code challenge of an authorization request, normalised to unpadded base64url, with its method. */
export function retrieveCodeChallenge(params: Parameters): { challenge?: string; method?: string; error?: string } {
  let challenge = params.code_challenge;
  let method = params.code_challenge_method;
  if (method !== undefined && challenge === undefined) return { error: 'code_challenge is required when code_method is present' };
  if (challenge !== undefined) {
    // Either base64 alphabet, padded or not, as Kong decodes it; only a value that decodes is re-encoded (as
    // unpadded base64url, what a verifier's S256 gives), anything else is kept as sent.
    const unpadded = typeof challenge === 'string' ? challenge.replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_') : '';
    if (/^[A-Za-z0-9_-]+$/.test(unpadded) && unpadded.length % 4 !== 1) {
      challenge = Buffer.from(unpadded, 'base64url').toString('base64url');
    }
    if (method !== undefined && method !== 'S256') {
      if (method !== 's256') return { error: 'code_challenge_method is not supported, must be S256' };
      method = 'S256';
    }
  }
  return { challenge: typeof challenge === 'string' ? challenge : challenge === undefined ? undefined : String(challenge), method: typeof method === 'string' ? method : 'S256' };
}

/** The S256 challenge of a verifier: base64url of its SHA-256, unpadded. */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** Kong's `WWW-Authenticate` value: `Bearer` with the realm and the error, when there are any. */
export function bearerChallenge(realm: string | null, code?: string, description?: string): string {
  const params: string[] = [];
  if (realm !== null && realm !== '') params.push(`realm="${realm}"`);
  if (code !== undefined) params.push(`error="${code}"`);
  if (description !== undefined) params.push(`error_description="${description}"`);
  return params.length > 0 ? `Bearer ${params.join(', ')}` : 'Bearer';
}

/**
 * Whether the request came over HTTPS: the listener's scheme, or with `accept_http_if_already_terminated` a
 * trusted client's single `X-Forwarded-Proto: https`. An error message when that header is repeated.
 */
export function checkHttps(kong: Kong, allowTerminated: boolean): { ok: boolean; error?: string } {
  if (kong.request.getScheme().toLowerCase() === 'https') return { ok: true };
  if (!allowTerminated || !kong.ip.isTrusted(kong.client.getIp())) return { ok: false };
  const values = kong.request.getHeaderValues('x-forwarded-proto');
  if (values.length === 0) return { ok: false };
  const scheme = values.join(', ');
  if (scheme.includes(',')) return { ok: false, error: 'Only one X-Forwarded-Proto header allowed' };
  return { ok: scheme.toLowerCase() === 'https' };
}

const ALNUM_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM_LOWER = 'abcdefghijklmnopqrstuvwxyz';

/** A 32-character random token of letters and digits (Kong's shape: base64 of 24 random bytes, `/` and `+` replaced). */
export function randomToken(): string {
  const chars = [...randomBytes(24).toString('base64')];
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === '/') chars[i] = ALNUM_UPPER[randomInt(26)];
    else if (chars[i] === '+') chars[i] = ALNUM_LOWER[randomInt(26)];
  }
  return chars.join('');
}

/** Form-encodes arguments with their keys sorted, as Kong's `encode_args` does. */
function encodeArgs(args: Readonly<Record<string, unknown>>): string {
  return Object.keys(args)
    .filter((key) => args[key] !== undefined && args[key] !== null)
    .sort()
    .map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(String(args[key]))}`)
    .join('&');
}

/**
 * `redirectUri` with `params` added to its query (or, for the implicit grant, its fragment), keeping the
 * arguments already there.
 */
export function redirectWith(redirectUri: string, params: Readonly<Record<string, unknown>>, inFragment: boolean): string {
  const hash = redirectUri.indexOf('#');
  const beforeFragment = hash === -1 ? redirectUri : redirectUri.slice(0, hash);
  const fragment = hash === -1 ? '' : redirectUri.slice(hash + 1);
  const q = beforeFragment.indexOf('?');
  const base = q === -1 ? beforeFragment : beforeFragment.slice(0, q);
  const query = q === -1 ? '' : beforeFragment.slice(q + 1);
  const existing = Object.fromEntries(new URLSearchParams(inFragment ? fragment : query));
  const encoded = encodeArgs({ ...existing, ...params });
  if (inFragment) return `${base}${query === '' ? '' : `?${query}`}#${encoded}`;
  return `${base}?${encoded}${fragment === '' ? '' : `#${fragment}`}`;
}

/** The headers of every answer from the endpoints: nothing may be cached (RFC 6749 §5.1). */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;
