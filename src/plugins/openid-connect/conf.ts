/** openid-connect's configuration as the phases read it (compiled once per plugin entity), and the outcomes they share. */
import { createHash, randomBytes } from 'node:crypto';
import type { PluginConfigData, PluginConsumer, PluginEntityScope } from '../../pdk/index.ts';
import { anonymousConf, type AnonymousConf } from '../shared/anonymous.ts';
import { compileRequirement, type Claims, type Requirement } from './claims.ts';
import type { Client, ClientAuth } from './endpoints.ts';
import type { Transport } from './http.ts';
import { deriveKey, type CookieAttributes, type SessionLimits } from './session.ts';
import type { OpenidConnectConfig } from './schema.ts';
import { VerifiedTokenCache } from '../jwt/cache.ts';

export type Method = OpenidConnectConfig['auth_methods'][number];
export type ParamType = 'header' | 'query' | 'body';
export type LoginToken = OpenidConnectConfig['login_tokens'][number];

/** A header a token goes in: `name`, or `name:bearer` for `Bearer <token>`. */
export interface TokenHeader {
  readonly name: string;
  readonly bearer: boolean;
}

/** Claims sent in headers: one claim path per header name. */
export type ClaimHeaders = readonly { readonly claim: readonly string[]; readonly name: string }[];

/** What happens after a login by one of `login_methods` (Kong's `login_*` fields). */
export interface LoginConf {
  readonly methods: ReadonlySet<Method>;
  readonly action: 'upstream' | 'response' | 'redirect';
  readonly tokens: readonly LoginToken[];
  readonly redirectMode: 'query' | 'fragment';
  /** null: back to the URL that started the login. */
  readonly redirectUri: string | null;
}

interface Check {
  readonly claim: readonly string[];
  readonly required: Requirement;
  readonly what: string;
}

/** The configuration as the phases read it, computed once per plugin entity and snapshot. */
export interface OidcConf extends AnonymousConf {
  readonly issuer: string;
  /** `timeout`, `ssl_verify`, `keepalive` and `http_version`: how the provider is called. */
  readonly transport: Transport;
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
  readonly upstreamHeaders: ClaimHeaders;
  readonly accessTokenHeader: TokenHeader | null;
  readonly idTokenHeader: TokenHeader | null;
  readonly refreshTokenHeader: TokenHeader | null;
  readonly userInfoHeader: string | null;
  readonly introspectionHeader: string | null;
  /** Headers on the response to the client (`downstream_*`). */
  readonly downstream: {
    readonly claims: ClaimHeaders;
    readonly accessToken: TokenHeader | null;
    readonly idToken: TokenHeader | null;
    readonly refreshToken: TokenHeader | null;
    readonly userInfo: string | null;
    readonly introspection: string | null;
  };
  /** `authenticated_groups_claim`: where the groups the acl plugin reads are. */
  readonly groupsClaim: readonly string[] | null;
  readonly login: LoginConf;
  readonly preserveQueryArgs: boolean;
  readonly responseMode: 'query' | 'form_post' | 'fragment';
  readonly tokenIn: ReadonlySet<ParamType | 'cookie'>;
  /** The cookie a bearer token may come in; null unless `bearer_token_param_type` has `cookie` and a name is set. */
  readonly tokenCookie: string | null;
  readonly passwordIn: ReadonlySet<ParamType>;
  readonly clientCredentialsIn: ReadonlySet<ParamType>;
  /** Where the `refresh_token` method finds its token; null without `refresh_token_param_name`. */
  readonly refreshTokenParam: { readonly name: string; readonly in: ReadonlySet<ParamType> } | null;
  readonly tokenEndpoint: string | null;
  readonly cacheTokens: boolean;
  /** Mixed into token cache keys, so keys of one plugin tell nothing about another's credentials. */
  readonly tokensSalt: string;
  readonly userinfoEndpoint: string | null;
  readonly cacheUserInfo: boolean;
  /** The consumers of Kong oauth2 applications, by credential id (`kong_oauth2`). */
  readonly oauth2Consumers: ReadonlyMap<string, { readonly consumer: PluginConsumer; readonly clientId: string }>;
  readonly introspectionEndpoint: string | null;
  readonly introspectionHint: string;
  readonly introspectJwt: boolean;
  readonly cacheIntrospection: boolean;
  readonly cacheTtlS: number;
  /** Seconds a provider's refusal of a token is remembered (0: never). */
  readonly negativeTtlS: number;
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
export interface Authenticated {
  readonly ok: true;
  readonly claims: Claims;
  readonly accessToken: string | null;
  readonly idToken: string | null;
  /** The method that authenticated the request (`login_methods` are matched against it). */
  readonly method: Method;
  readonly refreshToken?: string | null;
  /** The token endpoint's whole answer, when the login went through it. */
  readonly tokens?: Readonly<Record<string, unknown>> | null;
  /** The introspection endpoint's answer, when the token was introspected. */
  readonly introspection?: Claims | null;
  /** The user info endpoint's answer, when it authenticated the token. */
  readonly userInfo?: Claims | null;
  /** Where the login started (authorization-code flow): where `login_action: redirect` goes back to. */
  readonly returnTo?: string;
  /** The consumer the credential itself names (a Kong oauth2 token's application), used without `consumer_claim`. */
  readonly consumer?: PluginConsumer;
}

export interface Refused {
  readonly ok: false;
  readonly status: 401 | 403 | 500;
  readonly reason: string;
  /** RFC 6750 error code of the challenge. */
  readonly error: 'invalid_token' | 'insufficient_scope' | null;
}

export type Outcome = Authenticated | Refused;

export interface Signed {
  readonly ok: true;
  readonly claims: Claims;
}

export const refuse = (status: 401 | 403 | 500, reason: string, error: Refused['error'] = 'invalid_token'): Refused => ({ ok: false, status, reason, error });

const nonEmpty = <T>(list: readonly T[] | null | undefined): readonly T[] | null => (list === null || list === undefined || list.length === 0 ? null : list);

function tokenHeader(spec: string | null | undefined): TokenHeader | null {
  if (spec === null || spec === undefined || spec === '') return null;
  const [name, scheme] = spec.split(':');
  return { name: name!, bearer: scheme?.toLowerCase() === 'bearer' };
}

const headerName = (name: string | null | undefined): string | null => (name === null || name === undefined || name === '' ? null : name);

function claimHeaders(claims: readonly string[] | null | undefined, names: readonly string[] | null | undefined): ClaimHeaders {
  const n = nonEmpty(names) ?? [];
  return (nonEmpty(claims) ?? []).flatMap((claim, i) => (n[i] === undefined ? [] : [{ claim: claim.split('.'), name: n[i]! }]));
}

export function prepare(config: OpenidConnectConfig, data: PluginConfigData, entity?: PluginEntityScope): OidcConf {
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
  const oauth2Consumers = new Map<string, { consumer: PluginConsumer; clientId: string }>();
  if (config.auth_methods.includes('kong_oauth2')) {
    for (const [clientId, match] of data.credentialsBy('oauth2_credentials', 'client_id')) oauth2Consumers.set(match.credential.id, { consumer: match.consumer, clientId });
  }
  const refreshName = config.refresh_token_param_name ?? '';
  return {
    issuer: config.issuer,
    transport: {
      timeoutMs: config.timeout ?? 10000,
      sslVerify: config.ssl_verify ?? false,
      // HTTP/1.0 has no persistent connections: each call closes its own.
      keepalive: (config.keepalive ?? true) && (config.http_version ?? 1.1) !== 1.0,
    },
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
    ...anonymousConf(config.anonymous, data),
    upstreamHeaders: claimHeaders(config.upstream_headers_claims, config.upstream_headers_names),
    accessTokenHeader: tokenHeader(config.upstream_access_token_header),
    idTokenHeader: tokenHeader(config.upstream_id_token_header),
    refreshTokenHeader: tokenHeader(config.upstream_refresh_token_header),
    userInfoHeader: headerName(config.upstream_user_info_header),
    introspectionHeader: headerName(config.upstream_introspection_header),
    downstream: {
      claims: claimHeaders(config.downstream_headers_claims, config.downstream_headers_names),
      accessToken: tokenHeader(config.downstream_access_token_header),
      idToken: tokenHeader(config.downstream_id_token_header),
      refreshToken: tokenHeader(config.downstream_refresh_token_header),
      userInfo: headerName(config.downstream_user_info_header),
      introspection: headerName(config.downstream_introspection_header),
    },
    groupsClaim: nonEmpty(config.authenticated_groups_claim),
    login: {
      methods: new Set(config.login_methods ?? ['authorization_code']),
      action: config.login_action ?? 'upstream',
      tokens: config.login_tokens ?? [],
      redirectMode: config.login_redirect_mode ?? 'fragment',
      redirectUri: nonEmpty(config.login_redirect_uri)?.[0] ?? null,
    },
    preserveQueryArgs: config.preserve_query_args ?? false,
    responseMode: config.response_mode ?? 'query',
    tokenIn: new Set(config.bearer_token_param_type),
    tokenCookie: config.bearer_token_param_type.includes('cookie') && (config.bearer_token_cookie_name ?? '') !== '' ? config.bearer_token_cookie_name! : null,
    passwordIn: new Set(config.password_param_type),
    clientCredentialsIn: new Set(config.client_credentials_param_type),
    refreshTokenParam: refreshName === '' ? null : { name: refreshName, in: new Set(config.refresh_token_param_type) },
    tokenEndpoint: config.token_endpoint ?? null,
    cacheTokens: config.cache_tokens,
    tokensSalt: config.cache_tokens_salt ?? createHash('sha256').update(`${entity?.id ?? ''}\u0000${clientSecret ?? ''}\u0000${config.issuer}`).digest('base64url'),
    userinfoEndpoint: config.userinfo_endpoint ?? null,
    cacheUserInfo: config.cache_user_info,
    oauth2Consumers,
    introspectionEndpoint: config.introspection_endpoint ?? null,
    introspectionHint: config.introspection_hint,
    introspectJwt: config.introspect_jwt_tokens,
    cacheIntrospection: config.cache_introspection,
    cacheTtlS: config.cache_ttl,
    // Kong derives the default from the node's negative cache TTL, which may be unbounded; a bounded default
    // keeps a token the provider starts to accept later (clock skew, replication lag) from staying refused.
    negativeTtlS: Math.max(0, config.cache_ttl_neg ?? Math.min(config.cache_ttl, 300)),
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

export const nowS = () => Math.floor(Date.now() / 1000);
export const random = (bytes: number) => randomBytes(bytes).toString('base64url');
export const firstString = (v: unknown): string | null => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null);
