/**
 * oauth2's entities, with Kong's names and fields: `oauth2_credentials` (a consumer's client applications,
 * Admin API `/oauth2` and `/consumers/{c}/oauth2`, addressed by `client_id`), `oauth2_authorization_codes`
 * (short-lived codes of the authorization code flow) and `oauth2_tokens` (access and refresh tokens, addressed
 * by `access_token`). Codes and tokens are written by the gateway as it serves the flows and expire with the
 * store's `ttl`. As in Kong, `config db_export` writes tokens but not codes; neither is part of the live
 * configuration a node with a database compiles or pushes to data planes (see `live_config` below). A DB-less
 * file may hold tokens, which that node then serves.
 */
import { defineEntity, typedefs, type EntityView } from '../../schema/index.ts';
import { hashSecret, isSecretHash } from './secret.ts';

/** Kong's rule for a redirect URI: absolute (scheme and host) and without a fragment. */
export function validateRedirectUri(uri: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return `cannot parse '${uri}'`;
  }
  if (parsed.host === '' || !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(uri)) return `cannot parse '${uri}'`;
  if (uri.includes('#')) return `fragment not allowed in '${uri}'`;
  return null;
}

export const oauth2CredentialsSchema = defineEntity({
  name: 'oauth2_credentials',
  primary_key: ['id'],
  endpoint_key: 'client_id',
  cache_key: ['client_id'],
  workspaceable: true,
  admin_api_name: 'oauth2',
  admin_api_nested_name: 'oauth2',
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    consumer: { type: 'foreign', reference: 'consumers', required: true, on_delete: 'cascade' },
    name: { type: 'string', required: true, description: 'The application name.' },
    client_id: { type: 'string', required: false, unique: true, auto: true, description: 'The client identifier (generated when omitted).' },
    client_secret: { type: 'string', required: false, auto: true, encrypted: true, description: 'The client secret (generated when omitted); stored hashed with `hash_secret`.' },
    hash_secret: { type: 'boolean', required: true, default: false, description: 'Store the client secret as a PBKDF2 hash.' },
    redirect_uris: { type: 'array', required: false, elements: { type: 'string', custom_validator: validateRedirectUri }, description: 'The URIs the authorization flows may redirect to.' },
    tags: typedefs.tags,
    client_type: { type: 'string', required: true, default: 'confidential', one_of: ['confidential', 'public'], description: '`public` clients have no secret and must use PKCE.' },
  },
  transformations: [
    {
      // Kong runs this only when a write sets hash_secret; a new client_secret alone is hashed here too, so a
      // credential with hash_secret never stores its secret in clear.
      input: ['hash_secret', 'client_secret'],
      on_write: (entity: EntityView) => {
        const secret = entity.client_secret;
        if (entity.hash_secret !== true || typeof secret !== 'string' || isSecretHash(secret)) return {};
        return { client_secret: hashSecret(secret) };
      },
    },
  ],
});

export const oauth2AuthorizationCodesSchema = defineEntity({
  name: 'oauth2_authorization_codes',
  primary_key: ['id'],
  ttl: true,
  db_export: false,
  generate_admin_api: false,
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    service: { type: 'foreign', reference: 'services', default: null, on_delete: 'cascade' },
    credential: { type: 'foreign', reference: 'oauth2_credentials', required: true, on_delete: 'cascade' },
    code: { type: 'string', required: false, unique: true, auto: true, description: 'The authorization code.' },
    authenticated_userid: { type: 'string', required: false, description: 'The end user the code was issued for.' },
    scope: { type: 'string', description: 'The scopes granted, space-separated.' },
    challenge: { type: 'string', required: false, description: 'The PKCE code challenge.' },
    challenge_method: { type: 'string', required: false, one_of: ['S256'], description: 'The PKCE challenge method.' },
    plugin: { type: 'foreign', reference: 'plugins', default: null, on_delete: 'cascade' },
  },
});

export const oauth2TokensSchema = defineEntity({
  name: 'oauth2_tokens',
  primary_key: ['id'],
  endpoint_key: 'access_token',
  secret_endpoint_key: true,
  cache_key: ['access_token'],
  ttl: true,
  // Kong exports tokens (its daos.lua sets db_export = false on codes only), so `config db_export` files keep
  // them; but a token is written per request, and as part of the live configuration every issued, refreshed or
  // expired token would rebuild every worker's configuration (measured: 2.4 -> 40 ms per token with 1,000
  // routes), so they stay out of it and out of pushes to data planes.
  live_config: false,
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    service: { type: 'foreign', reference: 'services', default: null, on_delete: 'cascade' },
    credential: { type: 'foreign', reference: 'oauth2_credentials', required: true, on_delete: 'cascade' },
    token_type: { type: 'string', required: true, one_of: ['bearer'], default: 'bearer', description: 'Always `bearer`.' },
    expires_in: { type: 'integer', required: true, description: 'Seconds the access token lasts after `created_at`; 0: forever.' },
    access_token: { type: 'string', required: false, unique: true, auto: true, description: 'The access token (generated when omitted).' },
    refresh_token: { type: 'string', required: false, unique: true, description: 'The refresh token, if any.' },
    authenticated_userid: { type: 'string', required: false, description: 'The end user the token was issued for.' },
    scope: { type: 'string', description: 'The scopes granted, space-separated.' },
  },
});

/** The entities oauth2 owns, parents first. */
export const oauth2Daos = [oauth2CredentialsSchema, oauth2AuthorizationCodesSchema, oauth2TokensSchema] as const;
