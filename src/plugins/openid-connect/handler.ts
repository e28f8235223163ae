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
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import { accept, failed } from './answers.ts';
import { firstString, prepare, refuse, type OidcConf, type Outcome } from './conf.ts';
import { cookies, finishLogin, fromSession, isLogout, logout, startLogin } from './login.ts';
import { ProviderUnavailable } from './provider.ts';
import { readCookie } from './session.ts';
import type { OpenidConnectConfig } from './schema.ts';
import { bearerJwt, findToken, introspect, looksLikeJwt } from './tokens.ts';

export type { OidcConf } from './conf.ts';

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
