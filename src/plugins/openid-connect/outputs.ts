/**
 * What a successful authentication hands on, as Kong's `upstream_*` and `downstream_*` fields say: tokens,
 * claims, the introspection answer and the user info answer in headers of the upstream request and of the
 * response to the client, and the authenticated groups the acl plugin reads. As in Kong, a JSON answer goes in a
 * header as base64 of its JSON text, and the user info endpoint is asked (cached as `cache_user_info` says) only
 * when a user info header is configured and the user info method did not already answer.
 */
import type { Kong } from '../../pdk/index.ts';
import { claimAt, claimValues, headerValue, type Claims } from './claims.ts';
import type { Authenticated, ClaimHeaders, OidcConf, TokenHeader } from './conf.ts';
import { ProviderUnavailable } from './http.ts';
import { userinfo } from './userinfo.ts';

/** Response headers collected in access, added in header_filter (so they reach proxied and plugin answers alike). */
export const DOWNSTREAM_KEY = 'downstreamHeaders';

const encodeJson = (value: Readonly<Record<string, unknown>>) => Buffer.from(JSON.stringify(value)).toString('base64');

const tokenValue = (h: TokenHeader, token: string) => (h.bearer ? `Bearer ${token}` : token);

function claimPairs(headers: ClaimHeaders, claims: Claims): [string, string | null][] {
  return headers.map((h) => [h.name, headerValue(claimAt(claims, h.claim))]);
}

/** The user info answer for the access token, or null (no token, refused, provider down: the header is left out). */
async function userInfoFor(kong: Kong, conf: OidcConf, auth: Authenticated): Promise<Claims | null> {
  if (auth.userInfo !== undefined && auth.userInfo !== null) return auth.userInfo;
  if (auth.accessToken === null) return null;
  try {
    const outcome = await userinfo(kong, conf, auth.accessToken);
    return outcome.ok ? outcome.claims : null;
  } catch (err) {
    if (!(err instanceof ProviderUnavailable)) throw err;
    kong.log.warn('openid-connect: user info for the headers: ', err.message);
    return null;
  }
}

/** Sets the upstream headers and collects the downstream ones; the groups go to `kong.ctx.shared`. */
export async function handOn(kong: Kong, conf: OidcConf, auth: Authenticated): Promise<void> {
  const upstream = kong.service.request;
  for (const [name, value] of claimPairs(conf.upstreamHeaders, auth.claims)) {
    if (value !== null) upstream.setHeader(name, value);
    else upstream.clearHeader(name);
  }
  const refreshToken = auth.refreshToken ?? null;
  // As in Kong, hiding the client's credentials does not keep the access token from the upstream: it goes in
  // `upstream_access_token_header` (unset that to keep it back).
  if (conf.accessTokenHeader !== null && auth.accessToken !== null) upstream.setHeader(conf.accessTokenHeader.name, tokenValue(conf.accessTokenHeader, auth.accessToken));
  if (conf.idTokenHeader !== null && auth.idToken !== null) upstream.setHeader(conf.idTokenHeader.name, tokenValue(conf.idTokenHeader, auth.idToken));
  if (conf.refreshTokenHeader !== null && refreshToken !== null) upstream.setHeader(conf.refreshTokenHeader.name, tokenValue(conf.refreshTokenHeader, refreshToken));
  const introspection = auth.introspection ?? null;
  if (conf.introspectionHeader !== null && introspection !== null) upstream.setHeader(conf.introspectionHeader, encodeJson(introspection));
  const wantsUserInfo = conf.userInfoHeader !== null || conf.downstream.userInfo !== null;
  const info = wantsUserInfo ? await userInfoFor(kong, conf, auth) : null;
  if (conf.userInfoHeader !== null && info !== null) upstream.setHeader(conf.userInfoHeader, encodeJson(info));

  if (conf.groupsClaim !== null) {
    const groups = [...claimValues(claimAt(auth.claims, conf.groupsClaim))];
    if (groups.length > 0) kong.ctx.shared.authenticated_groups = groups;
  }

  const d = conf.downstream;
  const out: [string, string][] = [];
  for (const [name, value] of claimPairs(d.claims, auth.claims)) if (value !== null) out.push([name, value]);
  if (d.accessToken !== null && auth.accessToken !== null) out.push([d.accessToken.name, tokenValue(d.accessToken, auth.accessToken)]);
  if (d.idToken !== null && auth.idToken !== null) out.push([d.idToken.name, tokenValue(d.idToken, auth.idToken)]);
  if (d.refreshToken !== null && refreshToken !== null) out.push([d.refreshToken.name, tokenValue(d.refreshToken, refreshToken)]);
  if (d.introspection !== null && introspection !== null) out.push([d.introspection, encodeJson(introspection)]);
  if (d.userInfo !== null && info !== null) out.push([d.userInfo, encodeJson(info)]);
  if (out.length > 0) kong.ctx.plugin[DOWNSTREAM_KEY] = out;
}

/** header_filter: the collected response headers, added next to whatever the upstream answered. */
export function addDownstreamHeaders(kong: Kong): void {
  const out = kong.ctx.plugin[DOWNSTREAM_KEY];
  if (!Array.isArray(out)) return;
  for (const pair of out as [string, string][]) kong.response.addHeader(pair[0], pair[1]);
}
