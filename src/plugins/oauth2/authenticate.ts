/**
 * Every request other than the endpoints' must carry a valid access token (Kong's do_authentication): from
 * the `auth_header_name` header (`Bearer` or `Token`), else an `access_token` query or body parameter. The
 * token must exist, belong to this service (or be global when `global_credentials` is set) and not be past
 * `expires_in`; its client's consumer is then the request's, with Kong's upstream headers.
 */
import type { Kong } from '../../pdk/index.ts';
import { setConsumerHeaders } from '../shared/consumer-headers.ts';
import type { OAuth2Client, OAuth2Conf } from './conf.ts';
import { bearerChallenge, retrieveParameters } from './protocol.ts';
import { loadToken, type StoredToken } from './tokens.ts';

const INVALID_TOKEN = 'The access token is invalid or has expired';

/** A failed authentication as Kong answers it (when no `anonymous` consumer replaces it). */
export interface AuthFailure {
  readonly status: number;
  readonly body: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
}

function invalidToken(conf: OAuth2Conf): AuthFailure {
  return {
    status: 401,
    body: { error: 'invalid_token', error_description: INVALID_TOKEN },
    headers: { 'WWW-Authenticate': bearerChallenge(conf.realm, 'invalid_token', INVALID_TOKEN) },
  };
}

function isForm(kong: Kong): boolean {
  return (kong.request.getHeader('content-type') ?? '').includes('application/x-www-form-urlencoded');
}

/** The access token the request presents, removing it from what goes upstream with `hide_credentials`. */
async function parseAccessToken(kong: Kong, conf: OAuth2Conf): Promise<string | undefined> {
  const header = kong.request.getHeader(conf.authHeader);
  let token: string | undefined;
  let inHeader = false;
  if (header !== undefined) {
    token = header;
    const parts = header.split(/\s+/).filter((p) => p !== '');
    if (parts.length === 2 && (parts[0].toLowerCase() === 'token' || parts[0].toLowerCase() === 'bearer')) {
      token = parts[1];
      inHeader = true;
    }
  } else {
    const value = (await retrieveParameters(kong)).access_token;
    if (typeof value !== 'string') return undefined;
    token = value;
  }
  if (conf.config.hide_credentials) {
    if (inHeader) {
      kong.service.request.clearHeader(conf.authHeader);
    } else {
      kong.service.request.clearQueryArg('access_token');
      if (kong.request.getMethod() !== 'GET' && isForm(kong)) {
        try {
          const body = { ...((await kong.request.getBody()) as Record<string, unknown>) };
          delete body.access_token;
          kong.service.request.setBody(body, 'application/x-www-form-urlencoded');
        } catch {
          // An unreadable body carried no token to remove.
        }
      }
    }
  }
  return token;
}

/** Records the token's consumer and sets (or clears, so clients cannot forge them) Kong's upstream headers. */
function setConsumer(kong: Kong, client: OAuth2Client, token: StoredToken): void {
  kong.client.authenticate(client.consumer, client.credential);
  setConsumerHeaders(kong, client.consumer, client.client_id, false);
  const upstream = kong.service.request;
  if (typeof token.scope === 'string') upstream.setHeader('X-Authenticated-Scope', token.scope);
  else upstream.clearHeader('X-Authenticated-Scope');
  if (typeof token.authenticated_userid === 'string') upstream.setHeader('X-Authenticated-UserId', token.authenticated_userid);
  else upstream.clearHeader('X-Authenticated-UserId');
}

/** Without a token of this plugin's (another plugin's consumer, the anonymous one), no scope or user goes upstream. */
export function clearTokenHeaders(kong: Kong): void {
  kong.service.request.clearHeader('X-Authenticated-Scope');
  kong.service.request.clearHeader('X-Authenticated-UserId');
}

/**
 * Authenticates the request: null on success (consumer set), else the failure. A token issued for all
 * services reaching a plugin without `global_credentials` is refused with its own description, as in Kong.
 */
export async function authenticate(kong: Kong, conf: OAuth2Conf): Promise<AuthFailure | null> {
  const accessToken = await parseAccessToken(kong, conf);
  if (accessToken === undefined || accessToken === '') {
    return {
      status: 401,
      body: { error: 'invalid_request', error_description: 'The access token is missing' },
      headers: { 'WWW-Authenticate': bearerChallenge(conf.realm) },
    };
  }
  const token = conf.tokens !== null ? (conf.tokens.get(accessToken) ?? null) : await loadToken(kong, accessToken);
  if (token === null) return invalidToken(conf);
  const serviceId = (kong.router.getService()?.id as string | undefined) ?? null;
  const tokenService = token.service?.id ?? null;
  if (!conf.config.global_credentials && tokenService === null) {
    return {
      status: 401,
      body: { error: 'invalid_token', error_description: "The access token is global, but the current plugin is configured without 'global_credentials'" },
      headers: { 'WWW-Authenticate': bearerChallenge(conf.realm, 'invalid_token', INVALID_TOKEN) },
    };
  }
  if (tokenService !== null && tokenService !== serviceId) return invalidToken(conf);
  if (token.expires_in > 0 && Date.now() / 1000 - token.created_at > token.expires_in) return invalidToken(conf);
  // The client (and its consumer) come from the configuration: a deleted application's tokens stop working.
  const client = conf.clients.byId.get(token.credential.id);
  if (client === undefined) return invalidToken(conf);
  setConsumer(kong, client, token);
  return null;
}
