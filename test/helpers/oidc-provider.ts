/**
 * A real OpenID provider for tests (the oidc-provider package) on a claimed loopback port: discovery, JWKS,
 * the client_credentials grant issuing JWT access tokens for the resource `https://api.example` (opaque ones
 * for `urn:opaque`), RFC 7662 introspection, the authorization-code flow with its development login and
 * consent pages, RP-initiated logout, the userinfo endpoint, and the resource-owner password grant (registered
 * here, since oidc-provider leaves it out): any username with the password `USER_PASSWORD` gets a JWT access token
 * for the API and a refresh token, or, asking only for `openid`, an opaque token the userinfo endpoint accepts.
 * It may serve HTTPS with a given certificate. `rotate()` replaces the provider's signing key by a new one (new
 * kid) while keeping its address; the server counts requests by path so tests can see what the gateway asked.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type GrantContext } from 'oidc-provider';
import { freePort } from './ports.ts';

export const API = 'https://api.example';
export const OPAQUE = 'urn:opaque';
/** The one password the test provider's password grant accepts (for every username). */
export const USER_PASSWORD = 'correct horse battery staple';

export interface TestProvider {
  readonly issuer: string;
  readonly port: number;
  /** The private signing key now in use (tests sign tokens of their own with it). */
  key: JWK;
  /** Requests seen, by path (`/jwks`, `/token`, `/token/introspection`, ...). */
  readonly hits: Map<string, number>;
  rotate(): Promise<void>;
  close(): Promise<void>;
}

export interface ClientSpec {
  readonly client_id: string;
  readonly client_secret: string;
  readonly redirect_uris?: readonly string[];
  readonly post_logout_redirect_uris?: readonly string[];
}

let keyCount = 0;

async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `test-key-${++keyCount}-${Date.now()}`, alg: 'RS256', use: 'sig' };
}

function build(issuer: string, key: JWK, clients: readonly ClientSpec[]): Provider {
  const provider = new Provider(issuer, {
    jwks: { keys: [key] },
    clients: clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      grant_types: ['authorization_code', 'client_credentials', 'password', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: c.redirect_uris ?? [],
      post_logout_redirect_uris: c.post_logout_redirect_uris ?? [],
      scope: 'openid read write admin',
    })),
    // offline_access is what turns oidc-provider's refresh_token grant on.
    scopes: ['openid', 'offline_access', 'read', 'write', 'admin'],
    cookies: { keys: ['test-cookie-key'] },
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Client-credentials tokens are for the API unless a resource is asked for; the code flow's are not.
        defaultResource: (ctx: { oidc: { params?: { grant_type?: string } } }, _client: unknown, oneOf?: string) =>
          oneOf ?? (ctx.oidc.params?.grant_type === 'client_credentials' ? API : undefined),
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) =>
          resource === OPAQUE
            ? { scope: 'read write admin', accessTokenFormat: 'opaque' }
            : { scope: 'read write admin', audience: resource, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } },
      },
    },
  });
  provider.registerGrantType('password', passwordGrant(provider), ['username', 'password', 'scope']);
  return provider;
}

/** RFC 6749 4.3 as a test provider needs it: tokens for an account, no login page. */
function passwordGrant(provider: Provider) {
  return async (ctx: GrantContext) => {
    const { username, password } = ctx.oidc.params;
    if (username === undefined || username === '' || password !== USER_PASSWORD) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_grant', error_description: 'invalid credentials provided' };
      return;
    }
    const requested = (ctx.oidc.params.scope ?? 'openid').split(' ').filter((s) => s !== '');
    const forApi = requested.some((s) => s !== 'openid');
    const grant = new provider.Grant({ accountId: username, clientId: ctx.oidc.client.clientId });
    grant.addOIDCScope('openid');
    if (forApi) grant.addResourceScope(API, requested.filter((s) => s !== 'openid').join(' '));
    const grantId = await grant.save();
    const client = ctx.oidc.client;
    const scope = forApi ? requested.filter((s) => s !== 'openid').join(' ') : 'openid';
    const at = new provider.AccessToken({ accountId: username, client, grantId, gty: 'password', scope });
    if (forApi) {
      at.resourceServer = new provider.ResourceServer(API, { scope: 'read write admin', audience: API, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } });
    }
    const accessToken = await at.save();
    const rt = new provider.RefreshToken({ accountId: username, client, grantId, gty: 'password', scope: requested.join(' '), ...(forApi ? { resource: API } : {}) });
    const refreshToken = await rt.save();
    ctx.body = { access_token: accessToken, token_type: 'Bearer', expires_in: at.expiration, refresh_token: refreshToken, scope };
  };
}

/** `tls`: serve HTTPS with this key and certificate (the issuer is then an https URL). */
export async function startProvider(clients: readonly ClientSpec[], options: { tls?: { key: string; cert: string } } = {}): Promise<TestProvider> {
  const port = await freePort();
  const issuer = `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
  const hits = new Map<string, number>();
  const first = await signingKey();
  let provider = build(issuer, first, clients);
  let handle = provider.callback();
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    handle(req, res);
  };
  const server: Server = options.tls === undefined ? createServer(listener) : createTlsServer(options.tls, listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const state: TestProvider = {
    issuer,
    port: (server.address() as AddressInfo).port,
    key: first,
    hits,
    async rotate() {
      state.key = await signingKey();
      provider = build(issuer, state.key, clients);
      handle = provider.callback();
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  return state;
}
