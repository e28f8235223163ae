/**
 * ldap-auth: authenticates a request by binding to an LDAP server as the user of an
 * `Authorization: ldap base64(user:password)` header (or Proxy-Authorization), as Kong's plugin does: Kong's
 * 401 with `WWW-Authenticate: LDAP`, a 500 when the server cannot be reached, `anonymous`,
 * `hide_credentials`, and `X-Credential-Identifier` (the user) upstream. A bind's outcome is remembered in the
 * node-wide cache for `cache_ttl` seconds under a key hashing the password, so repeated requests (and every
 * worker) skip the server.
 */
import type { Kong, PluginConfigData, PluginCredential, PluginHandler } from '../../pdk/index.ts';
import { anonymousConf, authenticatedByAnother, useAnonymous, type AnonymousConf } from '../shared/anonymous.ts';
import { setConsumerHeaders } from '../shared/consumer-headers.ts';
import { bindDn, cacheKey, headerParser, type CacheKeyConf, type LdapCredentials } from './credentials.ts';
import { LdapDirectory, type LdapTarget } from './directory.ts';
import type { LdapAuthConfig } from './schema.ts';

export const ERR_UNAUTHORIZED = 'Unauthorized';

/** The configuration as the phases read it, computed once per snapshot. */
export interface LdapAuthConf extends AnonymousConf {
  readonly parse: (value: string) => LdapCredentials | null;
  readonly target: LdapTarget;
  readonly keyConf: CacheKeyConf;
  readonly baseDn: string;
  readonly attribute: string;
  readonly cacheTtlMs: number;
  readonly hideCredentials: boolean;
  /** Headers of every 401 (WWW-Authenticate). */
  readonly challenge: Readonly<Record<string, string>>;
}

/** What a directory user is to later plugins and the log: no consumer, never the password. */
interface LdapCredential extends PluginCredential {
  readonly username: string;
}

/** What the node-wide cache holds for a key: whether that user and password bound. */
const BOUND = '1';
const REFUSED = '0';

/** One connection pool per worker, shared by every ldap-auth plugin entity. */
const directory = new LdapDirectory();
/** Binds under way in this worker, so that a burst of requests with the same credentials binds once. */
const pending = new Map<string, Promise<boolean>>();

/** The server could not be asked: Kong answers 500 and remembers nothing. */
class DirectoryUnavailable extends Error {}

function prepare(config: LdapAuthConfig, data: PluginConfigData): LdapAuthConf {
  const headerType = config.header_type ?? 'ldap';
  // Kong writes its default scheme upper-case in the challenge; a custom header_type as configured.
  const scheme = headerType === 'ldap' ? 'LDAP' : headerType;
  const realm = config.realm ?? null;
  return {
    parse: headerParser(headerType),
    target: {
      host: config.ldap_host,
      port: config.ldap_port,
      ldaps: config.ldaps,
      startTls: config.start_tls,
      verify: config.verify_ldap_host,
      timeoutMs: config.timeout ?? 10000,
      keepaliveMs: config.keepalive ?? 60000,
    },
    keyConf: {
      ldapHost: config.ldap_host,
      ldapPort: config.ldap_port,
      baseDn: config.base_dn,
      attribute: config.attribute,
      cacheTtl: config.cache_ttl,
      tls: config.ldaps ? 'ldaps' : config.start_tls ? 'starttls' : 'none',
      verify: config.verify_ldap_host,
    },
    baseDn: config.base_dn,
    attribute: config.attribute,
    cacheTtlMs: Math.max(0, config.cache_ttl) * 1000,
    hideCredentials: config.hide_credentials,
    challenge: { 'WWW-Authenticate': realm === null ? scheme : `${scheme} realm="${realm}"` },
    ...anonymousConf(config.anonymous, data),
  };
}

async function cachedOutcome(kong: Kong, key: string): Promise<boolean | undefined> {
  try {
    const value = await kong.cache.get(key);
    if (value === BOUND) return true;
    if (value === REFUSED) return false;
  } catch (err) {
    // Without the node's cache every request asks the server; authentication still works.
    kong.log.warn('ldap-auth: the node cache is unavailable: ', err);
  }
  return undefined;
}

function remember(kong: Kong, key: string, bound: boolean, ttlMs: number): void {
  kong.cache.set(key, bound ? BOUND : REFUSED, ttlMs).catch((err: unknown) => kong.log.warn('ldap-auth: the node cache is unavailable: ', err));
}

/** Whether the user and password bind, from the cache or the server; throws DirectoryUnavailable. */
async function binds(kong: Kong, conf: LdapAuthConf, credentials: LdapCredentials): Promise<boolean> {
  const key = cacheKey(conf.keyConf, credentials);
  const cached = await cachedOutcome(kong, key);
  if (cached !== undefined) return cached;
  let running = pending.get(key);
  if (running === undefined) {
    running = directory.bind(conf.target, bindDn(conf.attribute, credentials.username, conf.baseDn), credentials.password).then((outcome) => {
      if (outcome.kind === 'unreachable') throw new DirectoryUnavailable(outcome.reason);
      if (outcome.kind === 'untrusted') {
        // Not remembered: it says nothing about the password, and the next request may meet a fixed server.
        kong.log.err('ldap-auth: ', outcome.reason);
        return false;
      }
      if (outcome.kind === 'rejected') kong.log.err('ldap-auth: bind refused for ', credentials.username, ': ', outcome.reason);
      const bound = outcome.kind === 'ok';
      remember(kong, key, bound, conf.cacheTtlMs);
      return bound;
    }).finally(() => pending.delete(key));
    pending.set(key, running);
  }
  return running;
}

/** The user a header value proves, or null. */
async function authenticateWith(kong: Kong, conf: LdapAuthConf, value: string): Promise<string | null> {
  const credentials = conf.parse(value);
  if (credentials === null) {
    kong.log.info('ldap-auth: no valid credentials found in the authorization header value');
    return null;
  }
  return (await binds(kong, conf, credentials)) ? credentials.username : null;
}

/** The user the request proves (Proxy-Authorization first, then Authorization), or null. */
async function authenticate(kong: Kong, conf: LdapAuthConf): Promise<string | null> {
  const authorization = kong.request.getHeader('authorization');
  const proxyAuthorization = kong.request.getHeader('proxy-authorization');
  let user: string | null = null;
  if (proxyAuthorization !== undefined) user = await authenticateWith(kong, conf, proxyAuthorization);
  if (user === null && authorization !== undefined) user = await authenticateWith(kong, conf, authorization);
  return user;
}

/** Upstream headers for a directory user: no consumer, the user as the credential identifier. */
function setUser(kong: Kong, username: string): void {
  // Kong's credential id is its cache key; the username here, so nothing derived from the password is logged.
  const credential: LdapCredential = Object.freeze({ id: username, username, consumer: null });
  kong.client.authenticate(null, credential);
  setConsumerHeaders(kong, null, username, false);
}

async function access(kong: Kong, conf: LdapAuthConf): Promise<void> {
  if (authenticatedByAnother(kong, conf)) return;
  let user: string | null;
  try {
    user = await authenticate(kong, conf);
  } catch (err) {
    if (!(err instanceof DirectoryUnavailable)) throw err;
    kong.log.err('ldap-auth: ', err.message);
    // Kong's answer to an LDAP server it cannot reach, anonymous or not.
    kong.response.error(500, 'An unexpected error occurred');
    return;
  }
  if (user !== null) {
    if (conf.hideCredentials) {
      kong.service.request.clearHeader('authorization');
      kong.service.request.clearHeader('proxy-authorization');
    }
    setUser(kong, user);
    return;
  }
  if (conf.anonymous === null) {
    kong.response.error(401, ERR_UNAUTHORIZED, conf.challenge);
    return;
  }
  useAnonymous(kong, conf);
}

export const ldapAuthHandler: PluginHandler<LdapAuthConf, LdapAuthConfig> = {
  name: 'ldap-auth',
  priority: 1200,
  version: '3.10.0',
  prepare,
  access,
};
