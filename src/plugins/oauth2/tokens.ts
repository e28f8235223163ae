/**
 * Tokens and codes in the database (`kong.db`), and token lookups through the node-wide cache so that a
 * token is read from the database once, not per request. Cache keys are a digest of the token (the token
 * itself never becomes a key). Cached entries live briefly, so a token deleted through the Admin API stops
 * working within `TOKEN_CACHE_MS` on every worker; tokens the plugin itself replaces or deletes are removed
 * from the cache at once. An unknown token is remembered as unknown for as long.
 */
import { createHash } from 'node:crypto';
import type { EntityRecord, Kong, SharedCache } from '../../pdk/index.ts';
import type { OAuth2Client, OAuth2Conf } from './conf.ts';
import { randomToken } from './protocol.ts';

/** How long a token found (or not found) in the database is trusted from the cache. */
export const TOKEN_CACHE_MS = 5_000;
/** The cached value of a token the database does not have (JSON of a row is never this). */
const MISSING = '-';

/** A token as stored (`oauth2_tokens`). */
export interface StoredToken {
  readonly id: string;
  readonly access_token: string;
  readonly refresh_token?: string | null;
  readonly expires_in: number;
  readonly created_at: number;
  readonly scope?: string | null;
  readonly authenticated_userid?: string | null;
  readonly service?: { readonly id: string } | null;
  readonly credential: { readonly id: string };
  /** Seconds until the row itself expires (refresh_token_ttl), when it does. */
  readonly ttl?: number | null;
}

function cacheOf(kong: Kong): SharedCache | null {
  try {
    return kong.cache;
  } catch {
    return null;
  }
}

export function tokenCacheKey(accessToken: string): string {
  return `oauth2_tokens:${createHash('sha1').update(accessToken).digest('hex')}`;
}

/** The token with this access token (cache, then database), or null. */
export async function loadToken(kong: Kong, accessToken: string): Promise<StoredToken | null> {
  const cache = cacheOf(kong);
  const key = tokenCacheKey(accessToken);
  const cached = cache === null ? undefined : await cache.get(key);
  if (typeof cached === 'string') return cached === MISSING ? null : (JSON.parse(cached) as StoredToken);
  const row = (await kong.db.selectBy('oauth2_tokens', 'access_token', accessToken)) as StoredToken | null;
  if (cache !== null) {
    // Misses are remembered too, so a client repeating an unknown token does not reach the database each time.
    const rowLeftMs = row !== null && typeof row.ttl === 'number' && row.ttl > 0 ? row.ttl * 1000 : Infinity;
    await cache.set(key, row === null ? MISSING : JSON.stringify(row), Math.max(1, Math.min(TOKEN_CACHE_MS, rowLeftMs)));
  }
  return row;
}

export async function forgetToken(kong: Kong, accessToken: string): Promise<void> {
  await cacheOf(kong)?.delete(tokenCacheKey(accessToken));
}

/** What a token endpoint answers on success. */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in?: number;
  refresh_token?: string;
  state?: unknown;
}

/**
 * Issues a token for `client` (Kong's generate_token): a new row, or with `reuse_refresh_token` on a refresh
 * the same row with a new access token. Rows live `refresh_token_ttl` seconds when tokens expire at all.
 */
export async function generateToken(
  kong: Kong,
  conf: OAuth2Conf,
  client: OAuth2Client,
  authenticatedUserid: unknown,
  scope: string | null | undefined,
  state: unknown,
  disableRefresh: boolean,
  existing: StoredToken | null = null,
): Promise<TokenResponse> {
  const expiration = conf.config.token_expiration;
  const refreshTtl = conf.config.refresh_token_ttl > 0 ? conf.config.refresh_token_ttl : undefined;
  const ttl = expiration > 0 ? refreshTtl : undefined;
  const service = conf.config.global_credentials ? null : (kong.router.getService()?.id as string | undefined) ?? null;
  let token: EntityRecord;
  let refreshToken: string | undefined;
  if (existing !== null && conf.config.reuse_refresh_token) {
    const updated = await kong.db.update(
      'oauth2_tokens',
      existing.id,
      { access_token: randomToken(), expires_in: expiration, created_at: Math.floor(Date.now() / 1000) },
      { ttl },
    );
    if (updated === null) throw new Error('the token being refreshed has gone');
    await forgetToken(kong, existing.access_token);
    token = updated;
    refreshToken = typeof updated.refresh_token === 'string' ? updated.refresh_token : undefined;
  } else {
    if (!disableRefresh && expiration > 0) refreshToken = randomToken();
    const row: Record<string, unknown> = {
      credential: { id: client.id },
      expires_in: expiration,
      service: service === null ? null : { id: service },
    };
    if (typeof authenticatedUserid === 'string') row.authenticated_userid = authenticatedUserid;
    if (refreshToken !== undefined) row.refresh_token = refreshToken;
    if (typeof scope === 'string') row.scope = scope;
    token = await kong.db.insert('oauth2_tokens', row, { ttl });
  }
  const response: TokenResponse = { access_token: String(token.access_token), token_type: 'bearer' };
  if (expiration > 0) response.expires_in = Number(token.expires_in);
  if (refreshToken !== undefined) response.refresh_token = refreshToken;
  if (state !== undefined && state !== null) response.state = state;
  return response;
}
