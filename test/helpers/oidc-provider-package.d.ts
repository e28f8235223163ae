// The few parts of the oidc-provider package the tests use (it ships no type declarations).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** A stored artifact (grant, token): saving it answers its value. */
  interface Model {
    save(): Promise<string>;
  }
  interface GrantModel extends Model {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
  }
  interface AccessTokenModel extends Model {
    resourceServer: unknown;
    readonly expiration: number;
  }
  /** The client of a token request, as oidc-provider hands it to a grant handler. */
  export interface GrantClient {
    readonly clientId: string;
  }
  export interface GrantContext {
    oidc: { params: Record<string, string | undefined>; client: GrantClient };
    status: number;
    body: unknown;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    proxy: boolean;
    registerGrantType(name: string, handler: (ctx: GrantContext) => Promise<void>, params?: readonly string[]): void;
    Grant: new (fields: { accountId: string; clientId: string }) => GrantModel;
    AccessToken: new (fields: { accountId: string; client: GrantClient; grantId: string; gty: string; scope: string }) => AccessTokenModel;
    RefreshToken: new (fields: { accountId: string; client: GrantClient; grantId: string; gty: string; scope: string; resource?: string }) => Model;
    ResourceServer: new (identifier: string, info: Record<string, unknown>) => unknown;
  }
}
