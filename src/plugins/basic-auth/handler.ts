/**
 * basic-auth: authenticates a request by a username and password in the `Proxy-Authorization` or
 * `Authorization` header (`Basic base64(username:password)`), as Kong's plugin does: the same header order and
 * parsing, 401 `Unauthorized` with `WWW-Authenticate: Basic realm="..."`, `anonymous`, `hide_credentials`, and
 * the upstream consumer headers (the credential identifier is its username).
 */
import type { CredentialMatch, Kong, PluginConfigData, PluginConsumer, PluginHandler } from '../../pdk/index.ts';
import { anonymousConf, authenticatedByAnother, useAnonymous, type AnonymousConf } from '../shared/anonymous.ts';
import { setConsumerHeaders } from '../shared/consumer-headers.ts';
import { parseStored, verifyPassword, type StoredPassword } from './password.ts';
import { ProvenHeaders } from './proven-headers.ts';
import type { BasicAuthConfig } from './schema.ts';

export const ERR_UNAUTHORIZED = 'Unauthorized';

/** A credential as the phases need it: its stored password parsed once, and a copy without the password. */
export interface BasicAuthEntry {
  readonly credential: { readonly id: string; readonly username: string; readonly consumer: { readonly id: string } };
  readonly consumer: PluginConsumer;
  readonly stored: StoredPassword;
}

/** The configuration as the phases read it, computed once per snapshot. */
export interface BasicAuthConf extends AnonymousConf {
  readonly hideCredentials: boolean;
  /** Headers of every 401 (WWW-Authenticate). */
  readonly challenge: Readonly<Record<string, string>>;
  readonly credentials: ReadonlyMap<string, BasicAuthEntry>;
  /** Header values already verified against `credentials` (same lifetime: one snapshot). */
  readonly proven: ProvenHeaders<BasicAuthEntry>;
}

interface CredentialIndex {
  readonly byUsername: ReadonlyMap<string, BasicAuthEntry>;
  readonly proven: ProvenHeaders<BasicAuthEntry>;
}

/** One index per snapshot, whichever basic-auth plugin entity asks first. */
const indexes = new WeakMap<ReadonlyMap<string, CredentialMatch>, CredentialIndex>();

function credentialIndex(data: PluginConfigData): CredentialIndex {
  const byUsername = data.credentialsBy('basicauth_credentials', 'username');
  let index = indexes.get(byUsername);
  if (index === undefined) {
    const built = new Map<string, BasicAuthEntry>();
    for (const [username, match] of byUsername) {
      const row = match.credential as unknown as Readonly<Record<string, unknown>>;
      built.set(username, {
        // What kong.client.getCredential() shows later plugins: no password, not even its hash.
        credential: Object.freeze({ id: match.credential.id, username, consumer: { id: match.consumer.id } }),
        consumer: match.consumer,
        stored: parseStored(row.password, match.consumer.id),
      });
    }
    index = { byUsername: built, proven: new ProvenHeaders<BasicAuthEntry>() };
    indexes.set(byUsername, index);
  }
  return index;
}

function prepare(config: BasicAuthConfig, data: PluginConfigData): BasicAuthConf {
  const index = credentialIndex(data);
  return {
    hideCredentials: config.hide_credentials,
    challenge: { 'WWW-Authenticate': `Basic realm="${config.realm}"` },
    ...anonymousConf(config.anonymous, data),
    credentials: index.byUsername,
    proven: index.proven,
  };
}

const BASIC = /\s*[Bb]asic\s*(.+)/;
const BASE64_CHAR = /^[A-Za-z0-9+/]*$/;
const USER_PASS = /([^:]+):(.*)/;

/**
 * nginx's base64 decoding as Kong uses it: stops at the first `=`, fails on any other character outside the
 * alphabet and on a length that cannot be base64; padding is optional.
 */
export function decodeBase64(text: string): Buffer | null {
  const end = text.indexOf('=');
  const body = end === -1 ? text : text.slice(0, end);
  if (!BASE64_CHAR.test(body) || body.length % 4 === 1) return null;
  return Buffer.from(body, 'base64');
}

/** The username and password bytes of a `Basic` header value, or null when it has none (Kong's parsing). */
export function parseBasic(header: string): { username: string; password: Buffer } | null {
  const m = BASIC.exec(header);
  if (m === null) return null;
  const decoded = decodeBase64(m[1]);
  if (decoded === null) return null;
  // latin1 keeps one character per byte, so the split is on bytes, as Lua's is.
  const parts = USER_PASS.exec(decoded.toString('latin1'));
  if (parts === null) return null;
  return { username: Buffer.from(parts[1], 'latin1').toString('utf8'), password: Buffer.from(parts[2], 'latin1') };
}

/** Parses one header, removing it upstream when `hide_credentials` is set (whether or not it parsed). */
function retrieve(kong: Kong, conf: BasicAuthConf, name: string, value: string | undefined): { username: string; password: Buffer } | null {
  const parsed = value === undefined ? null : parseBasic(value);
  if (conf.hideCredentials) kong.service.request.clearHeader(name);
  return parsed;
}

/**
 * The credential the request proves (Proxy-Authorization first, then Authorization), null when it proves
 * none; a promise when a password must be verified with scrypt.
 */
function authenticate(kong: Kong, conf: BasicAuthConf): BasicAuthEntry | null | Promise<BasicAuthEntry | null> {
  const authorization = kong.request.getHeader('authorization');
  const proxyAuthorization = kong.request.getHeader('proxy-authorization');
  if (authorization === undefined && proxyAuthorization === undefined) return null;
  // A value that proved a credential before proves it again: only the header read first can be looked up,
  // as the full check below only falls back to the other one when this one names no known user.
  const known = conf.proven.get(proxyAuthorization ?? (authorization as string));
  if (known !== undefined) {
    if (conf.hideCredentials) {
      // The same headers as the full check removes: both when Proxy-Authorization is absent, else only it.
      kong.service.request.clearHeader('proxy-authorization');
      if (proxyAuthorization === undefined) kong.service.request.clearHeader('authorization');
    }
    return known;
  }
  let value = proxyAuthorization;
  let given = retrieve(kong, conf, 'proxy-authorization', proxyAuthorization);
  let entry = given === null ? undefined : conf.credentials.get(given.username);
  if (entry === undefined) {
    value = authorization;
    given = retrieve(kong, conf, 'authorization', authorization);
    if (given === null) return null;
    entry = conf.credentials.get(given.username);
  }
  if (entry === undefined || given === null || value === undefined) return null;
  const found = entry;
  const proof = value;
  const ok = verifyPassword(entry.stored, given.password);
  if (typeof ok === 'boolean') return ok ? remember(conf, proof, found) : null;
  return ok.then((valid) => (valid ? remember(conf, proof, found) : null));
}

/** Records a verified header value (successes only: a wrong password is checked in full every time). */
function remember(conf: BasicAuthConf, value: string, entry: BasicAuthEntry): BasicAuthEntry {
  conf.proven.add(value, entry);
  return entry;
}

function decide(kong: Kong, conf: BasicAuthConf, entry: BasicAuthEntry | null): void {
  if (entry !== null) {
    kong.client.authenticate(entry.consumer, entry.credential);
    setConsumerHeaders(kong, entry.consumer, entry.credential.username, false);
    return;
  }
  if (conf.anonymous === null) {
    kong.response.error(401, ERR_UNAUTHORIZED, conf.challenge);
    return;
  }
  useAnonymous(kong, conf);
}

function access(kong: Kong, conf: BasicAuthConf): void | Promise<void> {
  if (authenticatedByAnother(kong, conf)) return;
  const result = authenticate(kong, conf);
  if (result instanceof Promise) return result.then((entry) => decide(kong, conf, entry));
  decide(kong, conf, result);
}

export const basicAuthHandler: PluginHandler<BasicAuthConf, BasicAuthConfig> = {
  name: 'basic-auth',
  priority: 1100,
  version: '3.10.0',
  prepare,
  access,
};
