/**
 * What ldap-auth reads from a request and remembers: the `ldap base64(user:password)` header value, the DN a
 * user binds as, and the node-wide cache key of a bind's outcome.
 */
import { createHash } from 'node:crypto';

/** A username and password taken from a header value. */
export interface LdapCredentials {
  readonly username: string;
  readonly password: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles the parser of header values for a `header_type` (once per configuration). */
export function headerParser(headerType: string): (value: string) => LdapCredentials | null {
  const scheme = new RegExp(`^\\s*${escapeRegExp(headerType.toLowerCase())}\\s+`);
  return (value) => {
    const m = scheme.exec(value.toLowerCase());
    if (m === null) return null;
    // Lower-casing keeps lengths for the ASCII scheme and spaces matched, so the offset holds in the original.
    const encoded = value.slice(m[0].length);
    if (!BASE64.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) return null;
    // Kong's split (`^(.*?):(.+)$`): the username up to the first colon (may be empty), a password of at least
    // one character, all on one line. indexOf, because that pattern backtracks on many colons.
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1 || colon === decoded.length - 1 || LINE_TERMINATOR.test(decoded)) return null;
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  };
}

/**
 * An attribute value escaped for a DN (RFC 4514 §2.4), so a username cannot add RDNs of its own
 * (`einstein,ou=admins` binds as that literal name, not under another branch).
 */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[\\",+;<>=#]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** The DN a user binds as: `attribute=user,base_dn`. */
export function bindDn(attribute: string, username: string, baseDn: string): string {
  return `${attribute}=${escapeDnValue(username)},${baseDn}`;
}

/**
 * The fields of the configuration a cached outcome depends on: Kong's list, and the TLS mode and
 * verification, so a bind made without checking the server's certificate never vouches for a route that
 * checks it.
 */
export interface CacheKeyConf {
  readonly ldapHost: string;
  readonly ldapPort: number;
  readonly baseDn: string;
  readonly attribute: string;
  readonly cacheTtl: number;
  readonly tls: 'none' | 'ldaps' | 'starttls';
  readonly verify: boolean;
}

/**
 * The cache key of a bind's outcome: the SHA-256 of the server, the DN parts, the ttl, the TLS settings, the
 * username and the password, so the password never appears in the cache (and a new password is a new key).
 */
export function cacheKey(conf: CacheKeyConf, credentials: LdapCredentials): string {
  const text = `${conf.ldapHost.toLowerCase()}:${conf.ldapPort}:${conf.baseDn}:${conf.attribute}:${Math.floor(conf.cacheTtl)}:${conf.tls}:${conf.verify}:${credentials.username}:${credentials.password}`;
  return `ldap_auth_cache:${createHash('sha256').update(text).digest('hex')}`;
}
