/**
 * The `userinfo` method: a bearer token is good when the provider's user info endpoint accepts it, and the
 * claims it answers stand for the caller (consumer mapping, required claims, upstream headers). Answers are
 * kept in the node-wide cache (`cache_user_info`) for `cache_ttl` seconds, never past a JWT's `exp`, under a
 * hash of the token; a burst of requests with a new token makes one call per worker. A refusal (401 or 403) is
 * remembered for `cache_ttl_neg` seconds, so a bad token repeated does not reach the provider meanwhile.
 */
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { Kong } from '../../pdk/index.ts';
import { nowS, refuse, type OidcConf, type Outcome } from './conf.ts';
import { getWithToken } from './endpoints.ts';
import { providerKeys, ProviderUnavailable } from './provider.ts';
import { looksLikeJwt } from './tokens.ts';

/** Seconds the answer for this token may be kept: `cache_ttl`, shortened to a readable `exp`. */
function ttlFor(conf: OidcConf, token: string): number {
  if (!looksLikeJwt(token)) return conf.cacheTtlS;
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === 'number' ? Math.min(conf.cacheTtlS, exp - nowS()) : conf.cacheTtlS;
  } catch {
    return conf.cacheTtlS;
  }
}

/** Where a refusal of the token is remembered (`cache_ttl_neg`), apart from answers so no claims can be mistaken for one. */
const refusedKey = (key: string) => `${key}:refused`;
const refusal = () => refuse(401, 'the user info endpoint refused the token');

/** Calls under way in this worker, by cache key: a burst of requests with one token makes one provider call. */
const running = new Map<string, Promise<Outcome>>();

export async function userinfo(kong: Kong, conf: OidcConf, token: string): Promise<Outcome> {
  const keys = await providerKeys(kong, conf.issuer, conf.transport);
  const endpoint = conf.userinfoEndpoint ?? keys.discovery.userinfo_endpoint;
  if (endpoint === undefined) return refuse(401, 'userinfo endpoint was not specified');
  const key = `oidc:userinfo:${createHash('sha256').update(`${endpoint}\u0000${token}`).digest('base64url')}`;
  if (!conf.cacheUserInfo) return ask(kong, conf, endpoint, token, null);
  const text = await kong.cache.get(key).catch(() => undefined);
  if (text !== undefined) {
    const claims = JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString()) as Record<string, unknown>;
    return { ok: true, claims, accessToken: token, idToken: null, method: 'userinfo', userInfo: claims };
  }
  if (conf.negativeTtlS > 0 && (await kong.cache.get(refusedKey(key)).catch(() => undefined)) !== undefined) return refusal();
  let call = running.get(key);
  if (call === undefined) {
    call = ask(kong, conf, endpoint, token, key).finally(() => running.delete(key));
    running.set(key, call);
  }
  return call;
}

/** The user info call itself; a 200 answer is cached under `key` (when not null) before it resolves. */
async function ask(kong: Kong, conf: OidcConf, endpoint: string, token: string, key: string | null): Promise<Outcome> {
  const res = await getWithToken(endpoint, token, conf.transport);
  if (res.status === 401 || res.status === 403) {
    if (key !== null && conf.negativeTtlS > 0) await kong.cache.set(refusedKey(key), '1', conf.negativeTtlS * 1000).catch(() => undefined);
    return refusal();
  }
  if (res.status !== 200 || res.body === null) throw new ProviderUnavailable(`${endpoint}: user info answered ${res.status}`);
  if (key !== null) {
    const ttl = ttlFor(conf, token);
    if (ttl > 0) await kong.cache.set(key, JSON.stringify(res.body), ttl * 1000).catch(() => undefined);
  }
  return { ok: true, claims: res.body, accessToken: token, idToken: null, method: 'userinfo', userInfo: res.body };
}
