/**
 * key-auth: authenticates a request by an API key from a header or the query string, as Kong's plugin does
 * (same lookup order, messages, WWW-Authenticate header and upstream consumer headers).
 */
import type { CredentialMatch, PluginConfigData, PluginConsumer, PluginContext, PluginHandler } from '../../pdk/index.ts';

export const ERR_NO_API_KEY = 'No API key found in request';
export const ERR_INVALID_CREDENTIAL = 'Unauthorized';
export const ERR_DUPLICATE_API_KEY = 'Duplicate API key found';

/** The configuration as the phases read it, computed once per snapshot. */
export interface KeyAuthConf {
  readonly keyNames: readonly string[];
  readonly hideCredentials: boolean;
  readonly keyInHeader: boolean;
  readonly keyInQuery: boolean;
  readonly runOnPreflight: boolean;
  /** Headers of every 401 (WWW-Authenticate). */
  readonly challenge: Readonly<Record<string, string>>;
  /** `anonymous` as configured (null: failures answer 401). */
  readonly anonymous: string | null;
  /** The anonymous consumer, resolved at config time; null when configured but missing (a 500, as Kong). */
  readonly anonymousConsumer: PluginConsumer | null;
  readonly credentials: ReadonlyMap<string, CredentialMatch>;
}

function prepare(config: Readonly<Record<string, unknown>>, data: PluginConfigData): KeyAuthConf {
  const realm = typeof config.realm === 'string' ? config.realm : null;
  const anonymous = typeof config.anonymous === 'string' && config.anonymous !== '' ? config.anonymous : null;
  return {
    keyNames: (config.key_names as string[] | undefined) ?? ['apikey'],
    hideCredentials: config.hide_credentials === true,
    keyInHeader: config.key_in_header !== false,
    keyInQuery: config.key_in_query !== false,
    runOnPreflight: config.run_on_preflight !== false,
    challenge: { 'WWW-Authenticate': realm === null ? 'Key' : `Key realm="${realm}"` },
    anonymous,
    anonymousConsumer: anonymous === null ? null : (data.consumer(anonymous) ?? null),
    credentials: data.credentialsBy('keyauth_credentials', 'key'),
  };
}

/** Upstream headers naming the consumer, set when known and cleared otherwise so clients cannot forge them. */
function setConsumerHeaders(kong: PluginContext, consumer: PluginConsumer, match: CredentialMatch | null): void {
  kong.authenticate(consumer, match === null ? null : match.credential);
  kong.setUpstreamHeader('X-Consumer-ID', consumer.id);
  if (consumer.custom_id !== null) kong.setUpstreamHeader('X-Consumer-Custom-ID', consumer.custom_id);
  else kong.clearUpstreamHeader('X-Consumer-Custom-ID');
  if (consumer.username !== null) kong.setUpstreamHeader('X-Consumer-Username', consumer.username);
  else kong.clearUpstreamHeader('X-Consumer-Username');
  if (match !== null) {
    kong.setUpstreamHeader('X-Credential-Identifier', match.credential.id);
    kong.clearUpstreamHeader('X-Anonymous-Consumer');
  } else {
    kong.clearUpstreamHeader('X-Credential-Identifier');
    kong.setUpstreamHeader('X-Anonymous-Consumer', 'true');
  }
}

/** Finds the key and its credential; returns the failure message instead when there is none. */
function authenticate(kong: PluginContext, conf: KeyAuthConf): CredentialMatch | string {
  let key: string | undefined;
  for (const name of conf.keyNames) {
    let found: string | true | (string | true)[] | undefined;
    if (conf.keyInHeader) {
      const values = kong.getHeaders(name);
      if (values.length === 1) found = values[0];
      else if (values.length > 1) found = values;
    }
    if (found === undefined && conf.keyInQuery) found = kong.getQueryArg(name);
    if (typeof found === 'string') {
      key = found;
      if (conf.hideCredentials) {
        kong.clearUpstreamQueryArg(name);
        kong.clearUpstreamHeader(name);
      }
      break;
    }
    if (Array.isArray(found)) return ERR_DUPLICATE_API_KEY;
    // A bare `?apikey` (no value) is not a key: look under the next name.
  }
  if (key === undefined || key === '') return ERR_NO_API_KEY;
  return conf.credentials.get(key) ?? ERR_INVALID_CREDENTIAL;
}

function access(kong: PluginContext, conf: KeyAuthConf): void {
  if (!conf.runOnPreflight && kong.getMethod() === 'OPTIONS') return;
  if (conf.anonymous === null) {
    // Without `anonymous` every configured auth plugin must succeed ("logical AND").
    const result = authenticate(kong, conf);
    if (typeof result === 'string') kong.error(401, result, conf.challenge);
    else setConsumerHeaders(kong, result.consumer, result);
    return;
  }
  // With `anonymous`, any auth plugin may succeed ("logical OR"): one that already did wins.
  if (kong.getCredential() !== null) return;
  const result = authenticate(kong, conf);
  if (typeof result !== 'string') {
    setConsumerHeaders(kong, result.consumer, result);
    return;
  }
  if (conf.anonymousConsumer === null) {
    kong.error(500, `anonymous consumer ${conf.anonymous} is configured but doesn't exist`);
    return;
  }
  setConsumerHeaders(kong, conf.anonymousConsumer, null);
}

export const keyAuthHandler: PluginHandler<KeyAuthConf> = {
  name: 'key-auth',
  priority: 1250,
  prepare,
  access,
};
