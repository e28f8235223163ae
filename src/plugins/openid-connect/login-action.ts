/**
 * Kong's `login_action`: after a login by one of `login_methods` (by default the authorization-code flow), the
 * request goes upstream (`upstream`), or the gateway answers itself with the `login_tokens`: as a JSON body
 * (`response`) or in the query string or fragment of a redirect (`redirect`) to `login_redirect_uri`, else back
 * to the URL that started the login. Token endpoint and introspection answers travel as base64url of their JSON
 * in a URL, as JSON values in a body.
 */
import type { Kong } from '../../pdk/index.ts';
import type { Authenticated, LoginToken, OidcConf } from './conf.ts';
import { returnPath } from './session.ts';

function tokenOf(auth: Authenticated, name: LoginToken): string | Readonly<Record<string, unknown>> | null {
  switch (name) {
    case 'id_token': return auth.idToken;
    case 'access_token': return auth.accessToken;
    case 'refresh_token': return auth.refreshToken ?? null;
    case 'tokens': return auth.tokens ?? null;
    case 'introspection': return auth.introspection ?? null;
  }
}

/** The request's own URL, with its query string only when `preserve_query_args` says so. */
function here(kong: Kong, conf: OidcConf): string {
  return returnPath(conf.preserveQueryArgs ? kong.request.getPathWithQuery() : kong.request.getPath());
}

/** Answers the request when `login_action` applies to this login; false when the request goes on upstream. */
export function loginAction(kong: Kong, conf: OidcConf, auth: Authenticated): boolean {
  const login = conf.login;
  if (login.action === 'upstream' || !login.methods.has(auth.method)) return false;
  const found: [LoginToken, string | Readonly<Record<string, unknown>>][] = [];
  for (const name of login.tokens) {
    const value = tokenOf(auth, name);
    if (value !== null) found.push([name, value]);
  }
  if (login.action === 'response') {
    kong.response.exit(200, Object.fromEntries(found), { 'Cache-Control': 'no-cache, no-store', Pragma: 'no-cache' });
    return true;
  }
  let location = login.redirectUri ?? auth.returnTo ?? here(kong, conf);
  const mark = login.redirectMode === 'query' ? '?' : '#';
  for (const [name, value] of found) {
    const text = typeof value === 'string' ? value : Buffer.from(JSON.stringify(value)).toString('base64url');
    location += `${location.includes(mark) ? '&' : mark}${name}=${encodeURIComponent(text)}`;
  }
  kong.response.exit(302, null, { Location: location, 'Cache-Control': 'no-cache, no-store', Pragma: 'no-cache' });
  return true;
}
