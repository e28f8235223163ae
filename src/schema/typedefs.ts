/**
 * Reusable field definitions (Kong's "typedefs"): ids, timestamps, ports, hosts, paths, tags, protocols,
 * certificates. Entities and plugin schemas spread them and add what differs:
 * `port: { ...typedefs.port, default: 80 }`.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isValidIpOrCidr } from '../core/cidr.ts';
import { defineField } from './types.ts';
import { hostKind, parseHost } from './host.ts';
import { parseUrl } from './url.ts';
import { HTTP_PROTOCOLS, PROTOCOLS } from './protocols.ts';

// ---------------------------------------------------------------------------------------------------------
// Validators (exported for the entities that use them directly)

/** A host without port: a name or an IP address. */
export function validateHost(host: string): string | null {
  const parsed = parseHost(host);
  if (!parsed.ok && parsed.error !== 'invalid port number') return `invalid value: ${host}`;
  if (!parsed.ok || parsed.value.port !== null) return 'must not have a port';
  return null;
}

/** A name or IP address with an optional port; the message is the parser's. */
export function validateHostWithOptionalPort(host: string): string | null {
  const parsed = parseHost(host);
  return parsed.ok ? null : parsed.error;
}

/** A TLS server name: a hostname, not an IP, no port. */
export function validateSni(host: string): string | null {
  const parsed = parseHost(host);
  if (!parsed.ok && parsed.error !== 'invalid port number') return `invalid value: ${host}`;
  if (parsed.ok && parsed.value.kind !== 'name') return 'must not be an IP';
  if (!parsed.ok || parsed.value.port !== null) return 'must not have a port';
  return null;
}

/** An SNI-like name where one `*` may replace the leftmost or rightmost label. */
export function validateWildcardHost(host: string): string | null {
  let mock = host;
  const first = host.indexOf('*');
  if (first >= 0) {
    if (first !== 0 && first !== host.length - 1) return 'wildcard must be leftmost or rightmost character';
    if (host.indexOf('*', first + 1) >= 0) return 'only one wildcard must be specified';
    mock = host.replace('*', 'wildcard');
  }
  const parsed = parseHost(mock);
  if (!parsed.ok && parsed.error !== 'invalid port number') return `invalid value: ${mock}`;
  if (parsed.ok && parsed.value.kind !== 'name') return 'must not be an IP';
  if (!parsed.ok || parsed.value.port !== null) return 'must not have a port';
  return null;
}

const PATH_CHARACTERS = /^\/[A-Za-z0-9._~/%:@!$&'()*+,;=-]*$/;

/**
 * RFC 3986 characters and well-formed `%XX` escapes. Returns the message and which rule failed, because
 * route paths only care about the escapes.
 */
export function checkPathCharacters(path: string): { error: string; kind: 'rfc3986' | 'percent' } | null {
  if (!PATH_CHARACTERS.test(path)) {
    return {
      error: `invalid path: '${path}' (characters outside of the reserved list of RFC 3986 found)`,
      kind: 'rfc3986',
    };
  }
  const raw = path.replace(/%[0-9A-Fa-f]{2}/g, '___');
  const percent = raw.indexOf('%');
  if (percent >= 0) {
    return { error: `invalid url-encoded value: '${raw.slice(percent, percent + 3)}'`, kind: 'percent' };
  }
  return null;
}

export function validatePath(path: string): string | null {
  return checkPathCharacters(path)?.error ?? null;
}

export function validateUrl(url: string): string | null {
  const parsed = parseUrl(url);
  if (!parsed) return 'could not parse url. invalid url';
  if (parsed.host === undefined) return 'missing host in url';
  if (parsed.scheme === undefined) return 'missing scheme in url';
  return null;
}

export function validateHeaderName(name: string): string | null {
  if (name === '') return 'no header name provided';
  if (/^[a-zA-Z0-9_-]+$/.test(name)) return null;
  return `bad header name '${name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`;
}

// Control characters, non-ASCII, and RFC 2616 separators.
const HTTP_TOKEN_FORBIDDEN = /[\x00-\x1f\x7f-\uffff()<>@,;:\\"/?={}[\] \t]/;

export function validateHttpToken(token: string): string | null {
  if (token === '') return 'no token provided';
  if (!HTTP_TOKEN_FORBIDDEN.test(token)) return null;
  return 'contains one or more invalid characters. ASCII control characters (0-31;127), space, tab and the characters ()<>@,;:\\"/?={}[] are not allowed.';
}

export function validateName(name: string): string | null {
  if (/^[A-Za-z0-9._~-]+$/.test(name)) return null;
  return `invalid value '${name}': it must only contain alphanumeric and '., -, _, ~' characters`;
}

export function validateUtf8Name(name: string): string | null {
  if (/^[A-Za-z0-9._~\-\u{80}-\u{10FFFF}]+$/u.test(name)) return null;
  return `invalid value '${name}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`;
}

export function validateTag(tag: string): string | null {
  // Printable ASCII except ',' and '/', plus any non-ASCII character.
  if (/^[ !-+\-.0-~\u{80}-\u{10FFFF}]+$/u.test(tag)) return null;
  return `invalid tag '${tag}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`;
}

export function validateIp(ip: string): string | null {
  const kind = hostKind(ip);
  const parsed = parseHost(ip);
  if (kind !== 'name' && parsed.ok && parsed.value.port === null) return null;
  return `not an ip address: ${ip}`;
}

export function validateIpOrCidr(value: string): string | null {
  return isValidIpOrCidr(value) ? null : `invalid ip or cidr range: '${value}'`;
}

export function validateCidrV4(value: string): string | null {
  return isValidIpOrCidr(value) && !value.includes(':') ? null : `invalid ipv4 cidr range: '${value}'`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function validateCertificate(pem: string): string | null {
  try {
    new X509Certificate(pem);
    return null;
  } catch (err) {
    return `invalid certificate: ${errorText(err)}`;
  }
}

export function validateKey(pem: string): string | null {
  try {
    createPrivateKey(pem);
    return null;
  } catch (err) {
    return `invalid key: ${errorText(err)}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Typedefs

export const typedefs = {
  uuid: defineField({ type: 'string', uuid: true, auto: true, description: 'A UUID, generated when omitted.' }),
  auto_timestamp_s: defineField({
    type: 'integer',
    timestamp: true,
    auto: true,
    description: 'Unix time in seconds, set by the gateway.',
  }),
  auto_timestamp_ms: defineField({
    type: 'number',
    timestamp: true,
    auto: true,
    description: 'Unix time in seconds with millisecond precision, set by the gateway.',
  }),
  port: defineField({ type: 'integer', between: [0, 65535], description: 'A port number, 0 to 65535.' }),
  timeout: defineField({
    type: 'integer',
    between: [0, 2 ** 31 - 2],
    description: 'A duration in milliseconds, 0 to 2^31-2.',
  }),
  protocol: defineField({ type: 'string', one_of: PROTOCOLS, description: 'A protocol name.' }),
  protocols: defineField({
    type: 'set',
    required: true,
    default: HTTP_PROTOCOLS,
    elements: { type: 'string', one_of: PROTOCOLS },
    description: 'The protocols this applies to.',
  }),
  protocols_http: defineField({
    type: 'set',
    required: true,
    default: HTTP_PROTOCOLS,
    elements: { type: 'string', one_of: HTTP_PROTOCOLS },
    description: 'The HTTP-family protocols this applies to.',
  }),
  http_method: defineField({ type: 'string', match: '^[A-Z]+$', description: 'An upper-case HTTP method.' }),
  host: defineField({ type: 'string', custom_validator: validateHost, description: 'A hostname or IP address.' }),
  host_with_optional_port: defineField({
    type: 'string',
    custom_validator: validateHostWithOptionalPort,
    description: 'A hostname or IP address with an optional port.',
  }),
  wildcard_host: defineField({
    type: 'string',
    custom_validator: validateWildcardHost,
    description: 'A hostname whose leftmost or rightmost label may be a wildcard.',
  }),
  sni: defineField({ type: 'string', custom_validator: validateSni, description: 'A TLS server name.' }),
  ip: defineField({ type: 'string', custom_validator: validateIp, description: 'An IP address.' }),
  ip_or_cidr: defineField({
    type: 'string',
    custom_validator: validateIpOrCidr,
    description: 'An IP address or CIDR block.',
  }),
  cidr_v4: defineField({ type: 'string', custom_validator: validateCidrV4, description: 'An IPv4 CIDR block.' }),
  path: defineField({
    type: 'string',
    starts_with: '/',
    match_none: [{ pattern: '//', err: 'must not have empty segments' }],
    custom_validator: validatePath,
    description: 'A URL path starting with /, without empty segments.',
  }),
  url: defineField({ type: 'string', custom_validator: validateUrl, description: 'An absolute URL.' }),
  header_name: defineField({
    type: 'string',
    custom_validator: validateHeaderName,
    description: 'An HTTP header name.',
  }),
  cookie_name: defineField({
    type: 'string',
    custom_validator: validateHttpToken,
    description: 'A cookie name (an HTTP token).',
  }),
  name: defineField({ type: 'string', unique: true, custom_validator: validateName, description: 'A unique name.' }),
  utf8_name: defineField({
    type: 'string',
    unique: true,
    custom_validator: validateUtf8Name,
    description: 'A unique name; non-ASCII characters allowed.',
  }),
  tag: defineField({ type: 'string', required: true, custom_validator: validateTag }),
  tags: defineField({
    type: 'set',
    elements: { type: 'string', required: true, custom_validator: validateTag },
    description: 'Labels for grouping and filtering.',
  }),
  certificate: defineField({
    type: 'string',
    custom_validator: validateCertificate,
    description: 'A PEM-encoded X.509 certificate.',
  }),
  key: defineField({ type: 'string', custom_validator: validateKey, description: 'A PEM-encoded private key.' }),
  no_route: defineField({ type: 'foreign', reference: 'routes', eq: null }),
  no_service: defineField({ type: 'foreign', reference: 'services', eq: null }),
  no_consumer: defineField({ type: 'foreign', reference: 'consumers', eq: null }),
  no_consumer_group: defineField({ type: 'foreign', reference: 'consumer_groups', eq: null }),
  headers: defineField({
    type: 'map',
    keys: { type: 'string', custom_validator: validateHeaderName },
    values: { type: 'array', elements: { type: 'string' } },
    description: 'Header names mapped to lists of values.',
  }),
  ttl: defineField({ type: 'number', between: [0, 100000000], description: 'Time to live in seconds.' }),
} as const;
