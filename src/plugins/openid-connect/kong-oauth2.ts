/**
 * The `kong_oauth2` method: an access token issued by the gateway's own oauth2 plugin (its `oauth2_tokens`,
 * read through the node-wide cache as the oauth2 plugin reads them) authenticates the request as that
 * token's application's consumer. As the oauth2 plugin requires, the token must not have expired and must be
 * global or issued for the service the request is for.
 */
import type { Kong } from '../../pdk/index.ts';
import { loadToken, type StoredToken } from '../oauth2/tokens.ts';
import type { Claims } from './claims.ts';
import { refuse, type OidcConf, type Outcome } from './conf.ts';

/** The outcome for a Kong oauth2 token, or null when the token is not one (another method may know it). */
export async function kongOauth2(kong: Kong, conf: OidcConf, token: string): Promise<Outcome | null> {
  let stored: StoredToken | null;
  try {
    stored = await loadToken(kong, token);
  } catch (err) {
    kong.log.warn('openid-connect: oauth2 tokens could not be read: ', (err as Error).message);
    return null;
  }
  if (stored === null) return null;
  const now = Date.now() / 1000;
  if (stored.expires_in > 0 && now - stored.created_at > stored.expires_in) return refuse(401, 'token has expired');
  const serviceId = (kong.router.getService()?.id as string | undefined) ?? null;
  const tokenService = stored.service?.id ?? null;
  if (tokenService !== null && tokenService !== serviceId) return refuse(401, 'token was issued for another service');
  const app = conf.oauth2Consumers.get(stored.credential.id);
  if (app === undefined) return refuse(401, 'the token\'s application does not exist');
  const claims: Record<string, unknown> = { client_id: app.clientId };
  if (typeof stored.scope === 'string') claims.scope = stored.scope;
  if (typeof stored.authenticated_userid === 'string') claims.sub = stored.authenticated_userid;
  if (stored.expires_in > 0) claims.exp = stored.created_at + stored.expires_in;
  return { ok: true, claims: claims as Claims, accessToken: token, idToken: null, method: 'kong_oauth2', consumer: app.consumer };
}
