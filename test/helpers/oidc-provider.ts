/**
 * A real OpenID provider for tests (the oidc-provider package) on a claimed loopback port: discovery, JWKS,
 * the client_credentials grant issuing JWT access tokens for the resource `https://api.example` (opaque ones
 * for `urn:opaque`), RFC 7662 introspection, the authorization-code flow with its development login and
 * consent pages, and RP-initiated logout. `rotate()` replaces the provider's signing key by a new one (new kid)
 * while keeping its address; the server counts requests by path so tests can see what the gateway asked.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { freePort } from './ports.ts';

export const API = 'https://api.example';
export const OPAQUE = 'urn:opaque';

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
      grant_types: ['authorization_code', 'client_credentials'],
      response_types: ['code'],
      redirect_uris: c.redirect_uris ?? [],
      post_logout_redirect_uris: c.post_logout_redirect_uris ?? [],
      scope: 'openid read write admin',
    })),
    scopes: ['openid', 'read', 'write', 'admin'],
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
  return provider;
}

export async function startProvider(clients: readonly ClientSpec[]): Promise<TestProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const hits = new Map<string, number>();
  const first = await signingKey();
  let provider = build(issuer, first, clients);
  let handle = provider.callback();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    handle(req, res);
  });
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
