/**
 * openid-connect: authenticates requests against an OpenID provider, as Kong's plugin does, by
 * - a session cookie from an earlier login (`session`),
 * - a bearer JWT verified with the provider's JWKS (`bearer`); else an opaque token issued by the gateway's
 *   own oauth2 plugin (`kong_oauth2`), asked of the provider's RFC 7662 endpoint (`introspection`) or of its
 *   user info endpoint (`userinfo`), answers cached node-wide,
 * - a refresh token (`refresh_token`), a username and password (`password`) or a client id and secret
 *   (`client_credentials`) exchanged at the token endpoint, the last two cached node-wide,
 * - else the authorization-code flow for browsers (`authorization_code`): a redirect to the provider with
 *   state, nonce and PKCE, the callback's code exchange and ID token check, then a session cookie.
 * Then the token's audience, scopes, groups and roles (403 when missing), the consumer mapped from a claim,
 * claims, tokens and consumer headers upstream and to the client, the authenticated groups, and `login_action`
 * (go upstream, or answer with the tokens). Failures answer Kong's 401/403 with a Bearer challenge.
 */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import { authenticatedByAnother } from '../shared/anonymous.ts';
import { accept, failed, NEW_SESSION_KEY } from './answers.ts';
import { prepare, refuse, type OidcConf, type Outcome } from './conf.ts';
import { callbackArgs, cookies, finishLogin, fromSession, isLogout, logout, startLogin } from './login.ts';
import { ProviderUnavailable } from './provider.ts';
import { readCookie } from './session.ts';
import type { OpenidConnectConfig } from './schema.ts';
import { bearerJwt, findToken, hasIntrospection, introspect, looksLikeJwt } from './tokens.ts';
import { findNamed, findPair } from './credentials.ts';
import { clientCredentialsGrant, passwordGrant, refreshTokenGrant } from './grants.ts';
import { kongOauth2 } from './kong-oauth2.ts';
import { addDownstreamHeaders } from './outputs.ts';
import { userinfo } from './userinfo.ts';
import type { ParamType } from './conf.ts';

export type { OidcConf } from './conf.ts';

async function authenticate(kong: Kong, conf: OidcConf): Promise<void> {
  const flow = conf.methods.has('authorization_code');
  if (flow && readCookie(cookies(kong), conf.authorizationCookie) !== undefined) {
    const callback = await callbackArgs(kong, conf);
    if (callback !== null) return finishLogin(kong, conf, callback);
  }
  if ((flow || conf.methods.has('session')) && (await isLogout(kong, conf))) return logout(kong, conf);
  if (conf.methods.has('session')) {
    const session = fromSession(kong, conf);
    if (session !== null) return accept(kong, conf, session, null);
  }
  const token = await findToken(kong, conf);
  if (token !== null) {
    const outcome = await byToken(kong, conf, token);
    if (!outcome.ok) return failed(kong, conf, outcome);
    return accept(kong, conf, outcome, token);
  }
  const exchanged = await byGrant(kong, conf);
  if (exchanged !== null) {
    if (!exchanged.ok) return failed(kong, conf, exchanged);
    return accept(kong, conf, exchanged, null);
  }
  if (flow && conf.anonymous === null) return startLogin(kong, conf);
  return failed(kong, conf, refuse(401, 'no credentials found', null));
}

/** A bearer token: a JWT verified locally, else the first method that knows the token. */
async function byToken(kong: Kong, conf: OidcConf, token: string): Promise<Outcome> {
  if (looksLikeJwt(token) && conf.methods.has('bearer') && !conf.introspectJwt) return bearerJwt(kong, conf, token);
  if (conf.methods.has('kong_oauth2')) {
    const outcome = await kongOauth2(kong, conf, token);
    if (outcome !== null) return outcome;
  }
  if (conf.methods.has('introspection') && (!conf.methods.has('userinfo') || (await hasIntrospection(kong, conf)))) return introspect(kong, conf, token);
  if (conf.methods.has('userinfo')) return userinfo(kong, conf, token);
  return refuse(401, 'token not accepted');
}

/**
 * Credentials for the token endpoint: a refresh token, else a username and password, else a client id and
 * secret (with both of the last two enabled, a Basic header is taken as a username and password, as in Kong).
 * null when the request carries none of them.
 */
async function byGrant(kong: Kong, conf: OidcConf): Promise<Outcome | null> {
  if (conf.methods.has('refresh_token') && conf.refreshTokenParam !== null) {
    const found = await findNamed(kong, conf.refreshTokenParam.in, conf.refreshTokenParam.name);
    if (found !== null) {
      hide(kong, conf, found.from, [conf.refreshTokenParam.name]);
      return refreshTokenGrant(kong, conf, found.value);
    }
  }
  if (conf.methods.has('password')) {
    const pair = await findPair(kong, conf.passwordIn, 'username', 'password');
    if (pair !== null) {
      hide(kong, conf, pair.from, ['username', 'password']);
      return passwordGrant(kong, conf, pair.id, pair.secret);
    }
  }
  if (conf.methods.has('client_credentials')) {
    const pair = await findPair(kong, conf.clientCredentialsIn, 'client_id', 'client_secret');
    if (pair !== null) {
      hide(kong, conf, pair.from, ['client_id', 'client_secret']);
      return clientCredentialsGrant(kong, conf, pair.id, pair.secret);
    }
  }
  return null;
}

/**
 * With `hide_credentials`, the credentials leave the upstream request: the Authorization header (or the
 * named header) and query arguments. Without it the Basic header is still replaced when the access token goes
 * upstream in `Authorization` (the default `upstream_access_token_header`).
 */
function hide(kong: Kong, conf: OidcConf, from: ParamType, names: readonly string[]): void {
  if (!conf.hideCredentials) return;
  if (from === 'header') {
    if (names.length === 1) kong.service.request.clearHeader(names[0]!);
    else kong.service.request.clearHeader('authorization');
  } else if (from === 'query') {
    for (const name of names) kong.service.request.clearQueryArg(name);
  }
}

async function access(kong: Kong, conf: OidcConf): Promise<void> {
  if (!conf.runOnPreflight && kong.request.getMethod() === 'OPTIONS') return;
  if (authenticatedByAnother(kong, conf)) return;
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
  const session = kong.ctx.plugin[NEW_SESSION_KEY];
  if (typeof session === 'string') kong.response.addHeader('Set-Cookie', session);
  addDownstreamHeaders(kong);
}

export const openidConnectHandler: PluginHandler<OidcConf, OpenidConnectConfig> = {
  name: 'openid-connect',
  priority: 1050,
  version: '3.10.0',
  prepare,
  access,
  header_filter,
};
