/**
 * key-auth: authenticates a request by an API key from a header or the query string, as Kong's plugin does
 * (same lookup order, messages, WWW-Authenticate header and upstream consumer headers).
 */
import type { CredentialMatch, Kong, PluginConfigData, PluginHandler } from '../../pdk/index.ts';
import { anonymousConf, authenticatedByAnother, useAnonymous, type AnonymousConf } from '../shared/anonymous.ts';
import { setConsumerHeaders } from '../shared/consumer-headers.ts';
import type { KeyAuthConfig } from './schema.ts';

export const ERR_NO_API_KEY = 'No API key found in request';
export const ERR_INVALID_CREDENTIAL = 'Unauthorized';
export const ERR_DUPLICATE_API_KEY = 'Duplicate API key found';

/** The configuration as the phases read it, computed once per snapshot. */
export interface KeyAuthConf extends AnonymousConf {
  readonly keyNames: readonly string[];
  readonly hideCredentials: boolean;
  readonly keyInHeader: boolean;
  readonly keyInQuery: boolean;
  readonly keyInBody: boolean;
  readonly runOnPreflight: boolean;
  /** Headers of every 401 (WWW-Authenticate). */
  readonly challenge: Readonly<Record<string, string>>;
  readonly credentials: ReadonlyMap<string, CredentialMatch>;
}

function prepare(config: KeyAuthConfig, data: PluginConfigData): KeyAuthConf {
  const realm = config.realm ?? null;
  return {
    keyNames: config.key_names,
    hideCredentials: config.hide_credentials,
    keyInHeader: config.key_in_header,
    keyInQuery: config.key_in_query,
    keyInBody: config.key_in_body,
    runOnPreflight: config.run_on_preflight,
    challenge: { 'WWW-Authenticate': realm === null ? 'Key' : `Key realm="${realm}"` },
    ...anonymousConf(config.anonymous, data),
    credentials: data.credentialsBy('keyauth_credentials', 'key'),
  };
}

/** A failure: the message of the 401 (or the status and message when it is not a 401). */
type Failure = string | { status: number; message: string };

/**
 * Finds the key (headers, then query, then body, per name in order) and its credential; returns the failure
 * instead when there is none. `body` is the parsed request body when `key_in_body` is on.
 */
function findCredential(kong: Kong, conf: KeyAuthConf, body: Record<string, unknown> | null): CredentialMatch | Failure {
  let key: string | undefined;
  for (const name of conf.keyNames) {
    let found: unknown;
    if (conf.keyInHeader) {
      const values = kong.request.getHeaderValues(name);
      if (values.length === 1) found = values[0];
      else if (values.length > 1) found = values;
    }
    if (found === undefined && conf.keyInQuery) found = kong.request.getQueryArg(name);
    if (found === undefined && body !== null) found = body[name];
    if (typeof found === 'string') {
      key = found;
      if (conf.hideCredentials) {
        kong.service.request.clearQueryArg(name);
        kong.service.request.clearHeader(name);
        if (body !== null && body[name] !== undefined) {
          delete body[name];
          kong.service.request.setBody(body);
        }
      }
      break;
    }
    if (Array.isArray(found)) return ERR_DUPLICATE_API_KEY;
    // A bare `?apikey` (no value) is not a key: look under the next name.
  }
  if (key === undefined || key === '') return ERR_NO_API_KEY;
  return conf.credentials.get(key) ?? ERR_INVALID_CREDENTIAL;
}

function decide(kong: Kong, conf: KeyAuthConf, result: CredentialMatch | Failure): void {
  if (typeof result !== 'string' && 'credential' in result) {
    kong.client.authenticate(result.consumer, result.credential);
    setConsumerHeaders(kong, result.consumer, result.credential.id, false);
    return;
  }
  if (conf.anonymous === null) {
    // Without `anonymous` every configured auth plugin must succeed ("logical AND").
    if (typeof result === 'string') kong.response.error(401, result, conf.challenge);
    else kong.response.error(result.status, result.message);
    return;
  }
  useAnonymous(kong, conf);
}

/**
 * Reads the body for `key_in_body`, then decides. A body that cannot be parsed (no or another content type,
 * bad JSON) is logged and not searched, as in Kong 3.x, so a key in a header or the query still works.
 */
async function accessWithBody(kong: Kong, conf: KeyAuthConf): Promise<void> {
  let body: Record<string, unknown> | null = null;
  try {
    const parsed = await kong.request.getBody();
    body = Array.isArray(parsed) ? null : parsed;
  } catch (err) {
    kong.log.info('Cannot process request body: ', err);
  }
  decide(kong, conf, findCredential(kong, conf, body));
}

function access(kong: Kong, conf: KeyAuthConf): void | Promise<void> {
  if (!conf.runOnPreflight && kong.request.getMethod() === 'OPTIONS') return;
  if (authenticatedByAnother(kong, conf)) return;
  if (conf.keyInBody) return accessWithBody(kong, conf);
  decide(kong, conf, findCredential(kong, conf, null));
}

export const keyAuthHandler: PluginHandler<KeyAuthConf, KeyAuthConfig> = {
  name: 'key-auth',
  priority: 1250,
  version: '3.10.0',
  prepare,
  access,
};
