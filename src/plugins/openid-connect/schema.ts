/**
 * openid-connect configuration: the part of Kong's plugin schema Tollgate implements (every one of Kong's
 * `auth_methods`, the authorization-code flow and its session), with Kong's field names and defaults. Kong's
 * fields for features Tollgate leaves out are not in the schema, so a configuration naming one fails loudly
 * instead of being ignored.
 */
import { definePluginSchema, typedefs, type PluginConfig } from '../../schema/index.ts';

/** Kong's authentication methods, all of which Tollgate runs. */
export const AUTH_METHODS = [
  'password', 'client_credentials', 'authorization_code', 'bearer', 'introspection', 'userinfo', 'kong_oauth2', 'refresh_token', 'session',
] as const;

const PARAM_TYPES = ['header', 'query', 'body'] as const;

const paramTypes = (description: string) => ({
  type: 'array' as const,
  elements: { type: 'string' as const, one_of: [...PARAM_TYPES] },
  default: [...PARAM_TYPES],
  description,
});

const strings = (description: string, extra: Record<string, unknown> = {}) => ({
  type: 'array' as const,
  elements: { type: 'string' as const },
  description,
  ...extra,
});

// Forwarding provider calls through a proxy is not built; refusing the setting beats ignoring it, since a
// gateway that cannot reach the provider directly would fail later with a less telling error.
const noProxy = (): string => 'proxies are not supported by Tollgate\'s openid-connect; remove the setting so the provider is called directly';

export const openidConnectSchema = definePluginSchema({
  name: 'openid-connect',
  noConsumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'record',
    fields: {
      issuer: { ...typedefs.url, required: true, description: 'The provider\'s issuer URL; its discovery document is `<issuer>/.well-known/openid-configuration` (or the URL itself when it names the document).' },
      rediscovery_lifetime: { type: 'number', default: 30, description: 'Seconds between two refreshes of the discovery document and JWKS caused by an unknown key id.' },
      auth_methods: {
        type: 'array',
        elements: { type: 'string', one_of: [...AUTH_METHODS] },
        default: [...AUTH_METHODS],
        description: 'The authentication methods tried: credentials and grants the plugin accepts.',
      },
      client_id: strings('The client id(s) the gateway uses with the provider (the first is used).'),
      client_secret: strings('The client secret(s), paired with `client_id`.'),
      client_auth: {
        type: 'array',
        elements: { type: 'string', one_of: ['client_secret_basic', 'client_secret_post', 'none'] },
        description: 'How the gateway authenticates to the token and introspection endpoints (default: the first the provider supports).',
      },
      redirect_uri: { type: 'array', elements: { ...typedefs.url }, description: 'The callback URL of the authorization-code flow (default: the request\'s URL).' },
      logout_redirect_uri: { type: 'array', elements: { ...typedefs.url }, description: 'Where the browser goes after logout (passed to the provider\'s end-session endpoint).' },
      scopes: strings('Scopes requested in the authorization-code flow.', { default: ['openid'] }),
      audience: strings('Audience requested in the authorization-code flow (`audience` argument).'),
      require_proof_key_for_code_exchange: { type: 'boolean', description: 'Send PKCE (S256); default: when the provider advertises S256.' },
      issuers_allowed: strings('Issuers (`iss`) accepted in tokens (default: the discovered issuer).'),
      audience_required: strings('Audiences a token must have: any one entry, whose space-separated values are all required.'),
      audience_claim: strings('The claim (path) holding the audience.', { default: ['aud'] }),
      scopes_required: strings('Scopes a token must have: any one entry, whose space-separated values are all required.'),
      scopes_claim: strings('The claim (path) holding the scopes.', { default: ['scope'] }),
      groups_required: strings('Groups a token must have: any one entry, whose space-separated values are all required.'),
      groups_claim: strings('The claim (path) holding the groups.', { default: ['groups'] }),
      roles_required: strings('Roles a token must have: any one entry, whose space-separated values are all required.'),
      roles_claim: strings('The claim (path) holding the roles.', { default: ['roles'] }),
      verify_signature: { type: 'boolean', required: true, default: true, description: 'Verify JWT signatures with the provider\'s JWKS.' },
      verify_claims: { type: 'boolean', required: true, default: true, description: 'Verify `exp`, `nbf` and `iss`.' },
      verify_nonce: { type: 'boolean', required: true, default: true, description: 'Verify the ID token\'s nonce in the authorization-code flow.' },
      leeway: { type: 'number', required: true, default: 0, description: 'Seconds of clock skew allowed on `exp` and `nbf`.' },
      consumer_claim: strings('The claim (path) whose value names the consumer.'),
      consumer_by: {
        type: 'array',
        elements: { type: 'string', one_of: ['id', 'username', 'custom_id'] },
        default: ['username', 'custom_id'],
        description: 'Consumer fields the `consumer_claim` value is matched against, in order.',
      },
      consumer_optional: { type: 'boolean', required: true, default: false, description: 'Let the request through when no consumer matches.' },
      credential_claim: strings('The claim (path) identifying the credential.', { default: ['sub'] }),
      anonymous: { type: 'string', description: 'Consumer id or username used when authentication fails (instead of a 401).' },
      upstream_headers_claims: strings('Claims (dotted paths) sent upstream, paired with `upstream_headers_names`.'),
      upstream_headers_names: strings('Header names for `upstream_headers_claims`.'),
      upstream_access_token_header: { type: 'string', default: 'authorization:bearer', description: 'Header carrying the access token upstream (`name:bearer` adds the scheme).' },
      upstream_id_token_header: { type: 'string', description: 'Header carrying the ID token upstream (session and authorization-code flow).' },
      upstream_refresh_token_header: { type: 'string', description: 'Header carrying the refresh token upstream, when the login got one.' },
      upstream_user_info_header: { type: 'string', description: 'Header carrying the user info endpoint\'s answer for the access token upstream (base64 of its JSON).' },
      upstream_introspection_header: { type: 'string', description: 'Header carrying the introspection answer upstream (base64 of its JSON), when the token was introspected.' },
      downstream_headers_claims: strings('Claims (dotted paths) sent to the client in response headers, paired with `downstream_headers_names`.'),
      downstream_headers_names: strings('Response header names for `downstream_headers_claims`.'),
      downstream_access_token_header: { type: 'string', description: 'Response header carrying the access token to the client (`name:bearer` adds the scheme).' },
      downstream_id_token_header: { type: 'string', description: 'Response header carrying the ID token to the client.' },
      downstream_refresh_token_header: { type: 'string', description: 'Response header carrying the refresh token to the client.' },
      downstream_user_info_header: { type: 'string', description: 'Response header carrying the user info endpoint\'s answer (base64 of its JSON) to the client.' },
      downstream_introspection_header: { type: 'string', description: 'Response header carrying the introspection answer (base64 of its JSON) to the client.' },
      authenticated_groups_claim: strings('The claim (path) holding the groups the acl plugin reads as authenticated groups.'),
      login_methods: {
        type: 'array',
        elements: { type: 'string', one_of: [...AUTH_METHODS] },
        default: ['authorization_code'],
        description: 'The methods after which `login_action` applies.',
      },
      login_action: {
        type: 'string',
        one_of: ['upstream', 'response', 'redirect'],
        default: 'upstream',
        description: 'After a login by one of `login_methods`: proxy the request (`upstream`), answer with `login_tokens` as JSON (`response`), or redirect to `login_redirect_uri` with them (`redirect`).',
      },
      login_tokens: {
        type: 'array',
        elements: { type: 'string', one_of: ['id_token', 'access_token', 'refresh_token', 'tokens', 'introspection'] },
        default: ['id_token'],
        description: 'What the `response` body or the `redirect` URL carries: tokens, the whole token endpoint answer (`tokens`) or the introspection answer.',
      },
      login_redirect_mode: {
        type: 'string',
        one_of: ['query', 'fragment'],
        default: 'fragment',
        description: 'Where `redirect` puts `login_tokens`: the URL\'s query string or its fragment (which servers never see).',
      },
      login_redirect_uri: { type: 'array', elements: { ...typedefs.url }, description: 'Where `login_action: redirect` sends the browser (default: the URL that started the login).' },
      preserve_query_args: { type: 'boolean', default: false, description: 'Keep the query string of the request that started the authorization-code flow: restored on the callback, and on the redirect back.' },
      response_mode: {
        type: 'string',
        one_of: ['query', 'form_post', 'fragment'],
        default: 'query',
        description: 'How the provider returns the authorization code: query arguments, a form POST to the redirect URI, or the fragment (which the gateway cannot read).',
      },
      bearer_token_param_type: {
        type: 'array',
        elements: { type: 'string', one_of: ['header', 'query', 'body', 'cookie'] },
        default: ['header', 'query', 'body'],
        description: 'Where a bearer token is looked for: the Authorization header, `access_token` query or form argument, or the `bearer_token_cookie_name` cookie.',
      },
      bearer_token_cookie_name: { type: 'string', description: 'The cookie carrying a bearer token, when `bearer_token_param_type` has `cookie`.' },
      password_param_type: paramTypes('Where the `password` method looks for a username and password: HTTP Basic `Authorization` header, `username` and `password` query or body arguments.'),
      client_credentials_param_type: paramTypes('Where the `client_credentials` method looks for a client id and secret: HTTP Basic `Authorization` header, `client_id` and `client_secret` query or body arguments.'),
      refresh_token_param_name: { type: 'string', description: 'The header, query or body argument carrying a refresh token for the `refresh_token` method.' },
      refresh_token_param_type: paramTypes('Where the `refresh_token` method looks for `refresh_token_param_name`.'),
      token_endpoint: { ...typedefs.url, description: 'The token endpoint (default: the discovered one).' },
      cache_tokens: { type: 'boolean', required: true, default: true, description: 'Cache token endpoint answers of the password and client-credentials grants node-wide, for their `expires_in` (else `cache_ttl`).' },
      cache_tokens_salt: { type: 'string', description: 'Salt of the token cache keys (default: derived from the plugin id and the client secret).' },
      userinfo_endpoint: { ...typedefs.url, description: 'The user info endpoint (default: the discovered one).' },
      cache_user_info: { type: 'boolean', required: true, default: true, description: 'Cache user info answers node-wide for `cache_ttl` seconds.' },
      introspection_endpoint: { ...typedefs.url, description: 'The RFC 7662 endpoint (default: the discovered one).' },
      introspection_hint: { type: 'string', default: 'access_token', description: 'The `token_type_hint` sent to the introspection endpoint.' },
      introspect_jwt_tokens: { type: 'boolean', required: true, default: false, description: 'Introspect JWTs too instead of verifying them locally.' },
      cache_introspection: { type: 'boolean', required: true, default: true, description: 'Cache introspection results node-wide.' },
      cache_ttl_neg: { type: 'number', description: 'Seconds a refusal of the introspection or user info endpoint is remembered (default: `cache_ttl`, at most 300; 0: not remembered).' },
      cache_ttl: { type: 'number', required: true, default: 3600, description: 'Seconds an introspection or user info answer is cached (never past the token\'s `exp`), and a token endpoint answer without `expires_in`.' },
      session_secret: { type: 'string', description: 'The secret session cookies are encrypted with (default: derived from the client secret).' },
      session_cookie_name: { type: 'string', required: true, default: 'session', description: 'The session cookie\'s name.' },
      session_cookie_path: { type: 'string', default: '/', description: 'The session cookie\'s Path.' },
      session_cookie_domain: { type: 'string', description: 'The session cookie\'s Domain.' },
      session_cookie_same_site: { type: 'string', one_of: ['Strict', 'Lax', 'None', 'Default'], default: 'Lax', description: 'The session cookie\'s SameSite.' },
      session_cookie_http_only: { type: 'boolean', default: true, description: 'Mark the session cookie HttpOnly.' },
      session_cookie_secure: { type: 'boolean', description: 'Mark the session cookie Secure (default: when the request is HTTPS).' },
      session_rolling_timeout: { type: 'number', default: 3600, description: 'Seconds a session lives unless renewed (renewed as it is used).' },
      session_absolute_timeout: { type: 'number', default: 86400, description: 'Seconds a session lives at most (0: no limit).' },
      session_idling_timeout: { type: 'number', default: 900, description: 'Seconds of inactivity that end a session (0: no limit).' },
      authorization_cookie_name: { type: 'string', required: true, default: 'authorization', description: 'The cookie holding the state, nonce and PKCE verifier during the flow.' },
      authorization_rolling_timeout: { type: 'number', default: 600, description: 'Seconds the authorization cookie is valid.' },
      logout_uri_suffix: { type: 'string', description: 'A request path ending with this logs out.' },
      logout_query_arg: { type: 'string', description: 'A request with this query argument logs out.' },
      logout_post_arg: { type: 'string', description: 'A request with this form argument logs out.' },
      logout_methods: {
        type: 'array',
        elements: { type: 'string', one_of: ['POST', 'GET', 'DELETE'] },
        default: ['POST', 'DELETE'],
        description: 'Request methods that may log out.',
      },
      unauthorized_error_message: { type: 'string', required: true, default: 'Unauthorized', description: 'The message of 401 answers.' },
      forbidden_error_message: { type: 'string', required: true, default: 'Forbidden', description: 'The message of 403 answers.' },
      display_errors: { type: 'boolean', required: true, default: false, description: 'Add the reason to error messages.' },
      hide_credentials: { type: 'boolean', required: true, default: true, description: 'Remove the credentials the request was authenticated with (bearer token, Basic header, token cookie) from the upstream request.' },
      run_on_preflight: { type: 'boolean', required: true, default: true, description: 'Authenticate OPTIONS requests too.' },
      timeout: { type: 'number', default: 10000, description: 'Milliseconds to wait for the provider.' },
      ssl_verify: { type: 'boolean', default: false, description: 'Verify the provider\'s TLS certificate (Kong\'s default is not to).' },
      keepalive: { type: 'boolean', default: true, description: 'Reuse connections to the provider.' },
      http_version: {
        type: 'number',
        default: 1.1,
        custom_validator: (v: number) => (v === 1.0 || v === 1.1 ? null : 'must be 1.0 or 1.1'),
        description: 'The HTTP version of calls to the provider (1.0 closes the connection after each call).',
      },
      http_proxy: { ...typedefs.url, custom_validator: noProxy, description: 'Not supported: calls to the provider go direct; a value is refused.' },
      https_proxy: { ...typedefs.url, custom_validator: noProxy, description: 'Not supported: calls to the provider go direct; a value is refused.' },
    },
  },
});

/** openid-connect's validated configuration. */
export type OpenidConnectConfig = PluginConfig<typeof openidConnectSchema>;
