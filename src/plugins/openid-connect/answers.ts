/** After authentication: required claims, the consumer, headers, the login action; and Kong's 401/403 answers. */
import type { Kong, PluginConsumer, PluginCredential } from '../../pdk/index.ts';
import { useAnonymous } from '../shared/anonymous.ts';
import { setConsumerHeaders } from '../shared/consumer-headers.ts';
import { claimAt, claimValues, satisfies, type Claims } from './claims.ts';
import { refuse, type Authenticated, type OidcConf, type Refused } from './conf.ts';
import { loginAction } from './login-action.ts';
import { handOn } from './outputs.ts';
import { readCookie } from './session.ts';
import { withoutCookie } from './tokens.ts';

function authorize(conf: OidcConf, claims: Claims): Refused | null {
  for (const check of conf.checks) {
    if (!satisfies(check.required, claimValues(claimAt(claims, check.claim)))) return refuse(403, `required ${check.what} not found`, 'insufficient_scope');
  }
  return null;
}

function mapConsumer(conf: OidcConf, claims: Claims, named: PluginConsumer | null): PluginConsumer | null | Refused {
  if (conf.consumerClaim === null) return named;
  const value = claimAt(claims, conf.consumerClaim);
  const name = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
  if (name !== null) {
    for (const by of conf.consumerBy) {
      const consumer = conf.consumers[by].get(name);
      if (consumer !== undefined) return consumer;
    }
  }
  return conf.consumerOptional ? null : refuse(401, name === null ? 'consumer claim not found' : 'consumer not found', null);
}

/**
 * A successful authentication: required claims (403), the consumer, credentials hidden, headers and groups
 * handed on, then `login_action`.
 */
export async function accept(kong: Kong, conf: OidcConf, auth: Authenticated, token: string | null): Promise<void> {
  const forbidden = authorize(conf, auth.claims);
  if (forbidden !== null) return respond(kong, conf, forbidden);
  const consumer = mapConsumer(conf, auth.claims, auth.consumer ?? null);
  if (consumer !== null && 'ok' in consumer) return failed(kong, conf, consumer);
  const credentialValue = conf.credentialClaim === null ? undefined : claimAt(auth.claims, conf.credentialClaim);
  const credentialId = typeof credentialValue === 'string' ? credentialValue : typeof credentialValue === 'number' ? String(credentialValue) : null;
  const credential: PluginCredential | null = credentialId === null ? null : Object.freeze({ id: credentialId, consumer: consumer === null ? null : { id: consumer.id } });
  if (consumer !== null || credential !== null) kong.client.authenticate(consumer, credential);
  setConsumerHeaders(kong, consumer, credentialId, false);
  const upstream = kong.service.request;
  if (conf.hideCredentials && token !== null) {
    upstream.clearHeader('authorization');
    if (kong.request.getQueryArg('access_token') !== undefined) upstream.clearQueryArg('access_token');
    if (conf.tokenCookie !== null) {
      const headers = kong.request.getHeaderValues('cookie');
      if (readCookie(headers, conf.tokenCookie) !== undefined) {
        const rest = withoutCookie(headers, conf.tokenCookie);
        if (rest === null) upstream.clearHeader('cookie');
        else upstream.setHeader('cookie', rest);
      }
    }
  }
  await handOn(kong, conf, auth);
  loginAction(kong, conf, auth);
}

/** The session cookie a login just made (`kong.ctx.plugin`), set in header_filter unless the request is refused. */
export const NEW_SESSION_KEY = 'newSession';

export function respond(kong: Kong, conf: OidcConf, r: Refused, extra: Record<string, string | readonly string[]> = {}): void {
  delete kong.ctx.plugin[NEW_SESSION_KEY];
  const base = r.status === 403 ? conf.forbiddenMessage : r.status === 401 ? conf.unauthorizedMessage : 'An unexpected error occurred';
  const message = conf.displayErrors ? `${base} (${r.reason})` : base;
  const headers: Record<string, string | readonly string[]> = { ...extra };
  if (r.status !== 500) {
    let challenge = `Bearer realm="${kong.request.getHost()}"`;
    if (r.error !== null) challenge += `, error="${r.error}"`;
    if (r.error !== null && conf.displayErrors) challenge += `, error_description="${r.reason.replace(/["\\]/g, '')}"`;
    headers['WWW-Authenticate'] = challenge;
  }
  kong.response.error(r.status, message, headers);
}

/** Authentication failed: the anonymous consumer when configured, else the refusal. */
export function failed(kong: Kong, conf: OidcConf, r: Refused): void {
  if (r.status !== 401 || conf.anonymous === null) return respond(kong, conf, r);
  useAnonymous(kong, conf);
}
