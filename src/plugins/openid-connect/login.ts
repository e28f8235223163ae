/** Browsers: the session cookie, the authorization-code flow (redirect, callback, code exchange) and logout. */
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { Kong } from '../../pdk/index.ts';
import { claimValues, type Claims } from './claims.ts';
import { firstString, nowS, random, refuse, type Authenticated, type OidcConf } from './conf.ts';
import { pickAuth, postForm } from './endpoints.ts';
import { providerKeys } from './provider.ts';
import { accept, NEW_SESSION_KEY, respond } from './answers.ts';
import {
  isPendingLogin, isSession, needsRenewal, open, readCookie, returnPath, seal, sessionAlive, setCookie,
  type PendingLogin, type Session,
} from './session.ts';
import { checkRegistered, looksLikeJwt, verifySigned } from './tokens.ts';

function isHttps(kong: Kong): boolean {
  return kong.request.getForwardedScheme() === 'https';
}

export function cookies(kong: Kong): string[] {
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

export function fromSession(kong: Kong, conf: OidcConf): Authenticated | null {
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
  return { ok: true, claims: sessionClaims(s), accessToken: s.accessToken, idToken: s.idToken, refreshToken: s.refreshToken ?? null, method: 'session' };
}

function requestUrl(kong: Kong): string {
  const scheme = kong.request.getForwardedScheme();
  const port = kong.request.getForwardedPort();
  const defaultPort = (scheme === 'https' && port === 443) || (scheme === 'http' && port === 80);
  return `${scheme}://${kong.request.getForwardedHost()}${defaultPort ? '' : `:${port}`}${kong.request.getPath()}`;
}

export async function startLogin(kong: Kong, conf: OidcConf): Promise<void> {
  const keys = await providerKeys(kong, conf.issuer, conf.transport);
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
  url.searchParams.set('response_mode', conf.responseMode);
  kong.response.exit(302, null, {
    Location: url.toString(),
    'Set-Cookie': setCookie(conf.authorizationCookie, seal(conf.authorizationKey, pending), conf.cookieAttrs, isHttps(kong), conf.authorizationTtlS),
  });
}

/** The provider's answer on the callback: query arguments, or (`response_mode: form_post`) form arguments. */
export interface Callback {
  readonly state: string;
  readonly code: string | null;
  readonly error: string | null;
  readonly from: 'query' | 'body';
}

const isForm = (kong: Kong) => (kong.request.getHeader('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');

/** The callback's arguments, or null when the request is no callback. Only read while a login is under way. */
export async function callbackArgs(kong: Kong, conf: OidcConf): Promise<Callback | null> {
  const state = firstString(kong.request.getQueryArg('state'));
  if (state !== null) {
    return { state, code: firstString(kong.request.getQueryArg('code')), error: firstString(kong.request.getQueryArg('error')), from: 'query' };
  }
  if (conf.responseMode !== 'form_post' || kong.request.getMethod() !== 'POST' || !isForm(kong)) return null;
  let body: Record<string, unknown>;
  try {
    body = (await kong.request.getBody('application/x-www-form-urlencoded')) as Record<string, unknown>;
  } catch {
    return null;
  }
  const bodyState = firstString(body.state);
  if (bodyState === null) return null;
  return { state: bodyState, code: firstString(body.code), error: firstString(body.error), from: 'body' };
}

/** A path with its query string cut off. */
const withoutQuery = (uri: string) => (uri.includes('?') ? uri.slice(0, uri.indexOf('?')) : uri);

/**
 * The callback's code and state leave the upstream request (Kong's `login_action: upstream` proxies the
 * callback itself); with `preserve_query_args` the query string of the request that started the login comes back.
 */
async function cleanCallback(kong: Kong, conf: OidcConf, cb: Callback, startedAt: string): Promise<void> {
  const upstream = kong.service.request;
  if (cb.from === 'body') {
    const body = { ...((await kong.request.getBody('application/x-www-form-urlencoded')) as Record<string, unknown>) };
    delete body.code;
    delete body.state;
    upstream.setBody(body as Parameters<typeof upstream.setBody>[0], 'application/x-www-form-urlencoded');
  }
  if (conf.preserveQueryArgs) {
    const q = startedAt.indexOf('?');
    upstream.setRawQuery(q < 0 ? '' : startedAt.slice(q + 1));
  } else if (cb.from === 'query') {
    upstream.clearQueryArg('code');
    upstream.clearQueryArg('state');
  }
}

/**
 * The callback of the authorization-code flow: code exchange, ID token check, session; then the request is
 * authenticated like any other, and `login_action` says whether it goes upstream or is answered here.
 */
export async function finishLogin(kong: Kong, conf: OidcConf, cb: Callback): Promise<void> {
  const clear = setCookie(conf.authorizationCookie, '', conf.cookieAttrs, isHttps(kong), 0);
  const fail = (reason: string) => respond(kong, conf, refuse(401, reason, null), { 'Set-Cookie': clear });
  const text = readCookie(cookies(kong), conf.authorizationCookie);
  const pending = text === undefined ? null : open(conf.authorizationKey, text);
  if (!isPendingLogin(pending) || pending.state !== cb.state) return fail('invalid state');
  if (nowS() >= pending.exp) return fail('authorization has expired');
  if (cb.error !== null) return fail(`the provider answered ${cb.error}`);
  const code = cb.code;
  if (code === null) return fail('no authorization code');
  const keys = await providerKeys(kong, conf.issuer, conf.transport);
  const endpoint = keys.discovery.token_endpoint;
  if (endpoint === undefined) return fail('the provider has no token endpoint');
  const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: pending.redirectUri };
  if (pending.verifier !== null) form.code_verifier = pending.verifier;
  const res = await postForm(endpoint, form, conf.client, pickAuth(conf.client, keys.discovery.token_endpoint_auth_methods_supported), conf.transport);
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
  const refreshToken = typeof res.body.refresh_token === 'string' ? res.body.refresh_token : null;
  const session: Session = {
    idToken,
    accessToken,
    refreshToken,
    accessExp: typeof res.body.expires_in === 'number' ? now + res.body.expires_in : null,
    created: now,
    renewed: now,
  };
  const sessionCookie = setCookie(conf.sessionCookie, seal(conf.sessionKey, session), conf.cookieAttrs, isHttps(kong));
  // Browsers drop cookies past about 4 KB: say why the next request will start the login again.
  if (sessionCookie.length > 4000) kong.log.warn('openid-connect: the session cookie is ', sessionCookie.length, ' bytes; browsers may drop it (the provider\'s tokens are too large)');
  // Set in header_filter, so the cookies reach the client whether the request goes upstream or is answered here;
  // the session's apart, since a callback refused after all (a missing scope, no consumer) starts none.
  kong.ctx.plugin.setCookie = [clear];
  kong.ctx.plugin[NEW_SESSION_KEY] = sessionCookie;
  await cleanCallback(kong, conf, cb, pending.uri);
  return accept(kong, conf, {
    ok: true,
    claims: sessionClaims(session),
    accessToken,
    idToken,
    refreshToken,
    tokens: res.body,
    method: 'authorization_code',
    returnTo: conf.preserveQueryArgs ? pending.uri : withoutQuery(pending.uri),
  }, null);
}

export async function isLogout(kong: Kong, conf: OidcConf): Promise<boolean> {
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

export async function logout(kong: Kong, conf: OidcConf): Promise<void> {
  const text = readCookie(cookies(kong), conf.sessionCookie);
  const s = text === undefined ? null : open(conf.sessionKey, text);
  const clear = setCookie(conf.sessionCookie, '', conf.cookieAttrs, isHttps(kong), 0);
  const keys = await providerKeys(kong, conf.issuer, conf.transport);
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
