/**
 * The password, client-credentials and refresh-token grants: credentials the client presents are exchanged at
 * the provider's token endpoint, and the tokens it answers authenticate the request. Answers of the first two
 * are kept in the node-wide cache (`cache_tokens`) for the access token's `expires_in`, under a salted hash of
 * the grant and its credentials, so a client repeating its credentials does not cost a provider call per
 * request (a burst of them costs one per worker); refresh tokens are exchanged each time, since providers may
 * rotate them on use. Credentials never appear in cache keys, log lines or error reasons.
 */
import { createHash } from 'node:crypto';
import type { Kong } from '../../pdk/index.ts';
import type { Claims } from './claims.ts';
import { refuse, type Authenticated, type OidcConf, type Outcome, type Refused } from './conf.ts';
import { pickAuth, postForm, type Client, type ClientAuth } from './endpoints.ts';
import { providerKeys, ProviderUnavailable } from './provider.ts';
import { bearerJwt, checkRegistered, looksLikeJwt, verifySigned } from './tokens.ts';

export type Grant = 'password' | 'client_credentials' | 'refresh_token';

type TokenAnswer = Readonly<Record<string, unknown>> & { readonly access_token: string };

function cacheKey(conf: OidcConf, endpoint: string, parts: readonly string[]): string {
  const hash = createHash('sha256').update(conf.tokensSalt);
  for (const p of [endpoint, ...parts]) hash.update('\u0000').update(p);
  return `oidc:tokens:${hash.digest('base64url')}`;
}

async function cached(kong: Kong, key: string): Promise<TokenAnswer | null> {
  const text = await kong.cache.get(key).catch(() => undefined);
  if (text === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString());
    const answer = parsed as Record<string, unknown>;
    return typeof answer.access_token === 'string' ? (answer as TokenAnswer) : null;
  } catch {
    return null;
  }
}

type Exchanged = { ok: true; tokens: TokenAnswer } | Refused;

/** Exchanges under way in this worker, by cache key: a burst of one client's requests makes one provider call. */
const running = new Map<string, Promise<Exchanged>>();

/**
 * Posts one grant to the token endpoint (or takes the cached answer): the answer, or a 401 refusal naming the
 * provider's error code when it turned the credentials down. An unreachable or failing provider is a 500.
 */
async function exchange(kong: Kong, conf: OidcConf, grant: Grant, form: Record<string, string>, client: Client): Promise<Exchanged> {
  const keys = await providerKeys(kong, conf.issuer, conf.transport);
  const endpoint = conf.tokenEndpoint ?? keys.discovery.token_endpoint;
  if (endpoint === undefined) return refuse(401, 'token endpoint was not specified', null);
  const auth = pickAuth(client, keys.discovery.token_endpoint_auth_methods_supported);
  if (!conf.cacheTokens || grant === 'refresh_token') return post(kong, conf, endpoint, grant, form, client, auth, null);
  const key = cacheKey(conf, endpoint, [grant, client.id ?? '', client.secret ?? '', ...Object.entries(form).flat()]);
  const hit = await cached(kong, key);
  if (hit !== null) return { ok: true, tokens: hit };
  let call = running.get(key);
  if (call === undefined) {
    call = post(kong, conf, endpoint, grant, form, client, auth, key).finally(() => running.delete(key));
    running.set(key, call);
  }
  return call;
}

/** The token endpoint call itself; a successful answer is cached under `key` (when not null) before it resolves. */
async function post(
  kong: Kong, conf: OidcConf, endpoint: string, grant: Grant, form: Record<string, string>, client: Client, auth: ClientAuth, key: string | null,
): Promise<Exchanged> {
  const res = await postForm(endpoint, form, client, auth, conf.transport);
  if (res.status >= 400 && res.status < 500) {
    const code = typeof res.body?.error === 'string' ? res.body.error : `status ${res.status}`;
    return refuse(401, `${grant} grant failed (${code})`, null);
  }
  if (res.status !== 200 || res.body === null || typeof res.body.access_token !== 'string') {
    throw new ProviderUnavailable(`${endpoint}: the ${grant} grant answered ${res.status}`);
  }
  const answer = res.body as TokenAnswer;
  if (key !== null) {
    const ttl = typeof answer.expires_in === 'number' ? answer.expires_in : conf.cacheTtlS;
    if (ttl > 0) await kong.cache.set(key, JSON.stringify(answer), ttl * 1000).catch(() => undefined);
  }
  return { ok: true, tokens: answer };
}

/**
 * What the provider's answer says about the caller: a JWT access token is verified like a bearer token; an
 * opaque one is vouched for by the ID token when there is one, else by the token endpoint that just issued it.
 */
async function authenticated(kong: Kong, conf: OidcConf, grant: Grant, answer: TokenAnswer): Promise<Outcome> {
  const idToken = typeof answer.id_token === 'string' ? answer.id_token : null;
  const login = { method: grant, refreshToken: typeof answer.refresh_token === 'string' ? answer.refresh_token : null, tokens: answer } as const;
  if (looksLikeJwt(answer.access_token)) {
    const outcome = await bearerJwt(kong, conf, answer.access_token);
    return outcome.ok ? { ...outcome, idToken, ...login } : outcome;
  }
  let claims: Claims = typeof answer.scope === 'string' ? { scope: answer.scope } : {};
  if (idToken !== null) {
    const signed = await verifySigned(kong, conf, idToken);
    if (!signed.ok) return signed;
    const registered = await checkRegistered(kong, conf, signed.claims);
    if (registered !== null) return registered;
    claims = { ...signed.claims, ...claims };
  }
  const result: Authenticated = { ok: true, claims, accessToken: answer.access_token, idToken, ...login };
  return result;
}

function scopeAndAudience(conf: OidcConf, form: Record<string, string>): Record<string, string> {
  if (conf.scopes !== '') form.scope = conf.scopes;
  if (conf.audience !== null) form.audience = conf.audience;
  return form;
}

/** The resource-owner password grant, the gateway authenticating as its configured client. */
export async function passwordGrant(kong: Kong, conf: OidcConf, username: string, password: string): Promise<Outcome> {
  const answer = await exchange(kong, conf, 'password', scopeAndAudience(conf, { grant_type: 'password', username, password }), conf.client);
  return answer.ok ? authenticated(kong, conf, 'password', answer.tokens) : answer;
}

/** The client-credentials grant, authenticating as the client whose id and secret the request carries. */
export async function clientCredentialsGrant(kong: Kong, conf: OidcConf, clientId: string, clientSecret: string): Promise<Outcome> {
  const client: Client = { id: clientId, secret: clientSecret, auth: conf.client.auth === 'none' ? null : conf.client.auth };
  const answer = await exchange(kong, conf, 'client_credentials', scopeAndAudience(conf, { grant_type: 'client_credentials' }), client);
  return answer.ok ? authenticated(kong, conf, 'client_credentials', answer.tokens) : answer;
}

/** The refresh-token grant, as the configured client. */
export async function refreshTokenGrant(kong: Kong, conf: OidcConf, refreshToken: string): Promise<Outcome> {
  const answer = await exchange(kong, conf, 'refresh_token', { grant_type: 'refresh_token', refresh_token: refreshToken }, conf.client);
  return answer.ok ? authenticated(kong, conf, 'refresh_token', answer.tokens) : answer;
}
