/** Bearer tokens: where a request carries one, JWTs verified with the provider's keys, opaque ones introspected. */
import { createHash } from 'node:crypto';
import { compactVerify, decodeJwt, errors } from 'jose';
import type { Kong } from '../../pdk/index.ts';
import { registeredClaimsError, type Claims } from './claims.ts';
import { firstString, nowS, refuse, type OidcConf, type Outcome, type Refused, type Signed } from './conf.ts';
import { pickAuth, postForm } from './endpoints.ts';
import { providerKeys, ProviderUnavailable, refreshKeys, type ProviderKeys } from './provider.ts';
import { readCookie } from './session.ts';

/** A JWT's claims once its signature (by the provider's keys, refreshed once on an unknown kid) checks out. */
export async function verifySigned(kong: Kong, conf: OidcConf, token: string): Promise<Signed | Refused> {
  if (!conf.verifySignature) {
    try {
      return { ok: true, claims: decodeJwt(token) };
    } catch {
      return refuse(401, 'invalid jwt');
    }
  }
  let keys: ProviderKeys = await providerKeys(kong, conf.issuer, conf.transport);
  for (let attempt = 0; ; attempt++) {
    try {
      const { payload } = await compactVerify(token, keys.getKey as Parameters<typeof compactVerify>[1]);
      const claims: unknown = JSON.parse(Buffer.from(payload).toString());
      if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return refuse(401, 'invalid jwt');
      return { ok: true, claims: claims as Claims };
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey && attempt === 0) {
        const fresh = await refreshKeys(kong, conf.issuer, keys, conf.transport, conf.rediscoveryS);
        if (fresh !== null) {
          keys = fresh;
          continue;
        }
      }
      if (err instanceof errors.JWKSNoMatchingKey) return refuse(401, 'unknown signing key');
      if (err instanceof errors.JOSEError || err instanceof SyntaxError) return refuse(401, 'invalid signature');
      throw err;
    }
  }
}

async function allowedIssuers(kong: Kong, conf: OidcConf): Promise<ReadonlySet<string>> {
  if (conf.issuersAllowed !== null) return conf.issuersAllowed;
  const keys = await providerKeys(kong, conf.issuer, conf.transport);
  return new Set([keys.discovery.issuer]);
}

export async function checkRegistered(kong: Kong, conf: OidcConf, claims: Claims): Promise<Refused | null> {
  if (!conf.verifyClaims) return null;
  const reason = registeredClaimsError(claims, nowS(), conf.leeway, await allowedIssuers(kong, conf));
  return reason === null ? null : refuse(401, reason);
}

export async function bearerJwt(kong: Kong, conf: OidcConf, token: string): Promise<Outcome> {
  let claims = conf.verified.get(token, nowS());
  if (claims === undefined) {
    const signed = await verifySigned(kong, conf, token);
    if (!signed.ok) return signed;
    claims = signed.claims;
    conf.verified.set(token, claims, claims.exp, nowS());
  }
  const registered = await checkRegistered(kong, conf, claims);
  if (registered !== null) return registered;
  return { ok: true, claims, accessToken: token, idToken: null, method: 'bearer' };
}

/** Whether an introspection endpoint is configured or discovered. */
export async function hasIntrospection(kong: Kong, conf: OidcConf): Promise<boolean> {
  if (conf.introspectionEndpoint !== null) return true;
  return (await providerKeys(kong, conf.issuer, conf.transport)).discovery.introspection_endpoint !== undefined;
}

export async function introspect(kong: Kong, conf: OidcConf, token: string): Promise<Outcome> {
  const keys = await providerKeys(kong, conf.issuer, conf.transport);
  const endpoint = conf.introspectionEndpoint ?? keys.discovery.introspection_endpoint;
  if (endpoint === undefined) return refuse(401, 'introspection endpoint was not specified');
  // The token itself is never a cache key (keys may be listed); its hash is.
  const key = `oidc:introspection:${createHash('sha256').update(`${endpoint}\u0000${token}`).digest('base64url')}`;
  let result: Record<string, unknown> | null = null;
  if (conf.cacheIntrospection) {
    const cached = await kong.cache.get(key).catch(() => undefined);
    if (cached !== undefined) result = JSON.parse(typeof cached === 'string' ? cached : Buffer.from(cached).toString()) as Record<string, unknown>;
  }
  if (result === null) {
    const auth = pickAuth(conf.client, keys.discovery.introspection_endpoint_auth_methods_supported ?? keys.discovery.token_endpoint_auth_methods_supported);
    const res = await postForm(endpoint, { token, token_type_hint: conf.introspectionHint }, conf.client, auth, conf.transport);
    if (res.status !== 200 || res.body === null) throw new ProviderUnavailable(`${endpoint}: introspection answered ${res.status}`);
    result = res.body;
    if (conf.cacheIntrospection) {
      // An inactive answer is kept only `cache_ttl_neg`: a made-up token repeated costs no provider call
      // meanwhile, and a token that becomes good (or a provider that recovers) is not refused for long.
      const exp = typeof result.exp === 'number' ? result.exp - nowS() : conf.cacheTtlS;
      const ttl = result.active === true ? Math.min(conf.cacheTtlS, exp) : conf.negativeTtlS;
      if (ttl > 0) await kong.cache.set(key, JSON.stringify(result), ttl * 1000).catch(() => undefined);
    }
  }
  if (result.active !== true) return refuse(401, 'token is not active');
  const registered = await checkRegistered(kong, conf, result);
  if (registered !== null) return registered;
  return { ok: true, claims: result, accessToken: token, idToken: null, method: 'introspection', introspection: result };
}

/** The bearer token of the request: Authorization header, `access_token` query or form argument, or its cookie. */
export async function findToken(kong: Kong, conf: OidcConf): Promise<string | null> {
  if (conf.tokenIn.has('header')) {
    const auth = kong.request.getHeader('authorization');
    if (auth !== undefined) {
      const m = /^\s*bearer\s+(\S+)\s*$/i.exec(auth);
      if (m !== null) return m[1]!;
    }
  }
  if (conf.tokenIn.has('query')) {
    const q = firstString(kong.request.getQueryArg('access_token'));
    if (q !== null && q !== '') return q;
  }
  if (conf.tokenIn.has('body') && (kong.request.getHeader('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    try {
      const body = await kong.request.getBody('application/x-www-form-urlencoded');
      const b = firstString((body as Record<string, unknown>).access_token);
      if (b !== null && b !== '') return b;
    } catch {
      // An unreadable body carries no token; a cookie still may.
    }
  }
  if (conf.tokenCookie !== null) {
    const c = readCookie(kong.request.getHeaderValues('cookie'), conf.tokenCookie);
    if (c !== undefined && c !== '') return decodeCookieValue(c);
  }
  return null;
}

/** Browsers' cookie values may be percent-encoded (as `document.cookie` writers often do); a JWT never is. */
function decodeCookieValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The Cookie header without the cookie `name` (null when nothing is left), for `hide_credentials`. */
export function withoutCookie(headers: readonly string[], name: string): string | null {
  const kept = headers.flatMap((h) => h.split(';')).map((p) => p.trim()).filter((p) => p !== '' && p.slice(0, Math.max(0, p.indexOf('='))).trim() !== name);
  return kept.length === 0 ? null : kept.join('; ');
}

export const looksLikeJwt = (token: string) => token.split('.').length === 3;
