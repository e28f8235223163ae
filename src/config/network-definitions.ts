/**
 * Kong's node settings for listener TLS, upstream client certificates, the Status API's certificate, the
 * per-listener logs, DNS (the `dns_*` names and the newer `resolver_*` ones), custom error templates, port
 * maps and the outbound forward proxy. Kept apart from definitions.ts (which spreads them in) so that each
 * file stays readable; the names, defaults and checks are Kong's (kong.conf.default, kong/conf_loader).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { AnySettingDefinition, SettingDefinition } from './definitions.ts';
import { DNS_ORDER_TYPES, RESOLVER_FAMILIES, SSL_CIPHER_SUITES } from './settings-types.ts';
import type { SettingName } from './settings-types.ts';
import {
  InvalidValue, existingFile, integerInRange, list, nonNegativeNumber, onOff, oneOf, optionalPem, pemSource, requiredString, size,
} from './value-parsers.ts';
import type { ValueParser } from './value-parsers.ts';

function define<K extends SettingName>(input: Omit<SettingDefinition<K>, 'secret'> & { secret?: boolean }): SettingDefinition<K> {
  return Object.freeze({ ...input, secret: input.secret ?? false });
}

/** The predefined RFC 7919 groups `ssl_dhparam` may name. */
export const FFDHE_GROUPS: readonly string[] = ['ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'];

/** An OpenSSL cipher list Node's TLS accepts (`openssl ciphers` syntax); empty means unset. */
function cipherList(raw: string): string | null {
  if (raw === '') return null;
  try {
    createSecureContext({ ciphers: raw });
  } catch {
    throw new InvalidValue(`no cipher in it is known to OpenSSL; write an 'openssl ciphers' list such as 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384'`);
  }
  return raw;
}

const DH_PEM = /-----BEGIN DH PARAMETERS-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END DH PARAMETERS-----/;

/** Checks that PEM text holds DH parameters (a DER SEQUENCE); Node would drop bad ones silently. */
function checkDhPem(pem: string, where: string): void {
  const match = DH_PEM.exec(pem);
  const der = match ? Buffer.from(match[1].replace(/\s+/g, ''), 'base64') : Buffer.alloc(0);
  if (der.length < 8 || der[0] !== 0x30) throw new InvalidValue(`${where} does not hold PEM DH parameters ('-----BEGIN DH PARAMETERS-----', e.g. from 'openssl dhparam')`);
}

/** `ssl_dhparam`: a predefined group name, a parameters file (made absolute), PEM text or base64 PEM. */
function dhparam(raw: string, context: { cwd: string }): string | null {
  if (raw === '') return null;
  if (FFDHE_GROUPS.includes(raw)) return raw;
  const path = resolve(context.cwd, raw);
  if (existsSync(path)) {
    checkDhPem(readFileSync(path, 'utf8'), `the file ${path}`);
    return path;
  }
  const text = raw.includes('-----BEGIN') ? raw : Buffer.from(raw, 'base64').toString('utf8');
  if (!text.includes('-----BEGIN')) {
    throw new InvalidValue(`must be one of ${FFDHE_GROUPS.join(', ')}, a DH parameters file, or PEM (or base64 PEM) DH parameters; no file at ${path}`);
  }
  checkDhPem(text, 'the value');
  return text;
}

const NGINX_TIME_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, M: 2592000, y: 31536000 };
const NGINX_TIME_PART = /(\d+)(ms|s|m|h|d|w|M|y)?/y;

/** An nginx time (`1d`, `12h`, `1h 30m`, `600`, seconds when no unit) as seconds. */
export function nginxSeconds(raw: string): number {
  const text = raw.replace(/\s+/g, '');
  let seconds = 0;
  NGINX_TIME_PART.lastIndex = 0;
  while (NGINX_TIME_PART.lastIndex < text.length) {
    const start = NGINX_TIME_PART.lastIndex;
    const match = NGINX_TIME_PART.exec(text);
    if (match === null || match.index !== start) return -1;
    seconds += Number(match[1]) * NGINX_TIME_UNITS[match[2] ?? 's'];
  }
  return text === '' ? -1 : seconds;
}

function sessionTimeout(raw: string): number {
  const seconds = nginxSeconds(raw);
  if (seconds <= 0) throw new InvalidValue(`must be a time such as '1d', '12h', '10m' or '300' (seconds), greater than 0`);
  return seconds;
}

/** An `ip[:port]` name server (IPv6 in brackets when a port follows), as Kong's `dns_resolver` takes it. */
function nameServer(entry: string): string {
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(entry);
  const ipv4 = /^([0-9.]+)(?::(\d{1,5}))?$/.exec(entry);
  const [address, port] = bracketed ? [bracketed[1], bracketed[2]] : ipv4 ? [ipv4[1], ipv4[2]] : [entry, undefined];
  const portOk = port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
  if (isIP(address) === 0 || !portOk || (ipv4 && isIP(address) !== 4)) {
    throw new InvalidValue(`must be a comma separated list in the form of IPv4/6 or IPv4/6:port, got '${entry}'`);
  }
  return entry;
}

/** A hosts file that must exist (Kong refuses a missing one), made absolute. */
function hostsFile(raw: string, context: { cwd: string }): string {
  if (raw === '') throw new InvalidValue('must not be empty');
  const path = resolve(context.cwd, raw);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    // reported below
  }
  if (!isFile) throw new InvalidValue(`file does not exist: ${path}`);
  return path;
}

/** A case-insensitive list of record types from `allowed`, upper-cased. */
function recordTypes(allowed: readonly string[]): ValueParser<string[]> {
  const check = list((entry) => {
    const type = entry.toUpperCase();
    if (!allowed.includes(type)) throw new InvalidValue(`invalid entry '${entry}' (accepted: ${allowed.join(', ')})`);
    return type;
  });
  return (raw, context) => {
    const types = check(raw, context);
    if (types.length === 0) throw new InvalidValue(`must list at least one of ${allowed.join(', ')}`);
    return types;
  };
}

/** An optional number of seconds (unset: the TTL of each answer). */
function optionalSeconds(): ValueParser<number | null> {
  const parse = nonNegativeNumber();
  return (raw, context) => (raw === '' ? null : parse(raw, context));
}

/** An http(s) forward proxy URL without query or fragment (Kong's `proxy_server` checks). */
function proxyServer(raw: string): string | null {
  if (raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidValue(`is not a URL (missing scheme?); write e.g. 'http://proxy.example.com:3128'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidValue(`only supports "http" and "https", got ${url.protocol.slice(0, -1)}`);
  if (url.hostname === '') throw new InvalidValue('missing host');
  if (url.search !== '' || url.hash !== '' || /[?#;]/.test(raw.slice(raw.indexOf('//') + 2))) {
    throw new InvalidValue('fragments, query strings or parameters are meaningless in proxy configuration');
  }
  return raw;
}

const pemList = list(pemSource);
const NO_EFFECT = 'Accepted for Kong compatibility; no effect in Tollgate';

/** Kong's listener TLS, DNS, log, error template, port map and outbound proxy settings. */
export const NETWORK_DEFINITIONS = [
  // Listener TLS (proxy, stream, Admin API, Status API and Kong Manager `ssl` listeners)
  define({
    name: 'ssl_cipher_suite', type: 'enum', default: 'intermediate', values: SSL_CIPHER_SUITES, parse: oneOf(SSL_CIPHER_SUITES),
    description: 'TLS ciphers and versions of `ssl` listeners, from Mozilla\'s server-side TLS recommendations: `modern` (TLSv1.3 only), ' +
      '`intermediate` (TLSv1.2 and TLSv1.3, ECDHE and DHE AEAD ciphers, `ffdhe2048`), `old` (TLSv1 to TLSv1.3 and older ciphers), ' +
      '`fips` (TLSv1.2, FIPS ciphers), or `custom` (`ssl_ciphers`, `ssl_protocols`, `ssl_prefer_server_ciphers` and `ssl_dhparam` apply). ' +
      'TLSv1.3 cipher suites stay enabled unless `ssl_ciphers` lists some.',
  }),
  define({
    name: 'ssl_ciphers', type: 'string', default: '', parse: cipherList,
    description: 'With `ssl_cipher_suite = custom`: the ciphers of `ssl` listeners, an `openssl ciphers` list. Ignored otherwise. ' +
      'DHE ciphers also need `ssl_dhparam`.',
  }),
  define({
    name: 'ssl_prefer_server_ciphers', type: 'boolean', default: 'on', parse: onOff(),
    description: 'With `ssl_cipher_suite = custom`: the server\'s cipher order wins over the client\'s. Ignored otherwise (the suite decides).',
  }),
  define({
    name: 'ssl_dhparam', type: 'string', default: '', parse: dhparam,
    description: 'DH parameters for DHE ciphers: `ffdhe2048`, `ffdhe3072`, `ffdhe4096`, `ffdhe6144`, `ffdhe8192`, a parameters file, or PEM ' +
      '(or base64 PEM) text. Used with `ssl_cipher_suite` `old`, `fips` or `custom`; `intermediate` uses `ffdhe2048`, `modern` needs none.',
  }),
  define({
    name: 'ssl_session_tickets', type: 'boolean', default: 'on', parse: onOff(),
    description: 'Whether `ssl` listeners issue TLS session tickets (resumption without a full handshake). With `off`, TLSv1.2 clients get ' +
      'no ticket; TLSv1.3 resumption is unaffected.',
  }),
  define({
    name: 'ssl_session_timeout', type: 'string', default: '1d', parse: sessionTimeout,
    description: 'How long a client may resume a TLS session on `ssl` listeners (the lifetime of issued tickets): an nginx time such as `1d`, `12h` or `300` (seconds).',
  }),
  define({
    name: 'ssl_session_cache_size', type: 'size', default: '10m', parse: size(),
    description: `${NO_EFFECT}: it sizes nginx's shared session-ID cache, and Node's TLS servers resume sessions by tickets instead.`,
  }),
  define({
    name: 'status_ssl_cert', type: 'pem', default: '', parse: pemList,
    description: 'Certificates for `ssl` Status API listeners, one per key in `status_ssl_cert_key`. Unset uses a generated self-signed certificate.',
  }),
  define({
    name: 'status_ssl_cert_key', type: 'pem', default: '', secret: true, parse: pemList,
    description: 'Private keys of `status_ssl_cert`, in the same order.',
  }),
  define({
    name: 'debug_ssl_cert', type: 'pem', default: '', parse: pemList,
    description: `${NO_EFFECT}: it is for Kong's \`debug_listen\`, which Tollgate does not have.`,
  }),
  define({
    name: 'debug_ssl_cert_key', type: 'pem', default: '', secret: true, parse: pemList,
    description: `${NO_EFFECT}: the keys of \`debug_ssl_cert\`.`,
  }),

  // Upstream client certificate
  define({
    name: 'client_ssl', type: 'boolean', default: 'off', parse: onOff(),
    description: 'Present `client_ssl_cert` to TLS upstreams (mutual TLS) when the service, and its upstream, set no `client_certificate`.',
  }),
  define({
    name: 'client_ssl_cert', type: 'pem', default: '', parse: optionalPem(),
    description: 'With `client_ssl = on`: the client certificate presented to upstreams (a file path, PEM or base64 PEM); ' +
      'unset uses the node\'s generated default certificate, as Kong does.',
  }),
  define({
    name: 'client_ssl_cert_key', type: 'pem', default: '', secret: true, parse: optionalPem(),
    description: 'With `client_ssl = on`: the private key of `client_ssl_cert`.',
  }),

  // Logs of the other listeners
  define({
    name: 'admin_error_log', type: 'path', default: 'logs/error.log', parse: requiredString(),
    description: `${NO_EFFECT}: the Admin API runs in the node's main process, whose errors go to \`proxy_error_log\`.`,
  }),
  define({
    name: 'admin_gui_access_log', type: 'path', default: 'logs/admin_gui_access.log', parse: requiredString(),
    description: 'Kong Manager access log (nginx\'s combined line), relative to `prefix` unless absolute; `off` disables it.',
  }),
  define({
    name: 'admin_gui_error_log', type: 'path', default: 'logs/admin_gui_error.log', parse: requiredString(),
    description: `${NO_EFFECT}: Kong Manager is served by the node's main process, whose errors go to \`proxy_error_log\`.`,
  }),
  define({
    name: 'status_access_log', type: 'path', default: 'off', parse: requiredString(),
    description: 'Status API access log (nginx\'s combined line), relative to `prefix` unless absolute; `off` (the default) disables it.',
  }),
  define({
    name: 'status_error_log', type: 'path', default: 'logs/status_error.log', parse: requiredString(),
    description: `${NO_EFFECT}: the Status API is served by the node's main process, whose errors go to \`proxy_error_log\`.`,
  }),
  define({
    name: 'proxy_stream_error_log', type: 'path', default: 'logs/error.log', parse: requiredString(),
    description: `${NO_EFFECT}: the stream proxy runs in the proxy workers, whose errors go to \`proxy_error_log\`.`,
  }),

  // DNS (Kong's resolver and its newer `resolver_*` names)
  define({
    name: 'dns_resolver', type: 'list', default: '', parse: list(nameServer),
    description: 'Name servers (`ip[:port]`, IPv6 in brackets with a port; port 53 by default) that resolve the host names of services and ' +
      'targets: HTTP and stream (TCP, TLS, UDP) upstream connections and active health checks. Unset uses the ' +
      'system resolver (`/etc/resolv.conf`, `/etc/hosts`). Takes precedence over `resolver_address`.',
  }),
  define({
    name: 'dns_hostsfile', type: 'path', default: '/etc/hosts', parse: hostsFile,
    description: 'With `dns_resolver` or `resolver_address` set: the hosts file consulted before the name servers, read once at start.',
  }),
  define({
    name: 'dns_order', type: 'list', default: 'LAST,SRV,A,CNAME', parse: recordTypes(DNS_ORDER_TYPES),
    description: 'With a configured name server: the record types tried, in order (`LAST`, `SRV`, `A`, `AAAA`, `CNAME`, case-insensitive). ' +
      'Tollgate connects to addresses, so `A` and `AAAA` are queried in their order (CNAME chains are followed by the name server); ' +
      '`SRV` and `LAST` are accepted.',
  }),
  define({
    name: 'dns_valid_ttl', type: 'number', default: '', parse: optionalSeconds(),
    description: 'With a configured name server: seconds every answer is cached, instead of its own TTL.',
  }),
  define({
    name: 'dns_stale_ttl', type: 'number', default: '3600', parse: nonNegativeNumber(),
    description: 'With a configured name server: seconds an expired answer is still used while a fresh query runs (or fails).',
  }),
  define({
    name: 'dns_cache_size', type: 'integer', default: '10000', parse: integerInRange(1),
    description: 'With a configured name server: most names kept in the DNS cache; the least recently used go first.',
  }),
  define({
    name: 'dns_not_found_ttl', type: 'number', default: '30', parse: nonNegativeNumber(),
    description: 'With a configured name server: seconds a "name not found" or empty answer is cached.',
  }),
  define({
    name: 'dns_error_ttl', type: 'number', default: '1', parse: nonNegativeNumber(),
    description: 'With a configured name server: seconds a failed query (timeout, server failure) is cached.',
  }),
  define({
    name: 'dns_no_sync', type: 'boolean', default: 'off', parse: onOff(),
    description: 'With a configured name server and `on`: every cache miss sends its own query, instead of joining one already running for the name.',
  }),
  define({
    name: 'resolver_address', type: 'list', default: '', parse: list(nameServer),
    description: 'Kong\'s newer name for `dns_resolver`, used when `dns_resolver` is unset.',
  }),
  define({
    name: 'resolver_hosts_file', type: 'path', default: '/etc/hosts', parse: hostsFile,
    description: 'Kong\'s newer name for `dns_hostsfile`, used when `dns_hostsfile` is left at its default.',
  }),
  define({
    name: 'resolver_family', type: 'list', default: 'A,SRV', parse: recordTypes(RESOLVER_FAMILIES),
    description: 'Kong\'s newer `dns_order`: record types `A`, `AAAA`, `SRV`; used when `dns_order` is left at its default.',
  }),
  define({
    name: 'resolver_valid_ttl', type: 'number', default: '', parse: optionalSeconds(),
    description: 'Kong\'s newer name for `dns_valid_ttl`, used when that is unset.',
  }),
  define({
    name: 'resolver_stale_ttl', type: 'number', default: '3600', parse: nonNegativeNumber(),
    description: 'Kong\'s newer name for `dns_stale_ttl`, used when that is left at its default.',
  }),
  define({
    name: 'resolver_error_ttl', type: 'number', default: '1', parse: nonNegativeNumber(),
    description: 'Kong\'s newer name for `dns_error_ttl` (also empty answers), used when that is left at its default.',
  }),
  define({
    name: 'resolver_lru_cache_size', type: 'integer', default: '10000', parse: integerInRange(1),
    description: 'Kong\'s newer name for `dns_cache_size`, used when that is left at its default.',
  }),
  define({
    name: 'resolver_mem_cache_size', type: 'size', default: '5m', parse: size(),
    description: `${NO_EFFECT}: it sizes Kong's shared-memory DNS cache; each Tollgate worker keeps its own, bounded by entries.`,
  }),

  // The outbound proxy
  define({
    name: 'proxy_server', type: 'string', default: '', parse: proxyServer,
    description: 'Forward proxy URL (`http://` or `https://`, optionally with `user:password@`) for components configured to use one: ' +
      'today the data plane\'s connections to its control plane with `cluster_use_proxy`, tunnelled with HTTP CONNECT.',
  }),
  define({
    name: 'proxy_server_ssl_verify', type: 'boolean', default: 'on', parse: onOff(),
    description: 'Verify the certificate of an `https://` `proxy_server` (Node\'s bundled CA roots). Kong\'s built-in default is `on` ' +
      '(kong.conf.default\'s comment says `off`).',
  }),
  define({
    name: 'cluster_use_proxy', type: 'boolean', default: 'off', parse: onOff(),
    description: 'Data plane: reach the control plane (configuration and telemetry channels) through `proxy_server`, which must then be set; ' +
      'the cluster\'s mutual TLS runs inside the tunnel.',
  }),
  define({
    name: 'admin_gui_csp_header', type: 'boolean', default: 'off', parse: onOff(),
    description: 'With `on`, Kong Manager\'s responses carry a `Content-Security-Policy` header that limits scripts, styles and connections ' +
      'to its own origin and the Admin API.',
  }),
] as const satisfies readonly AnySettingDefinition[];
