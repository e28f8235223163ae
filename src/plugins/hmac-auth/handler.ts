/**
 * hmac-auth: authenticates a request by an HMAC signature over some of its headers (and optionally a SHA-256
 * Digest of its body) made with a consumer's shared secret, as Kong's plugin does: `hmac username="",
 * algorithm="", headers="", signature=""` in Proxy-Authorization or Authorization, a Date or X-Date within
 * `clock_skew`, Kong's 401 messages and `WWW-Authenticate: hmac` challenge, `anonymous`, `hide_credentials`,
 * and the upstream consumer headers (the credential identifier is its username).
 */
import type { CredentialMatch, Kong, PluginConfigData, PluginConsumer, PluginHandler } from '../../pdk/index.ts';
import { anonymousConf, authenticatedByAnother, useAnonymous, type AnonymousConf } from '../shared/anonymous.ts';
import { setConsumerHeaders } from '../shared/consumer-headers.ts';
import type { HmacAlgorithm, HmacAuthConfig } from './schema.ts';
import { bodyDigest, hmacDigest, parseHmacHeader, parseHttpDate, signatureMatches, signingString, type HmacParams } from './signature.ts';

export const ERR_UNAUTHORIZED = 'Unauthorized';
export const ERR_SIGNATURE_NOT_VALID = 'HMAC signature cannot be verified';
export const ERR_SIGNATURE_NOT_SAME = 'HMAC signature does not match';
export const ERR_DATE = 'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication';

/** A credential as the phases need it: its secret, and a copy without it for later plugins and logs. */
export interface HmacAuthEntry {
  readonly credential: { readonly id: string; readonly username: string; readonly consumer: { readonly id: string } };
  readonly consumer: PluginConsumer;
  readonly secret: string | null;
}

/** The configuration as the phases read it, computed once per snapshot. */
export interface HmacAuthConf extends AnonymousConf {
  readonly hideCredentials: boolean;
  readonly clockSkew: number;
  readonly validateRequestBody: boolean;
  readonly enforceHeaders: readonly string[];
  readonly algorithms: ReadonlySet<string>;
  /** Headers of every 401 (WWW-Authenticate). */
  readonly challenge: Readonly<Record<string, string>>;
  readonly credentials: ReadonlyMap<string, HmacAuthEntry>;
}

/** One index per snapshot, whichever hmac-auth plugin entity asks first. */
const indexes = new WeakMap<ReadonlyMap<string, CredentialMatch>, ReadonlyMap<string, HmacAuthEntry>>();

function credentialIndex(data: PluginConfigData): ReadonlyMap<string, HmacAuthEntry> {
  const byUsername = data.credentialsBy('hmacauth_credentials', 'username');
  let index = indexes.get(byUsername);
  if (index === undefined) {
    const built = new Map<string, HmacAuthEntry>();
    for (const [username, match] of byUsername) {
      const secret = (match.credential as unknown as Readonly<Record<string, unknown>>).secret;
      built.set(username, {
        // What kong.client.getCredential() shows later plugins and the log serializer: never the secret.
        credential: Object.freeze({ id: match.credential.id, username, consumer: { id: match.consumer.id } }),
        consumer: match.consumer,
        secret: typeof secret === 'string' ? secret : null,
      });
    }
    index = built;
    indexes.set(byUsername, index);
  }
  return index;
}

function prepare(config: HmacAuthConfig, data: PluginConfigData): HmacAuthConf {
  const realm = config.realm ?? null;
  return {
    hideCredentials: config.hide_credentials,
    clockSkew: config.clock_skew ?? 300,
    validateRequestBody: config.validate_request_body,
    enforceHeaders: config.enforce_headers ?? [],
    algorithms: new Set(config.algorithms ?? []),
    challenge: { 'WWW-Authenticate': realm === null ? 'hmac' : `hmac realm="${realm}"` },
    ...anonymousConf(config.anonymous, data),
    credentials: credentialIndex(data),
  };
}

function withinClockSkew(kong: Kong, header: string, skew: number): boolean {
  const value = kong.request.getHeader(header);
  if (value === undefined) return false;
  const sent = parseHttpDate(value);
  if (sent === null) return false;
  return Math.abs(Math.floor(Date.now() / 1000) - sent) <= skew;
}

/** Why a request failed: the message of its 401. */
interface Failure {
  readonly failure: string;
}
const fail = (failure: string): Failure => ({ failure });

/** Kong's parameter checks: every enforced header signed, and an accepted algorithm. */
function paramsValid(params: HmacParams, conf: HmacAuthConf): boolean {
  for (const name of conf.enforceHeaders) if (!params.headers.includes(name)) return false;
  return conf.algorithms.has(params.algorithm);
}

/**
 * Whether the body matches the Digest header; without one, only an empty body passes. A body that cannot be
 * read (past the size limit, the client gone) does not match.
 */
async function bodyMatches(kong: Kong): Promise<boolean> {
  let body: Buffer;
  try {
    body = await kong.request.getRawBodyBytes();
  } catch (err) {
    kong.log.debug('hmac-auth: cannot read the request body: ', err);
    return false;
  }
  const sent = kong.request.getHeader('digest');
  if (sent === undefined) return body.length === 0;
  return bodyDigest(body) === sent;
}

/** The credential the request proves, or why it proves none; a promise when the body must be checked. */
function authenticate(kong: Kong, conf: HmacAuthConf): HmacAuthEntry | Failure | Promise<HmacAuthEntry | Failure> {
  const authorization = kong.request.getHeader('authorization');
  const proxyAuthorization = kong.request.getHeader('proxy-authorization');
  if (authorization === undefined && proxyAuthorization === undefined) return fail(ERR_UNAUTHORIZED);
  if (!withinClockSkew(kong, 'x-date', conf.clockSkew) && !withinClockSkew(kong, 'date', conf.clockSkew)) return fail(ERR_DATE);

  let params = parseHmacHeader(proxyAuthorization);
  if (params === null) {
    params = parseHmacHeader(authorization);
    if (conf.hideCredentials) kong.service.request.clearHeader('authorization');
  } else if (conf.hideCredentials) {
    kong.service.request.clearHeader('proxy-authorization');
  }
  if (params === null || !paramsValid(params, conf)) return fail(ERR_SIGNATURE_NOT_VALID);
  const entry = conf.credentials.get(params.username);
  if (entry === undefined || entry.secret === null) return fail(ERR_SIGNATURE_NOT_VALID);

  const request = kong.request;
  const expected = hmacDigest(params.algorithm as HmacAlgorithm, entry.secret, signingString(params.headers, {
    header: (name) => request.getHeader(name),
    method: request.getMethod(),
    pathWithQuery: request.getPathWithQuery(),
    httpVersion: request.getHttpVersion(),
  }));
  if (!signatureMatches(expected, params.signature)) return fail(ERR_SIGNATURE_NOT_SAME);
  if (!conf.validateRequestBody) return entry;
  return bodyMatches(kong).then((ok) => (ok ? entry : fail(ERR_SIGNATURE_NOT_SAME)));
}

function decide(kong: Kong, conf: HmacAuthConf, result: HmacAuthEntry | Failure): void {
  if (!('failure' in result)) {
    kong.client.authenticate(result.consumer, result.credential);
    setConsumerHeaders(kong, result.consumer, result.credential.username, false);
    return;
  }
  if (conf.anonymous === null) {
    kong.log.debug('hmac-auth: ', result.failure);
    kong.response.error(401, result.failure, conf.challenge);
    return;
  }
  useAnonymous(kong, conf);
}

function access(kong: Kong, conf: HmacAuthConf): void | Promise<void> {
  if (authenticatedByAnother(kong, conf)) return;
  const result = authenticate(kong, conf);
  if (result instanceof Promise) return result.then((r) => decide(kong, conf, r));
  decide(kong, conf, result);
}

export const hmacAuthHandler: PluginHandler<HmacAuthConf, HmacAuthConfig> = {
  name: 'hmac-auth',
  priority: 1030,
  version: '3.10.0',
  prepare,
  access,
};
