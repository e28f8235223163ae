/**
 * The two endpoints the plugin serves itself under the route's paths, as Kong's does: `/oauth2/authorize`
 * (the authorization server, holding the provision key, asks for a code or an implicit-grant token on behalf
 * of an end user) and `/oauth2/token` (clients exchange a code, their credentials, a user's password grant or
 * a refresh token for an access token). Errors are RFC 6749 `error`/`error_description` bodies; authorize
 * errors that know the client's redirect URI are sent as that URI with the error in its query.
 */
import type { Kong } from '../../pdk/index.ts';
import type { OAuth2Client, OAuth2Conf } from './conf.ts';
import {
  checkHttps,
  error,
  hasParam,
  NO_STORE,
  redirectWith,
  retrieveCodeChallenge,
  retrieveParameters,
  retrieveScope,
  s256,
  stringParam,
  type Parameters,
  type ResponseParams,
} from './protocol.ts';
import { sameSecret, verifySecret } from './secret.ts';
import { forgetToken, generateToken, type StoredToken } from './tokens.ts';

/** Base64 as nginx decodes it: the standard alphabet, padding optional; null for anything else. */
function decodeBase64(text: string): Buffer | null {
  const body = text.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(body) || body.length % 4 === 1) return null;
  return Buffer.from(body, 'base64');
}

const INVALID_CLIENT = 'Invalid client authentication';
const INVALID_REDIRECT = 'Invalid redirect_uri that does not match with any redirect_uri created with the application';

/** Kong's rule: public clients always use PKCE (unless `none`), confidential ones with `strict`, or a code that did. */
function requiresPkce(conf: OAuth2Conf, client: OAuth2Client | null, usedPkce?: unknown): boolean {
  if (client === null) return false;
  return (
    (usedPkce !== undefined && usedPkce !== null) ||
    (client.client_type === 'public' && conf.config.pkce !== 'none') ||
    (client.client_type === 'confidential' && conf.config.pkce === 'strict')
  );
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function serviceId(kong: Kong, conf: OAuth2Conf): string | null {
  if (conf.config.global_credentials) return null;
  return (kong.router.getService()?.id as string | undefined) ?? null;
}

function clientFor(conf: OAuth2Conf, clientId: unknown): OAuth2Client | null {
  if (typeof clientId !== 'string' || clientId === '') return null;
  return conf.clients.byClientId.get(clientId) ?? null;
}

/** POST /oauth2/authorize. */
export async function authorize(kong: Kong, conf: OAuth2Conf): Promise<void> {
  let response: ResponseParams = {};
  const params = await retrieveParameters(kong);
  const state = params.state;
  let redirectUri: string | null = null;
  let implicit = false;
  const https = checkHttps(kong, conf.config.accept_http_if_already_terminated);
  if (!https.ok) {
    response = error('access_denied', https.error ?? 'You must use HTTPS');
  } else if (conf.config.provision_key !== params.provision_key) {
    response = error('invalid_provision_key', 'Invalid provision_key');
  } else if (isBlank(params.authenticated_userid)) {
    response = error('invalid_authenticated_userid', 'Missing authenticated_userid parameter');
  } else {
    const responseType = params.response_type;
    if (!((responseType === 'code' && conf.config.enable_authorization_code) || (responseType === 'token' && conf.config.enable_implicit_grant))) {
      response = error('unsupported_response_type', 'Invalid response_type');
    }
    const scope = retrieveScope(params, conf.scopes, conf.config.mandatory_scope);
    if (scope.error !== undefined) response = scope.error;
    const client = clientFor(conf, params.client_id);
    const allowed = client?.redirect_uris ?? null;
    if (allowed === null || allowed.length === 0) {
      response = error('invalid_client', INVALID_CLIENT);
    } else {
      const asked = stringParam(params, 'redirect_uri') ?? allowed[0];
      redirectUri = asked;
      if (!allowed.includes(asked)) {
        response = error('invalid_request', INVALID_REDIRECT);
        // The error goes to the first URI registered, never to one the application did not register.
        redirectUri = allowed[0];
      }
    }
    const pkce = retrieveCodeChallenge(params);
    let challengeMethod = pkce.method;
    if (pkce.error !== undefined) response = error('invalid_request', pkce.error);
    else if (client !== null && pkce.challenge === undefined && requiresPkce(conf, client)) {
      response = error('invalid_request', `code_challenge is required for ${client.client_type} clients`);
    } else if (pkce.challenge === undefined) challengeMethod = undefined;

    if (response.error === undefined && client !== null) {
      if (responseType === 'code') {
        const service = serviceId(kong, conf);
        const row: Record<string, unknown> = {
          service: service === null ? null : { id: service },
          credential: { id: client.id },
          authenticated_userid: params.authenticated_userid,
          plugin: conf.pluginId === null ? null : { id: conf.pluginId },
        };
        if (scope.scope !== undefined) row.scope = scope.scope;
        if (pkce.challenge !== undefined) row.challenge = pkce.challenge;
        if (challengeMethod !== undefined) row.challenge_method = challengeMethod;
        const code = await kong.db.insert('oauth2_authorization_codes', row, { ttl: 300 });
        response = { code: code.code };
      } else {
        response = { ...(await generateToken(kong, conf, client, params.authenticated_userid, scope.scope, state, true)) };
        implicit = true;
      }
    }
  }
  if (state !== undefined && state !== null) response.state = state;
  const status = response.error !== undefined ? 400 : 200;
  const body = redirectUri !== null ? { redirect_uri: redirectWith(redirectUri, response, implicit) } : response;
  kong.response.exit(status, body, NO_STORE);
}

/** The client's id and secret: body parameters, else a Basic header (in `auth_header_name`), else an id alone. */
function retrieveClientCredentials(kong: Kong, conf: OAuth2Conf, params: Parameters): { clientId?: string; clientSecret?: string; fromHeader: boolean } {
  const clientId = stringParam(params, 'client_id');
  const clientSecret = stringParam(params, 'client_secret');
  if (hasParam(params, 'client_id') && hasParam(params, 'client_secret')) return { clientId, clientSecret, fromHeader: false };
  const header = kong.request.getHeader(conf.authHeader);
  if (header !== undefined) {
    const m = /\s*[Bb]asic\s*(.+)/.exec(header);
    const decoded = m === null ? null : decodeBase64(m[1]);
    if (decoded === null) return { fromHeader: true };
    const text = decoded.toString('utf8');
    const colon = text.indexOf(':');
    return colon === -1 ? { clientId: text, fromHeader: true } : { clientId: text.slice(0, colon), clientSecret: text.slice(colon + 1), fromHeader: true };
  }
  return { clientId, fromHeader: false };
}

function validatePkceVerifier(params: Parameters, code: Readonly<Record<string, unknown>>): ResponseParams | null {
  const verifier = params.code_verifier;
  if (verifier === undefined || verifier === null) return error('invalid_request', 'code_verifier is required for PKCE authorization requests');
  if (typeof verifier !== 'string') return error('invalid_request', 'code_verifier is not a string');
  if (verifier.length < 43 || verifier.length > 128) return error('invalid_request', 'code_verifier must be between 43 and 128 characters');
  if (typeof code.challenge !== 'string' || s256(verifier) !== code.challenge) return error('invalid_grant', 'Invalid code');
  return null;
}

const idOf = (ref: unknown): string | undefined => (ref !== null && typeof ref === 'object' ? ((ref as { id?: string }).id ?? undefined) : undefined);

/** POST /oauth2/token. */
export async function issueToken(kong: Kong, conf: OAuth2Conf): Promise<void> {
  let response: ResponseParams = {};
  let unauthorizedClient = false;
  const params = await retrieveParameters(kong);
  const state = params.state;
  const https = checkHttps(kong, conf.config.accept_http_if_already_terminated);
  if (!https.ok) {
    response = error('access_denied', https.error ?? 'You must use HTTPS');
  } else {
    const grantType = params.grant_type;
    if (
      !(
        grantType === 'authorization_code' ||
        grantType === 'refresh_token' ||
        (conf.config.enable_client_credentials && grantType === 'client_credentials') ||
        (conf.config.enable_password_grant && grantType === 'password')
      )
    ) {
      response = error('unsupported_grant_type', 'Invalid grant_type');
    }
    const given = retrieveClientCredentials(kong, conf, params);
    const client = clientFor(conf, given.clientId);
    if (grantType !== 'client_credentials') {
      if (client !== null && client.redirect_uris !== null && client.redirect_uris.length > 0) {
        const redirectUri = stringParam(params, 'redirect_uri') ?? client.redirect_uris[0];
        if (!client.redirect_uris.includes(redirectUri)) response = error('invalid_request', INVALID_REDIRECT);
      } else {
        response = error('invalid_client', INVALID_CLIENT);
        if (given.fromHeader) unauthorizedClient = true;
      }
    }
    if (client !== null) {
      if (client.client_type === 'confidential') {
        const secret = given.clientSecret;
        const stored = client.client_secret;
        const authenticated =
          typeof secret === 'string' && stored !== null && (client.hash_secret ? verifySecret(secret, stored) : sameSecret(secret, stored));
        if (!authenticated) {
          response = error('invalid_client', INVALID_CLIENT);
          if (given.fromHeader) unauthorizedClient = true;
        }
      } else if (!isBlank(given.clientSecret)) {
        response = error('invalid_request', 'client_secret is disallowed for public clients');
      }
    }
    if (response.error === undefined && client !== null) response = await grant(kong, conf, params, client, grantType, state);
    else if (response.error === undefined && grantType === 'client_credentials') {
      response =
        hasParam(params, 'authenticated_userid') && conf.config.provision_key !== params.provision_key
          ? error('invalid_provision_key', 'Invalid provision_key')
          : error('invalid_client', INVALID_CLIENT);
    }
  }
  if (state !== undefined && state !== null) response.state = state;
  const headers: Record<string, string> = { ...NO_STORE };
  if (unauthorizedClient && response.error !== undefined) headers['www-authenticate'] = 'Basic realm="OAuth2.0"';
  kong.response.exit(response.error === undefined ? 200 : unauthorizedClient ? 401 : 400, response, headers);
}

/** The grant itself, once the client is known and authenticated. */
async function grant(kong: Kong, conf: OAuth2Conf, params: Parameters, client: OAuth2Client, grantType: unknown, state: unknown): Promise<ResponseParams> {
  switch (grantType) {
    case 'authorization_code': {
      const service = serviceId(kong, conf);
      const value = params.code;
      const code = typeof value === 'string' && value !== '' ? await kong.db.selectBy('oauth2_authorization_codes', 'code', value) : null;
      if (code === null || (service !== null && service !== idOf(code.service)) || idOf(code.credential) !== client.id) {
        return error('invalid_request', 'Invalid code');
      }
      if (requiresPkce(conf, client, code.challenge_method)) {
        const failure = validatePkceVerifier(params, code);
        if (failure !== null) return failure;
      }
      if (conf.config.global_credentials && idOf(code.plugin) !== undefined && idOf(code.plugin) !== conf.pluginId) {
        return error('invalid_request', 'Invalid code');
      }
      // A code is used once: deleted before the token is answered, so a replay finds nothing.
      if (!(await kong.db.delete('oauth2_authorization_codes', String(code.id)))) return error('invalid_request', 'Invalid code');
      return { ...(await generateToken(kong, conf, client, code.authenticated_userid, code.scope as string | undefined, state, false)) };
    }
    case 'client_credentials': {
      if (hasParam(params, 'authenticated_userid') && conf.config.provision_key !== params.provision_key) {
        return error('invalid_provision_key', 'Invalid provision_key');
      }
      const scope = retrieveScope(params, conf.scopes, conf.config.mandatory_scope);
      if (scope.error !== undefined) return scope.error;
      return { ...(await generateToken(kong, conf, client, params.authenticated_userid, scope.scope, state, true)) };
    }
    case 'password': {
      if (conf.config.provision_key !== params.provision_key) return error('invalid_provision_key', 'Invalid provision_key');
      if (isBlank(params.authenticated_userid)) return error('invalid_authenticated_userid', 'Missing authenticated_userid parameter');
      const scope = retrieveScope(params, conf.scopes, conf.config.mandatory_scope);
      if (scope.error !== undefined) return scope.error;
      return { ...(await generateToken(kong, conf, client, params.authenticated_userid, scope.scope, state, false)) };
    }
    default: {
      // refresh_token (the grant types were checked before).
      const service = serviceId(kong, conf);
      const value = params.refresh_token;
      const token = (typeof value === 'string' && value !== '' ? await kong.db.selectBy('oauth2_tokens', 'refresh_token', value) : null) as StoredToken | null;
      if (token === null || (service !== null && service !== idOf(token.service))) return error('invalid_request', 'Invalid refresh_token');
      if (token.credential.id !== client.id) return error('invalid_client', INVALID_CLIENT);
      if (typeof token.scope === 'string') {
        for (const scope of token.scope.split(/\s+/)) {
          if (scope !== '' && !(conf.scopes?.has(scope) ?? false)) return error('invalid_scope', 'Scope mismatch');
        }
      }
      const issued = await generateToken(kong, conf, client, token.authenticated_userid, token.scope, state, false, token);
      if (!conf.config.reuse_refresh_token) {
        await kong.db.delete('oauth2_tokens', token.id);
        await forgetToken(kong, token.access_token);
      }
      return { ...issued };
    }
  }
}
