/** oauth2 configuration, with Kong's fields, defaults and checks. */
import { definePluginSchema, typedefs, type PluginConfig } from '../../schema/index.ts';

const FLOWS = ['enable_authorization_code', 'enable_implicit_grant', 'enable_client_credentials', 'enable_password_grant'] as const;

/** Kong's rule: a plugin that enables no flow could never issue a token. */
function validateFlows(config: Readonly<Record<string, unknown>>): string | null {
  if (FLOWS.some((flow) => config[flow] === true)) return null;
  return `at least one of these fields must be true: ${FLOWS.join(', ')}`;
}

export const oauth2Schema = definePluginSchema({
  name: 'oauth2',
  noConsumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'record',
    custom_validator: validateFlows,
    fields: {
      scopes: { type: 'array', elements: { type: 'string' }, description: 'The scope names clients may ask for; required with `mandatory_scope`.' },
      mandatory_scope: { type: 'boolean', required: true, default: false, description: 'Require at least one scope to be authorized.' },
      provision_key: { type: 'string', required: true, unique: true, auto: true, encrypted: true, description: 'The key the authorization server presents to /oauth2/authorize (generated when omitted).' },
      token_expiration: { type: 'number', required: true, default: 7200, description: 'Seconds an access token lasts; 0: it never expires.' },
      enable_authorization_code: { type: 'boolean', required: true, default: false, description: 'The Authorization Code flow (RFC 6749 §4.1).' },
      enable_implicit_grant: { type: 'boolean', required: true, default: false, description: 'The Implicit Grant flow (RFC 6749 §4.2).' },
      enable_client_credentials: { type: 'boolean', required: true, default: false, description: 'The Client Credentials flow (RFC 6749 §4.4).' },
      enable_password_grant: { type: 'boolean', required: true, default: false, description: 'The Resource Owner Password Credentials flow (RFC 6749 §4.3).' },
      hide_credentials: { type: 'boolean', required: true, default: false, description: 'Remove the access token from the request sent upstream.' },
      accept_http_if_already_terminated: { type: 'boolean', required: true, default: false, description: 'Accept HTTP from trusted addresses whose X-Forwarded-Proto says https.' },
      anonymous: { type: 'string', description: 'Consumer id or username to use when authentication fails (instead of a 401).' },
      global_credentials: { type: 'boolean', required: true, default: false, description: 'Tokens are valid on every service whose oauth2 plugin also sets this.' },
      auth_header_name: { type: 'string', default: 'authorization', description: 'The header carrying the access token.' },
      refresh_token_ttl: { ...typedefs.ttl, default: 1209600, required: true, description: 'Seconds a token and its refresh token are kept; 0: forever.' },
      reuse_refresh_token: { type: 'boolean', required: true, default: false, description: 'Keep the refresh token when refreshing.' },
      pkce: { type: 'string', default: 'lax', required: false, one_of: ['none', 'lax', 'strict'], description: 'How PKCE (RFC 7636) is required: `strict` for every client, `lax` for public clients, `none` never.' },
      realm: { type: 'string', required: false, description: 'The realm of the WWW-Authenticate header of failures.' },
    },
    entity_checks: [{ conditional: { if_field: 'mandatory_scope', if_match: { eq: true }, then_field: 'scopes', then_match: { required: true } } }],
  },
});

/** oauth2's validated configuration. */
export type OAuth2Config = PluginConfig<typeof oauth2Schema>;
