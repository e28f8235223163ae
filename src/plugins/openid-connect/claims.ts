/** Reading and checking token claims the way Kong's openid-connect configuration describes them. */

export type Claims = Readonly<Record<string, unknown>>;

/** The value at a claim path (`['realm_access', 'roles']`), or undefined. */
export function claimAt(claims: Claims, path: readonly string[]): unknown {
  let value: unknown = claims;
  for (const step of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

/** A claim's values as a set: a space-separated string (`scope`), an array, or one scalar. */
export function claimValues(value: unknown): Set<string> {
  if (typeof value === 'string') return new Set(value.split(' ').filter((v) => v !== ''));
  if (Array.isArray(value)) return new Set(value.filter((v) => typeof v === 'string' || typeof v === 'number').map(String));
  if (typeof value === 'number' || typeof value === 'boolean') return new Set([String(value)]);
  return new Set();
}

/** A `*_required` list compiled: any one alternative, each needing all of its values. */
export type Requirement = readonly (readonly string[])[];

export function compileRequirement(entries: readonly string[] | null | undefined): Requirement | null {
  if (entries === null || entries === undefined || entries.length === 0) return null;
  return entries.map((e) => e.split(' ').filter((v) => v !== ''));
}

export function satisfies(requirement: Requirement, values: Set<string>): boolean {
  return requirement.some((all) => all.every((v) => values.has(v)));
}

/** Why a token's registered claims fail, or null: `exp` and `nbf` with leeway, and the issuer. */
export function registeredClaimsError(claims: Claims, nowS: number, leewayS: number, issuers: ReadonlySet<string> | null): string | null {
  if (claims.exp !== undefined) {
    if (typeof claims.exp !== 'number') return 'invalid exp claim';
    if (nowS - leewayS >= claims.exp) return 'token has expired';
  }
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number') return 'invalid nbf claim';
    if (nowS + leewayS < claims.nbf) return 'token is not yet valid';
  }
  if (issuers !== null && (typeof claims.iss !== 'string' || !issuers.has(claims.iss))) return 'invalid issuer';
  return null;
}

/** A claim as a header value: scalars as text, lists of scalars comma-separated, anything else as JSON. */
export function headerValue(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.join(', ');
  return JSON.stringify(value);
}
