/**
 * Reading a JWT as Kong's jwt plugin does, before any key is known: the three dot-separated parts (the third
 * keeps any further dots), base64url as nginx decodes it, the header and claims as JSON, and the header's
 * `alg` among the algorithms Kong verifies. The failures are Kong's words, sent as `Bad token; <reason>`.
 */
import { JWT_ALGORITHMS, type JwtAlgorithm } from './daos.ts';

const ALGORITHMS: ReadonlySet<string> = new Set(JWT_ALGORITHMS);
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export type TokenError = 'invalid JSON' | 'invalid alg' | 'invalid signature';

export interface DecodedToken {
  /** `header.claims`, the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly alg: JwtAlgorithm;
}

/**
 * nginx's base64url decoding as Kong calls it: missing padding is accepted, decoding stops at the first `=`,
 * and any character outside the URL-safe alphabet or an impossible length fails (null).
 */
export function decodeBase64Url(text: string): Buffer | null {
  const end = text.indexOf('=');
  const body = end === -1 ? text : text.slice(0, end);
  if (!BASE64URL.test(body) || body.length % 4 === 1) return null;
  return Buffer.from(body, 'base64url');
}

/** At most three parts: the last one keeps the rest of the token, dots included (Kong's tokenizer). */
function splitToken(token: string): [string, string | undefined, string | undefined] {
  const first = token.indexOf('.');
  if (first === -1) return [token, undefined, undefined];
  const second = token.indexOf('.', first + 1);
  if (second === -1) return [token.slice(0, first), token.slice(first + 1), undefined];
  return [token.slice(0, first), token.slice(first + 1, second), token.slice(second + 1)];
}

function parseJsonPart(part: string | undefined): unknown {
  if (part === undefined) throw new Error('missing part');
  const bytes = decodeBase64Url(part);
  if (bytes === null) throw new Error('not base64url');
  return JSON.parse(bytes.toString('utf8'));
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/** A JSON object, or an empty one for anything else (Lua finds no field in a string or an array either). */
function asObject(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : EMPTY;
}

/** The token's parts, or Kong's reason it is a bad token. */
export function decodeToken(token: string): DecodedToken | TokenError {
  const [headerPart, claimsPart, signaturePart] = splitToken(token);
  let header: unknown;
  let claims: unknown;
  let signature: Buffer | null;
  try {
    header = parseJsonPart(headerPart);
    claims = parseJsonPart(claimsPart);
    if (signaturePart === undefined) throw new Error('missing part');
    signature = decodeBase64Url(signaturePart);
  } catch {
    return 'invalid JSON';
  }
  const headerObject = asObject(header);
  const alg = headerObject.alg;
  if (typeof alg !== 'string' || !ALGORITHMS.has(alg)) return 'invalid alg';
  if (signature === null) return 'invalid signature';
  return {
    signingInput: `${headerPart}.${claimsPart}`,
    signature,
    header: headerObject,
    claims: asObject(claims),
    alg: alg as JwtAlgorithm,
  };
}

/**
 * The value of the key claim: from the claims, else from the header (Lua's `claims[k] or header[k]`, so a
 * `false` claim falls through too).
 */
export function keyClaim(decoded: DecodedToken, name: string): unknown {
  const fromClaims = decoded.claims[name];
  if (fromClaims !== undefined && fromClaims !== null && fromClaims !== false) return fromClaims;
  const fromHeader = decoded.header[name];
  return fromHeader === null || fromHeader === false ? undefined : fromHeader;
}

/** Kong's checks of registered claims: errors by claim name (`{"exp":"token expired"}`), or null. */
export function checkClaims(claims: Readonly<Record<string, unknown>>, toVerify: readonly ('exp' | 'nbf')[], nowSeconds: number): Record<string, string> | null {
  let errors: Record<string, string> | null = null;
  for (const name of toVerify) {
    const value = claims[name];
    let error: string | null;
    if (typeof value !== 'number') error = 'must be a number';
    else if (name === 'exp') error = value <= nowSeconds ? 'token expired' : null;
    else error = value > nowSeconds ? 'token not valid yet' : null;
    if (error !== null) (errors ??= {})[name] = error;
  }
  return errors;
}

/** Kong's `maximum_expiration` check (only when it is above 0): errors, or null. */
export function checkMaximumExpiration(claims: Readonly<Record<string, unknown>>, maximum: number, nowSeconds: number): Record<string, string> | null {
  if (maximum <= 0) return null;
  const exp = claims.exp;
  if (typeof exp !== 'number' || exp - nowSeconds > maximum) return { exp: 'exceeds maximum allowed expiration' };
  return null;
}
