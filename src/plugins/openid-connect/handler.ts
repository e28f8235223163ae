/**
 * openid-connect: authenticates requests against an OpenID provider, as Kong's plugin does, by
 * - a session cookie from an earlier login (`session`),
 * - a bearer JWT verified with the provider's JWKS (`bearer`), or an opaque token asked of the provider's
 *   RFC 7662 endpoint (`introspection`, cached node-wide for `cache_ttl`),
 * - else the authorization-code flow for browsers (`authorization_code`): a redirect to the provider with
 *   state, nonce and PKCE, the callback's code exchange and ID token check, then a session cookie.
 * Then the token's audience, scopes, groups and roles (403 when missing), the consumer mapped from a claim,
 * and claims, tokens and consumer headers upstream. Failures answer Kong's 401/403 with a Bearer challenge.
 */
import { createHash, randomBytes } from 'node:crypto';
import { compactVerify, decodeJwt, errors } from 'jose';
import type { Kong, PluginConfigData, PluginConsumer, PluginCredential, PluginEntityScope, PluginHandler } from '../../pdk/index.ts';
import { claimAt, claimValues, compileRequirement, headerValue, registeredClaimsError, satisfies, type Claims, type Requirement } from './claims.ts';
import { pickAuth, postForm, type Client, type ClientAuth } from './endpoints.ts';
import { providerKeys, ProviderUnavailable, refreshKeys, type ProviderKeys } from './provider.ts';
import {
  deriveKey, isPendingLogin, isSession, needsRenewal, open, readCookie, returnPath, seal, sessionAlive, setCookie,
  type CookieAttributes, type PendingLogin, type Session, type SessionLimits,
} from './session.ts';
import type { OpenidConnectConfig } from './schema.ts';
import { VerifiedTokenCache } from '../jwt/cache.ts';

type Method = OpenidConnectConfig['auth_methods'][number];

interface Check {
  readonly claim: readonly string[];
  readonly required: Requirement;
  readonly what: string;
}

/** The configuration as the phases read it, computed once per plugin entity and snapshot. */
export interface OidcConf {
  readonly issuer: string;
  readonly timeoutMs: number;
  readonly rediscoveryS: number;
  readonly methods: ReadonlySet<Method>;
  readonly client: Client;
  readonly redirectUri: string | null;
  readonly logoutRedirectUri: string | null;
  readonly scopes: string;
  readonly audience: string | null;
  readonly pkce: boolean | null;
  readonly issuersAllowed: ReadonlySet<string> | null;
  /** audience, scopes, groups and roles requirements: a 403 when one fails. */
  readonly checks: readonly Check[];
  readonly verifySignature: boolean;
  readonly verifyClaims: boolean;
  readonly verifyNonce: boolean;
  readonly leeway: number;
  readonly consumerClaim: readonly string[] | null;
  readonly consumerBy: readonly ('id' | 'username' | 'custom_id')[];
  readonly consumers: { readonly id: ReadonlyMap<string, PluginConsumer>; readonly username: ReadonlyMap<string, PluginConsumer>; readonly custom_id: ReadonlyMap<string, PluginConsumer> };
  readonly consumerOptional: boolean;
  readonly credentialClaim: readonly string[] | null;
  readonly anonymous: string | null;
  readonly anonymousConsumer: PluginConsumer | null;
  readonly upstreamHeaders: readonly { readonly claim: readonly string[]; readonly name: string }[];
  readonly accessTokenHeader: { readonly name: string; readonly bearer: boolean } | null;
  readonly idTokenHeader: { readonly name: string; readonly bearer: boolean } | null;
  readonly tokenIn: ReadonlySet<'header' | 'query' | 'body'>;
  readonly introspectionEndpoint: string | null;
  readonly introspectionHint: string;
  readonly introspectJwt: boolean;
  readonly cacheIntrospection: boolean;
  readonly cacheTtlS: number;
  readonly sessionKey: Buffer;
  readonly authorizationKey: Buffer;
  readonly sessionCookie: string;
  readonly authorizationCookie: string;
  readonly cookieAttrs: CookieAttributes;
  readonly limits: SessionLimits;
  readonly authorizationTtlS: number;
  readonly logoutSuffix: string | null;
  readonly logoutQueryArg: string | null;
  readonly logoutPostArg: string | null;
  readonly logoutMethods: ReadonlySet<string>;
  readonly unauthorizedMessage: string;
  readonly forbiddenMessage: string;
  readonly displayErrors: boolean;
  readonly hideCredentials: boolean;
  readonly runOnPreflight: boolean;
  /** Bearer JWTs whose signature checked out, so a repeated token costs no signature verification. */
  readonly verified: VerifiedTokenCache<Claims>;
}

/** What a successful authentication knows. */
interface Authenticated {
  readonly ok: true;
  readonly claims: Claims;
  readonly accessToken: string | null;
  readonly idToken: string | null;
}

interface Refused {
  readonly ok: false;
  readonly status: 401 | 403 | 500;
  readonly reason: string;
  /** RFC 6750 error code of the challenge. */
  readonly error: 'invalid_token' | 'insufficient_scope' | null;
}

type Outcome = Authenticated | Refused;

interface Signed {
  readonly ok: true;
  readonly claims: Claims;
}

const refuse = (status: 401 | 403 | 500, reason: string, error: Refused['error'] = 'invalid_token'): Refused => ({ ok: false, status, reason, error });

const nonEmpty = <T>(list: readonly T[] | null | undefined): readonly T[] | null => (list === null || list === undefined || list.length === 0 ? null : list);

function tokenHeader(spec: string | null | undefined): { name: string; bearer: boolean } | null {
  if (spec === null || spec === undefined || spec === '') return null;
  const [name, scheme] = spec.split(':');
  return { name: name!, bearer: scheme?.toLowerCase() === 'bearer' };
}

function prepare(config: OpenidConnectConfig, data: PluginConfigData, entity?: PluginEntityScope): OidcConf {
  const byId = new Map<string, PluginConsumer>();
  const byUsername = new Map<string, PluginConsumer>();
  const byCustomId = new Map<string, PluginConsumer>();
  if (nonEmpty(config.consumer_claim) !== null) {
    for (const c of data.entities('consumers')) {
      const consumer: PluginConsumer = {
        id: c.id as string,
        username: typeof c.username === 'string' ? c.username : null,
        custom_id: typeof c.custom_id === 'string' ? c.custom_id : null,
      };
      byId.set(consumer.id, consumer);
      if (consumer.username !== null) byUsername.set(consumer.username, consumer);
      if (consumer.custom_id !== null) byCustomId.set(consumer.custom_id, consumer);
    }
  }
  const clientSecret = nonEmpty(config.client_secret)?.[0] ?? null;
  // Without session_secret the key must still be the same in every worker and across restarts: derive it
  // from what the configuration keeps secret (the client secret) and names (issuer, plugin id).
  const secret = config.session_secret ?? `${clientSecret ?? ''}\u0000${config.issuer}\u0000${entity?.id ?? ''}`;
  const checks: Check[] = [];
  const addCheck = (claim: readonly string[] | null | undefined, required: readonly string[] | null | undefined, what: string) => {
    const req = compileRequirement(required);
    if (req !== null) checks.push({ claim: nonEmpty(claim) ?? [what], required: req, what });
  };
  addCheck(config.audience_claim, config.audience_required, 'audience');
  addCheck(config.scopes_claim, config.scopes_required, 'scopes');
  addCheck(config.groups_claim, config.groups_required, 'groups');
  addCheck(config.roles_claim, config.roles_required, 'roles');
  const claims = nonEmpty(config.upstream_headers_claims) ?? [];
  const names = nonEmpty(config.upstream_headers_names) ?? [];
  const anonymous = config.anonymous !== null && config.anonymous !== undefined && config.anonymous !== '' ? config.anonymous : null;
  return {
    issuer: config.issuer,
    timeoutMs: config.timeout ?? 10000,
    rediscoveryS: config.rediscovery_lifetime ?? 30,
    methods: new Set(config.auth_methods),
    client: {
      id: nonEmpty(config.client_id)?.[0] ?? null,
      secret: clientSecret,
      auth: (nonEmpty(config.client_auth)?.[0] ?? null) as ClientAuth | null,
    },
    redirectUri: nonEmpty(config.redirect_uri)?.[0] ?? null,
    logoutRedirectUri: nonEmpty(config.logout_redirect_uri)?.[0] ?? null,
    scopes: (nonEmpty(config.scopes) ?? ['openid']).join(' '),
    audience: nonEmpty(config.audience)?.join(' ') ?? null,
    pkce: config.require_proof_key_for_code_exchange ?? null,
    issuersAllowed: nonEmpty(config.issuers_allowed) === null ? null : new Set(config.issuers_allowed),
    checks,
    verifySignature: config.verify_signature,
    verifyClaims: config.verify_claims,
    verifyNonce: config.verify_nonce,
    leeway: config.leeway,
    consumerClaim: nonEmpty(config.consumer_claim),
    consumerBy: config.consumer_by,
    consumers: { id: byId, username: byUsername, custom_id: byCustomId },
    consumerOptional: config.consumer_optional,
    credentialClaim: nonEmpty(config.credential_claim),
    anonymous,
    anonymousConsumer: anonymous === null ? null : (data.consumer(anonymous) ?? null),
    upstreamHeaders: claims.flatMap((claim, i) => (names[i] === undefined ? [] : [{ claim: claim.split('.'), name: names[i]! }])),
    accessTokenHeader: tokenHeader(config.upstream_access_token_header),
    idTokenHeader: tokenHeader(config.upstream_id_token_header),
    tokenIn: new Set(config.bearer_token_param_type),
    introspectionEndpoint: config.introspection_endpoint ?? null,
    introspectionHint: config.introspection_hint,
    introspectJwt: config.introspect_jwt_tokens,
    cacheIntrospection: config.cache_introspection,
    cacheTtlS: config.cache_ttl,
    sessionKey: deriveKey(secret, `session:${config.session_cookie_name}`),
    authorizationKey: deriveKey(secret, `authorization:${config.authorization_cookie_name}`),
    sessionCookie: config.session_cookie_name,
    authorizationCookie: config.authorization_cookie_name,
    cookieAttrs: {
      path: config.session_cookie_path ?? '/',
      domain: config.session_cookie_domain ?? null,
      sameSite: config.session_cookie_same_site ?? 'Lax',
      httpOnly: config.session_cookie_http_only ?? true,
      secure: config.session_cookie_secure ?? null,
    },
    limits: {
      rollingS: config.session_rolling_timeout ?? 3600,
      absoluteS: config.session_absolute_timeout ?? 86400,
      idlingS: config.session_idling_timeout ?? 900,
    },
    authorizationTtlS: config.authorization_rolling_timeout ?? 600,
    logoutSuffix: config.logout_uri_suffix ?? null,
    logoutQueryArg: config.logout_query_arg ?? null,
    logoutPostArg: config.logout_post_arg ?? null,
    logoutMethods: new Set(config.logout_methods ?? ['POST', 'DELETE']),
    unauthorizedMessage: config.unauthorized_error_message,
    forbiddenMessage: config.forbidden_error_message,
    displayErrors: config.display_errors,
    hideCredentials: config.hide_credentials,
    runOnPreflight: config.run_on_preflight,
    verified: new VerifiedTokenCache<Claims>(),
  };
}

const nowS = () => Math.floor(Date.now() / 1000);
const random = (bytes: number) => randomBytes(bytes).toString('base64url');
const firstString = (v: unknown): string | null => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null);

// ---------------------------------------------------------------------------------------------------------
// Tokens

/** A JWT's claims once its signature (by the provider's keys, refreshed once on an unknown kid) checks out. */
async function verifySigned(kong: Kong, conf: OidcConf, token: string): Promise<Signed | Refused> {
  if (!conf.verifySignature) {
    try {
      return { ok: true, claims: decodeJwt(token) };
    } catch {
      return refuse(401, 'invalid jwt');
    }
  }
  let keys: ProviderKeys = await providerKeys(kong, conf.issuer, conf.timeoutMs);
  for (let attempt = 0; ; attempt++) {
    try {
      const { payload } = await compactVerify(token, keys.getKey as Parameters<typeof compactVerify>[1]);
      const claims: unknown = JSON.parse(Buffer.from(payload).toString());
      if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return refuse(401, 'invalid jwt');
      return { ok: true, claims: claims as Claims };
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey && attempt === 0) {
        const fresh = await refreshKeys(kong, conf.issuer, keys, conf.timeoutMs, conf.rediscoveryS);
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
  const keys = await providerKeys(kong, conf.issuer, conf.timeoutMs);
  return new Set([keys.discovery.issuer]);
}

async function checkRegistered(kong: Kong, conf: OidcConf, claims: Claims): Promise<Refused | null> {
  if (!conf.verifyClaims) return null;
  const reason = registeredClaimsError(claims, nowS(), conf.leeway, await allowedIssuers(kong, conf));
  return reason === null ? null : refuse(401, reason);
}

async function bearerJwt(kong: Kong, conf: OidcConf, token: string): Promise<Outcome> {
  let claims = conf.verified.get(token, nowS());
  if (claims === undefined) {
    const signed = await verifySigned(kong, conf, token);
    if (!signed.ok) return signed;
    claims = signed.claims;
    conf.verified.set(token, claims, claims.exp, nowS());
  }
  const registered = await checkRegistered(kong, conf, claims);
  if (registered !== null) return registered;
  return { ok: true, claims, accessToken: token, idToken: null };
}

async function introspect(kong: Kong, conf: OidcConf, token: string): Promise<Outcome> {
  const keys = await providerKeys(kong, conf.issuer, conf.timeoutMs);
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
    const res = await postForm(endpoint, { token, token_type_hint: conf.introspectionHint }, conf.client, auth, conf.timeoutMs);
    if (res.status !== 200 || res.body === null) throw new ProviderUnavailable(`${endpoint}: introspection answered ${res.status}`);
    result = res.body;
    if (conf.cacheIntrospection) {
      const exp = typeof result.exp === 'number' ? result.exp - nowS() : conf.cacheTtlS;
      const ttl = Math.min(conf.cacheTtlS, exp);
      if (ttl > 0) await kong.cache.set(key, JSON.stringify(result), ttl * 1000).catch(() => undefined);
    }
  }
  if (result.active !== true) return refuse(401, 'token is not active');
  const registered = await checkRegistered(kong, conf, result);
  if (registered !== null) return registered;
  return { ok: true, claims: result, accessToken: token, idToken: null };
}

/** The bearer token of the request: Authorization header, `access_token` query or form argument. */
async function findToken(kong: Kong, conf: OidcConf): Promise<string | null> {
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
      return null;
    }
  }
  return null;
}

const looksLikeJwt = (token: string) => token.split('.').length === 3;

// ---------------------------------------------------------------------------------------------------------
// Sessions and the authorization-code flow

function isHttps(kong: Kong): boolean {
  return kong.request.getForwardedScheme() === 'https';
}

function cookies(kong: Kong): string[] {
  return kong.request.getHeaderValues('cookie');
}

function sessionClaims(s: Session): Claims {
  const decode = (t: string | null): Claims => {
    if (t === null || !looksLikeJwt(t)) return {};
    try {
      return decodeJwt(t);
    } catch {
      return {};
    }
  };
  // Both tokens were verified at login and are inside the sealed cookie since; the access token's claims
  // (scopes, audience) win over the ID token's.
  return { ...decode(s.idToken), ...decode(s.accessToken) };
}

function fromSession(kong: Kong, conf: OidcConf): Authenticated | null {
  const text = readCookie(cookies(kong), conf.sessionCookie);
  if (text === undefined || text === '') return null;
  const s = open(conf.sessionKey, text);
  if (!isSession(s)) return null;
  const now = nowS();
  if (!sessionAlive(s, now, conf.limits)) return null;
  if (s.accessExp !== null && now >= s.accessExp + conf.leeway) return null;
  if (needsRenewal(s, now, conf.limits)) {
    const renewed: Session = { ...s, renewed: now };
    kong.ctx.plugin.setCookie = [setCookie(conf.sessionCookie, seal(conf.sessionKey, renewed), conf.cookieAttrs, isHttps(kong))];
  }
  return { ok: true, claims: sessionClaims(s), accessToken: s.accessToken, idToken: s.idToken };
}

function requestUrl(kong: Kong): string {
  const scheme = kong.request.getForwardedScheme();
  const port = kong.request.getForwardedPort();
  const defaultPort = (scheme === 'https' && port === 443) || (scheme === 'http' && port === 80);
  return `${scheme}://${kong.request.getForwardedHost()}${defaultPort ? '' : `:${port}`}${kong.request.getPath()}`;
}

async function startLogin(kong: Kong, conf: OidcConf): Promise<void> {
  const keys = await providerKeys(kong, conf.issuer, conf.timeoutMs);
  const endpoint = keys.discovery.authorization_endpoint;
  if (endpoint === undefined || conf.client.id === null) {
    respond(kong, conf, refuse(401, 'authorization code flow is not configured', null));
    return;
  }
  const pkce = conf.pkce ?? (keys.discovery.code_challenge_methods_supported?.includes('S256') ?? false);
  const path = returnPath(kong.request.getPathWithQuery());
  const pending: PendingLogin = {
    state: random(18),
    nonce: random(18),
    verifier: pkce ? random(32) : null,
    uri: path,
    redirectUri: conf.redirectUri ?? requestUrl(kong),
    exp: nowS() + conf.authorizationTtlS,
  };
  const url = new URL(endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', conf.client.id);
  url.searchParams.set('redirect_uri', pending.redirectUri);
  url.searchParams.set('scope', conf.scopes);
  url.searchParams.set('state', pending.state);
  url.searchParams.set('nonce', pending.nonce);
  if (pending.verifier !== null) {
    url.searchParams.set('code_challenge', createHash('sha256').update(pending.verifier).digest('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
  }
  if (conf.audience !== null) url.searchParams.set('audience', conf.audience);
  kong.response.exit(302, null, {
    Location: url.toString(),
    'Set-Cookie': setCookie(conf.authorizationCookie, seal(conf.authorizationKey, pending), conf.cookieAttrs, isHttps(kong), conf.authorizationTtlS),
  });
}

/** The callback of the authorization-code flow: code exchange, ID token check, session, back to the start. */
async function finishLogin(kong: Kong, conf: OidcConf, state: string): Promise<void> {
  const clear = setCookie(conf.authorizationCookie, '', conf.cookieAttrs, isHttps(kong), 0);
  const fail = (reason: string) => respond(kong, conf, refuse(401, reason, null), { 'Set-Cookie': clear });
  const text = readCookie(cookies(kong), conf.authorizationCookie);
  const pending = text === undefined ? null : open(conf.authorizationKey, text);
  if (!isPendingLogin(pending) || pending.state !== state) return fail('invalid state');
  if (nowS() >= pending.exp) return fail('authorization has expired');
  const error = firstString(kong.request.getQueryArg('error'));
  if (error !== null) return fail(`the provider answered ${error}`);
  const code = firstString(kong.request.getQueryArg('code'));
  if (code === null) return fail('no authorization code');
  const keys = await providerKeys(kong, conf.issuer, conf.timeoutMs);
  const endpoint = keys.discovery.token_endpoint;
  if (endpoint === undefined) return fail('the provider has no token endpoint');
  const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: pending.redirectUri };
  if (pending.verifier !== null) form.code_verifier = pending.verifier;
  const res = await postForm(endpoint, form, conf.client, pickAuth(conf.client, keys.discovery.token_endpoint_auth_methods_supported), conf.timeoutMs);
  if (res.status !== 200 || res.body === null) return fail(`code exchange failed (${res.status})`);
  const idToken = typeof res.body.id_token === 'string' ? res.body.id_token : null;
  const accessToken = typeof res.body.access_token === 'string' ? res.body.access_token : null;
  if (idToken !== null) {
    const signed = await verifySigned(kong, conf, idToken);
    if (!signed.ok) return fail(`id token: ${signed.reason}`);
    const c = signed.claims;
    const registered = await checkRegistered(kong, conf, c);
    if (registered !== null) return fail(`id token: ${registered.reason}`);
    if (conf.client.id !== null && !claimValues(c.aud).has(conf.client.id)) return fail('id token: invalid audience');
    if (conf.verifyNonce && c.nonce !== pending.nonce) return fail('id token: invalid nonce');
  } else if (accessToken === null) {
    return fail('the provider returned no tokens');
  }
  const now = nowS();
  const session: Session = {
    idToken,
    accessToken,
    accessExp: typeof res.body.expires_in === 'number' ? now + res.body.expires_in : null,
    created: now,
    renewed: now,
  };
  kong.response.exit(302, null, {
    Location: pending.uri,
    'Set-Cookie': [clear, setCookie(conf.sessionCookie, seal(conf.sessionKey, session), conf.cookieAttrs, isHttps(kong))],
  });
}

async function isLogout(kong: Kong, conf: OidcConf): Promise<boolean> {
  if (!conf.logoutMethods.has(kong.request.getMethod())) return false;
  if (conf.logoutSuffix !== null && kong.request.getPath().endsWith(conf.logoutSuffix)) return true;
  if (conf.logoutQueryArg !== null && kong.request.getQueryArg(conf.logoutQueryArg) !== undefined) return true;
  if (conf.logoutPostArg !== null && (kong.request.getHeader('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    try {
      return (await kong.request.getBody('application/x-www-form-urlencoded') as Record<string, unknown>)[conf.logoutPostArg] !== undefined;
    } catch {
      return false;
    }
  }
  return false;
}

async function logout(kong: Kong, conf: OidcConf): Promise<void> {
  const text = readCookie(cookies(kong), conf.sessionCookie);
  const s = text === undefined ? null : open(conf.sessionKey, text);
  const clear = setCookie(conf.sessionCookie, '', conf.cookieAttrs, isHttps(kong), 0);
  const keys = await providerKeys(kong, conf.issuer, conf.timeoutMs);
  const endSession = keys.discovery.end_session_endpoint;
  let location: string | null = conf.logoutRedirectUri;
  if (endSession !== undefined) {
    const url = new URL(endSession);
    if (isSession(s) && s.idToken !== null) url.searchParams.set('id_token_hint', s.idToken);
    if (conf.client.id !== null) url.searchParams.set('client_id', conf.client.id);
    if (conf.logoutRedirectUri !== null) url.searchParams.set('post_logout_redirect_uri', conf.logoutRedirectUri);
    location = url.toString();
  }
  if (location === null) kong.response.exit(200, null, { 'Set-Cookie': clear });
  else kong.response.exit(302, null, { Location: location, 'Set-Cookie': clear });
}

// ---------------------------------------------------------------------------------------------------------
// After authentication

function authorize(conf: OidcConf, claims: Claims): Refused | null {
  for (const check of conf.checks) {
    if (!satisfies(check.required, claimValues(claimAt(claims, check.claim)))) return refuse(403, `required ${check.what} not found`, 'insufficient_scope');
  }
  return null;
}

function mapConsumer(conf: OidcConf, claims: Claims): PluginConsumer | null | Refused {
  if (conf.consumerClaim === null) return null;
  const value = claimAt(claims, conf.consumerClaim);
  const name = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
  if (name !== null) {
    for (const by of conf.consumerBy) {
      const consumer = conf.consumers[by].get(name);
      if (consumer !== undefined) return consumer;
    }
  }
  return conf.consumerOptional ? null : refuse(401, name === null ? 'consumer claim not found' : 'consumer not found', null);
}

function setConsumerHeaders(kong: Kong, consumer: PluginConsumer | null, credential: string | null, anonymous: boolean): void {
  const upstream = kong.service.request;
  if (consumer !== null) {
    upstream.setHeader('X-Consumer-ID', consumer.id);
    if (consumer.custom_id !== null) upstream.setHeader('X-Consumer-Custom-ID', consumer.custom_id);
    else upstream.clearHeader('X-Consumer-Custom-ID');
    if (consumer.username !== null) upstream.setHeader('X-Consumer-Username', consumer.username);
    else upstream.clearHeader('X-Consumer-Username');
  } else {
    upstream.clearHeader('X-Consumer-ID');
    upstream.clearHeader('X-Consumer-Custom-ID');
    upstream.clearHeader('X-Consumer-Username');
  }
  if (credential !== null) upstream.setHeader('X-Credential-Identifier', credential);
  else upstream.clearHeader('X-Credential-Identifier');
  if (anonymous) upstream.setHeader('X-Anonymous-Consumer', 'true');
  else upstream.clearHeader('X-Anonymous-Consumer');
}

function accept(kong: Kong, conf: OidcConf, auth: Authenticated, token: string | null): void {
  const forbidden = authorize(conf, auth.claims);
  if (forbidden !== null) return respond(kong, conf, forbidden);
  const consumer = mapConsumer(conf, auth.claims);
  if (consumer !== null && 'ok' in consumer) return failed(kong, conf, consumer);
  const credentialValue = conf.credentialClaim === null ? undefined : claimAt(auth.claims, conf.credentialClaim);
  const credentialId = typeof credentialValue === 'string' ? credentialValue : typeof credentialValue === 'number' ? String(credentialValue) : null;
  const credential: PluginCredential | null = credentialId === null ? null : Object.freeze({ id: credentialId, consumer: consumer === null ? null : { id: consumer.id } });
  if (consumer !== null || credential !== null) kong.client.authenticate(consumer, credential);
  setConsumerHeaders(kong, consumer, credentialId, false);
  const upstream = kong.service.request;
  if (conf.hideCredentials && token !== null) {
    upstream.clearHeader('authorization');
    if (kong.request.getQueryArg('access_token') !== undefined) upstream.clearQueryArg('access_token');
  }
  for (const h of conf.upstreamHeaders) {
    const value = headerValue(claimAt(auth.claims, h.claim));
    if (value !== null) upstream.setHeader(h.name, value);
    else upstream.clearHeader(h.name);
  }
  if (conf.accessTokenHeader !== null && auth.accessToken !== null && !(conf.hideCredentials && token !== null)) {
    upstream.setHeader(conf.accessTokenHeader.name, conf.accessTokenHeader.bearer ? `Bearer ${auth.accessToken}` : auth.accessToken);
  }
  if (conf.idTokenHeader !== null && auth.idToken !== null) {
    upstream.setHeader(conf.idTokenHeader.name, conf.idTokenHeader.bearer ? `Bearer ${auth.idToken}` : auth.idToken);
  }
}

function respond(kong: Kong, conf: OidcConf, r: Refused, extra: Record<string, string | readonly string[]> = {}): void {
  const base = r.status === 403 ? conf.forbiddenMessage : r.status === 401 ? conf.unauthorizedMessage : 'An unexpected error occurred';
  const message = conf.displayErrors ? `${base} (${r.reason})` : base;
  const headers: Record<string, string | readonly string[]> = { ...extra };
  if (r.status !== 500) {
    let challenge = `Bearer realm="${kong.request.getHost()}"`;
    if (r.error !== null) challenge += `, error="${r.error}"`;
    if (r.error !== null && conf.displayErrors) challenge += `, error_description="${r.reason.replace(/["\\]/g, '')}"`;
    headers['WWW-Authenticate'] = challenge;
  }
  kong.response.error(r.status, message, headers);
}

/** Authentication failed: the anonymous consumer when configured, else the refusal. */
function failed(kong: Kong, conf: OidcConf, r: Refused): void {
  if (r.status !== 401 || conf.anonymous === null) return respond(kong, conf, r);
  const consumer = conf.anonymousConsumer;
  if (consumer === null) {
    const message = `anonymous consumer ${conf.anonymous} is configured but doesn't exist`;
    kong.log.err(message);
    kong.response.error(500, message);
    return;
  }
  kong.client.authenticate(consumer, null);
  setConsumerHeaders(kong, consumer, null, true);
}

async function authenticate(kong: Kong, conf: OidcConf): Promise<void> {
  const flow = conf.methods.has('authorization_code');
  const state = flow ? firstString(kong.request.getQueryArg('state')) : null;
  if (state !== null && readCookie(cookies(kong), conf.authorizationCookie) !== undefined) return finishLogin(kong, conf, state);
  if ((flow || conf.methods.has('session')) && (await isLogout(kong, conf))) return logout(kong, conf);
  if (conf.methods.has('session')) {
    const session = fromSession(kong, conf);
    if (session !== null) return accept(kong, conf, session, null);
  }
  const token = await findToken(kong, conf);
  if (token !== null) {
    let outcome: Outcome;
    if (looksLikeJwt(token) && conf.methods.has('bearer') && !conf.introspectJwt) outcome = await bearerJwt(kong, conf, token);
    else if (conf.methods.has('introspection')) outcome = await introspect(kong, conf, token);
    else outcome = refuse(401, 'token not accepted');
    if (!outcome.ok) return failed(kong, conf, outcome);
    return accept(kong, conf, outcome, token);
  }
  if (flow && conf.anonymous === null) return startLogin(kong, conf);
  return failed(kong, conf, refuse(401, 'no credentials found', null));
}

async function access(kong: Kong, conf: OidcConf): Promise<void> {
  if (!conf.runOnPreflight && kong.request.getMethod() === 'OPTIONS') return;
  // With `anonymous`, any auth plugin may succeed ("logical OR"): one that already did wins.
  if (conf.anonymous !== null && kong.client.getCredential() !== null) return;
  try {
    await authenticate(kong, conf);
  } catch (err) {
    if (!(err instanceof ProviderUnavailable)) throw err;
    kong.log.err('openid-connect: ', err.message);
    kong.response.error(500, 'An unexpected error occurred');
  }
}

function header_filter(kong: Kong): void {
  const cookie = kong.ctx.plugin.setCookie;
  if (Array.isArray(cookie)) for (const c of cookie) kong.response.addHeader('Set-Cookie', String(c));
}

export const openidConnectHandler: PluginHandler<OidcConf, OpenidConnectConfig> = {
  name: 'openid-connect',
  priority: 1050,
  version: '3.10.0',
  prepare,
  access,
  header_filter,
};
