/**
 * The table of configuration keys: name, type, default (as it would be written in tollgate.conf), a
 * description for the generated reference, whether the value is secret, and the parser for its value.
 * Kong's names and defaults unless a description says otherwise.
 */
import { availableParallelism } from 'node:os';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isValidIpOrCidr } from '../core/cidr.ts';
import { headerEntries, upstreamHeaderEntries } from './headers.ts';
import { listenEntries } from './listeners.ts';
import { NETWORK_DEFINITIONS } from './network-definitions.ts';
import { streamAccessLogValue, streamListenEntries } from './stream-listeners.ts';
import {
  ACCESS_LOG_FORMATS, CLUSTER_MTLS_MODES, CLUSTER_OCSP_MODES, DATABASES, ROUTE_MATCH_CALCULATIONS, ERROR_DEFAULT_TYPES, LOG_LEVELS, PLANNED_DATABASES, ROLES, ROUTER_FLAVORS,
} from './settings-types.ts';
import {
  InvalidValue, existingFile, integerInRange, list, nonNegativeNumber, onOff, oneOf, optionalPem, optionalString,
  optionalUuid, pemSource, quotedAlternatives, requiredString, size, splitList, sslProtocols, type ValueParser,
} from './value-parsers.ts';
import { define, type AnySettingDefinition } from './setting-definition.ts';
import { KONG_DATABASE_AND_INTERNAL_DEFINITIONS } from './kong-internal-definitions.ts';
import type { SettingName } from './settings-types.ts';

export type { AnySettingDefinition, SettingDefinition, SettingType } from './setting-definition.ts';

const LISTEN_HELP =
  'Comma-separated `<ip>:<port> [flags]` entries (IPv6 in brackets, `*` for all IPv4 addresses; flags `ssl`, `http2`, ' +
  '`reuseport`, `backlog=N`, `proxy_protocol` (connections open with a PROXY protocol v1 or v2 header, required; ' +
  'a connection without one is closed), `deferred`, `bind`), or `off`.';

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function hostAndPort(raw: string): string {
  const match = HOST_PORT.exec(raw);
  const port = match ? Number(match[2]) : 0;
  if (!match || port < 1 || port > 65535) throw new InvalidValue(`must be '<host>:<port>' with a port between 1 and 65535, e.g. cp.example.com:8005`);
  return raw;
}

function dpLabel(entry: string): string {
  if (/^[A-Za-z0-9_.-]{1,63}:[^,]{1,63}$/.test(entry)) return entry;
  throw new InvalidValue(`label '${entry}' must be 'key:value' (key of letters, digits, '_', '.', '-'; both up to 63 characters)`);
}

function workerProcesses(raw: string): number {
  if (raw === 'auto') return availableParallelism();
  if (/^\d+$/.test(raw) && Number(raw) >= 1 && Number.isSafeInteger(Number(raw))) return Number(raw);
  throw new InvalidValue(`must be 'auto' or a positive integer`);
}

function trustedIp(entry: string): string {
  if (entry === 'unix:' || isValidIpOrCidr(entry)) return entry;
  throw new InvalidValue(`entry '${entry}' is not an IPv4 or IPv6 address, a CIDR block or 'unix:'`);
}

// RFC 9110 token characters.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function realIpHeader(raw: string): string {
  if (raw === '') throw new InvalidValue('must not be empty');
  if (!HEADER_NAME.test(raw)) throw new InvalidValue(`must be a header name or 'proxy_protocol'`);
  return raw;
}

/** A directory that must exist, made absolute. */
function existingDirectory(entry: string, context: { cwd: string }): string {
  const path = resolve(context.cwd, entry);
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    throw new InvalidValue(`no such directory: ${path}`);
  }
  if (!isDirectory) throw new InvalidValue(`not a directory: ${path}`);
  return path;
}

/** A `port_maps` entry: `<port the client reaches>:<port the node listens to>`, both 1-65535. */
function portMap(entry: string): string {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(entry);
  const valid = (p: string | undefined): boolean => p !== undefined && Number(p) >= 1 && Number(p) <= 65535;
  if (m === null || !valid(m[1]) || !valid(m[2])) {
    throw new InvalidValue(`invalid port mapping '${entry}' (expected <host port>:<listener port>, each 1-65535, e.g. 80:8000)`);
  }
  return entry;
}

/**
 * An `error_template_*` file: it must exist, and since Kong fills it with `string.format(template, message,
 * request_id)`, hold only `%s` (at most two: the message, then the request id) and `%%`; any other `%` code would
 * fail every error response, so it is refused at start.
 */
const errorTemplate: ValueParser<string | null> = (raw, context) => {
  const path = existingFile()(raw, context);
  if (path === null) return null;
  let placeholders = 0;
  for (const match of readFileSync(path, 'utf8').matchAll(/%(.?)/gs)) {
    if (match[1] === '%') continue;
    if (match[1] !== 's') throw new InvalidValue(`${path}: only '%s' placeholders (and '%%' for a percent sign) may appear, found '%${match[1]}'`);
    placeholders++;
  }
  if (placeholders > 2) {
    throw new InvalidValue(`${path} has ${placeholders} '%s' placeholders; a template takes at most 2 (the message, then the request id)`);
  }
  return path;
};

function pluginServerName(entry: string): string {
  if (/^[a-z0-9][a-z0-9_-]*$/.test(entry)) return entry;
  throw new InvalidValue(`entry '${entry}' is not a plugin server name (lower-case letters, digits, '-' and '_')`);
}

const TRACING_INSTRUMENTATIONS = ['off', 'all', 'request', 'router', 'http_client', 'balancer', 'plugin_rewrite', 'plugin_access', 'plugin_header_filter', 'db_query', 'dns_query'];

function tracingInstrumentations(raw: string): string[] {
  const entries = splitList(raw);
  for (const entry of entries) {
    if (!TRACING_INSTRUMENTATIONS.includes(entry)) throw new InvalidValue(`invalid tracing type: ${entry}`);
  }
  if (entries.length > 1 && entries.includes('off')) throw new InvalidValue('invalid tracing types: off, other types are mutually exclusive');
  return entries;
}

function samplingRate(raw: string): number {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(raw) || Number(raw) > 1) throw new InvalidValue('tracing_sampling_rate must be between 0 and 1');
  return Number(raw);
}

/**
 * Kong's reading of `plugins`: a list that starts with `off` loads nothing (`off, key-auth` included), and an
 * `off` further on is skipped (`key-auth, off, basic-auth` loads the two). Either way the result is `['off']`
 * or a list without `off`.
 */
function pluginEntries(raw: string): string[] {
  const listed = splitList(raw);
  if (listed[0] === 'off') return ['off'];
  const entries = listed.filter((entry) => entry !== 'off');
  for (const entry of entries) {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(entry)) throw new InvalidValue(`entry '${entry}' is not a plugin name (lower-case letters, digits, '-' and '_')`);
  }
  return entries;
}

function adminGuiUrl(entry: string): string {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new InvalidValue(`'${entry}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidValue(`'${entry}' must be an http or https URL`);
  return entry;
}

function adminGuiPath(raw: string): string {
  const path = raw.trim();
  if (!path.startsWith('/')) throw new InvalidValue('must start with a slash (/)');
  if (path !== '/' && path.endsWith('/')) throw new InvalidValue('must not end with a slash (/)');
  if (!/^[A-Za-z0-9._~/-]+$/.test(path)) throw new InvalidValue('may contain only letters, digits, hyphens (-), underscores (_), dots (.), tildes (~) and slashes (/)');
  if (path.includes('//')) throw new InvalidValue('must not contain continuous slashes (/)');
  return path;
}

function absolutePath(raw: string, context: { cwd: string }): string {
  if (raw === '') throw new InvalidValue('must not be empty');
  return resolve(context.cwd, raw);
}

const pemList = list(pemSource);

const TOKEN_HASH = /^sha256:[0-9a-f]{64}$/i;

/** An Admin API token as written: the token itself, or `sha256:` and the hex SHA-256 of it. */
function adminApiToken(entry: string): string {
  if (entry.toLowerCase().startsWith('sha256:') && !TOKEN_HASH.test(entry)) {
    throw new InvalidValue(`entry 'sha256:...' must be 'sha256:' followed by the 64 hex digits of the token's SHA-256 (e.g. from \`printf %s TOKEN | sha256sum\`)`);
  }
  if (/\s/.test(entry)) throw new InvalidValue('tokens cannot contain whitespace');
  return entry;
}

function trustedCertificates(raw: string, context: { cwd: string }): string[] {
  return splitList(raw).map((entry) => (entry === 'system' ? entry : pemSource(entry, context)));
}

/** Every configuration key, in the order the reference documents them. */
export const SETTING_DEFINITIONS = [
  // General
  define({
    name: 'prefix', type: 'path', default: 'servroot', parse: absolutePath,
    description: 'Working directory for logs, sockets and caches; relative paths are resolved against the current directory at start. ' +
      'Kong defaults to `/usr/local/kong/`; Tollgate defaults to `./servroot` so that a clone runs without root.',
  }),
  define({
    name: 'role', type: 'enum', default: 'traditional', values: ROLES, parse: oneOf(ROLES),
    description: '`traditional` runs store and proxy in one node; `control_plane` serves the Admin API and pushes configuration to data planes; ' +
      '`data_plane` only proxies, with configuration from the control plane.',
  }),
  define({
    name: 'ingress_controller', type: 'boolean', default: 'off', parse: onOff(),
    description: 'With `on`, a control plane or traditional node also runs the Kubernetes ingress controller (`tollgate ingress-controller`): it watches ' +
      'the cluster (the pod\'s service account, or `KUBECONFIG`) and replaces the database\'s content with the translated configuration (DB-less: loads it), ' +
      'with leader election on the Lease `tollgate-ingress-controller-leader` in `POD_NAMESPACE`.',
  }),
  define({
    name: 'ingress_class', type: 'string', default: 'kong', parse: (raw) => {
      if (raw.trim() === '') throw new InvalidValue('must not be empty');
      return raw.trim();
    },
    description: 'The ingress class the ingress controller and `tollgate k8s translate` answer for (Kong Ingress Controller\'s `--ingress-class`).',
  }),
  define({
    name: 'database', type: 'enum', default: 'sqlite', values: DATABASES,
    parse: oneOf(DATABASES, {
      ...Object.fromEntries(PLANNED_DATABASES.map((db) => [db, `'${db}' is not supported yet; must be ${quotedAlternatives(DATABASES)}`])),
      cassandra: `Cassandra is not supported (Kong dropped it in 3.4); must be ${quotedAlternatives(DATABASES)}`,
    }),
    description: 'Where entities are stored: `sqlite` (the embedded default: `tollgate.db` in the prefix, created and bootstrapped on first start), `postgres` (`pg_*` settings; several nodes can share one database) or `off` (DB-less: in memory, loaded from `declarative_config` or `POST /config`). Left unset, it is `off` when `declarative_config`/`declarative_config_string` is set or `role = data_plane`, else `sqlite`. Kong defaults to `postgres`.',
  }),
  define({
    name: 'declarative_config', type: 'path', default: '', parse: existingFile(),
    description: 'Declarative configuration file (YAML or JSON) loaded at start when `database = off`; resolved against the current directory.',
  }),
  define({
    name: 'declarative_config_string', type: 'string', default: '', secret: true, parse: optionalString(),
    description: 'Declarative configuration given inline (YAML or JSON text) instead of `declarative_config`.',
  }),

  // Listeners
  define({
    name: 'proxy_listen', type: 'listeners', parse: listenEntries,
    default: '0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384',
    description: `Addresses the proxy listens on. ${LISTEN_HELP}`,
  }),
  define({
    name: 'stream_listen', type: 'listeners', default: 'off', parse: streamListenEntries,
    description: 'Addresses the stream proxy (raw TCP, TLS and UDP, routed by routes with protocols `tcp`, `tls`, ' +
      '`tls_passthrough` or `udp`) listens on: comma-separated `<ip>:<port> [flags]` entries, flags `ssl` (terminate TLS with ' +
      'the node\'s certificates), `udp`, `reuseport`, `backlog=N`, `proxy_protocol`, `bind`; or `off`. See docs/stream.md.',
  }),
  define({
    name: 'admin_listen', type: 'listeners', parse: listenEntries,
    default: '127.0.0.1:8001 reuseport backlog=16384, 127.0.0.1:8444 http2 ssl reuseport backlog=16384',
    description: 'Addresses the Admin API listens on; same syntax as `proxy_listen`. Off by default on a data plane (`role = data_plane`), which takes its configuration from its control plane; set it to get a read-only Admin API there.',
  }),
  define({
    name: 'admin_api_tokens', type: 'list', default: '', secret: true, parse: list(adminApiToken),
    description: 'Tokens that may use the Admin API (comma-separated), sent as `Authorization: Bearer <token>` or ' +
      '`Tollgate-Admin-Token: <token>`; a request without a valid one gets 401 (`OPTIONS` preflights excepted). ' +
      'Write `sha256:<64 hex digits>` to keep only the SHA-256 of a token in the file. Empty (the default) leaves the ' +
      'Admin API open, like Kong\'s open-source Admin API. Tollgate addition.',
  }),
  define({
    name: 'status_listen', type: 'listeners', default: '127.0.0.1:8100', parse: listenEntries,
    description: 'Addresses of the read-only Status API (`/status`, `/status/ready`, metrics); same syntax as `proxy_listen`. ' +
      'Kong 3.x defaults to `127.0.0.1:8007 reuseport backlog=16384`.',
  }),
  define({
    name: 'admin_gui_listen', type: 'listeners', default: '127.0.0.1:8002, 127.0.0.1:8445 ssl', parse: listenEntries,
    description: 'Addresses serving Kong Manager (the Admin GUI): its `kconfig.js` (where the Admin API is) and the files of a ' +
      'Kong Manager OSS build in `admin_gui_dir`; same syntax as `proxy_listen`; `off` disables it. Served on traditional nodes ' +
      'and control planes with an Admin API. Kong defaults to `0.0.0.0:8002, 0.0.0.0:8445 ssl`; Tollgate keeps it on loopback, ' +
      'as the Admin API.',
  }),
  define({
    name: 'admin_gui_url', type: 'list', default: '', parse: list(adminGuiUrl),
    description: 'The URLs Kong Manager is reached at (comma-separated). When set, the Admin API answers browsers only from their ' +
      'origins (`Access-Control-Allow-Origin`), as Kong does.',
  }),
  define({
    name: 'admin_gui_path', type: 'string', default: '/', parse: adminGuiPath,
    description: 'The path Kong Manager is served under (`/` or `/manager`, say): no trailing slash, only letters, digits, `-`, `_`, `.`, `~` and `/`.',
  }),
  define({
    name: 'admin_gui_api_url', type: 'string', default: '', parse: optionalString(),
    description: 'The Admin API URL Kong Manager calls (written into `kconfig.js`); unset, it calls the page\'s host on the Admin API\'s port.',
  }),
  define({
    name: 'admin_gui_dir', type: 'path', default: 'gui', parse: requiredString(),
    description: 'Directory holding a Kong Manager OSS build (its `index.html` and assets), relative to `prefix` unless absolute. ' +
      'Tollgate addition: Kong ships the files in its packages; Tollgate serves the build you put there.',
  }),
  define({
    name: 'admin_gui_ssl_cert', type: 'pem', default: '', parse: pemList,
    description: 'Certificates for `ssl` Admin GUI listeners, one per key in `admin_gui_ssl_cert_key`. Unset uses a generated self-signed certificate.',
  }),
  define({
    name: 'admin_gui_ssl_cert_key', type: 'pem', default: '', secret: true, parse: pemList,
    description: 'Private keys of `admin_gui_ssl_cert`, in the same order.',
  }),
  define({
    name: 'cluster_listen', type: 'listeners', default: '0.0.0.0:8005', parse: listenEntries,
    description: 'Control plane: addresses data planes connect to (mutual TLS); same syntax as `proxy_listen`.',
  }),
  define({
    name: 'cluster_telemetry_listen', type: 'listeners', default: '0.0.0.0:8006', parse: listenEntries,
    description: 'Control plane: addresses data planes send telemetry to (mutual TLS); same syntax as `proxy_listen`.',
  }),

  // Hybrid mode
  define({
    name: 'cluster_control_plane', type: 'list', default: '127.0.0.1:8005', parse: list(hostAndPort),
    description: 'Data plane: `<host>:<port>` of the control plane\'s `cluster_listen`. Several comma-separated control planes ' +
      '(sharing one database) may be given: the data plane uses the first that answers and fails over to the others. Tollgate addition: Kong takes one.',
  }),
  define({
    name: 'cluster_telemetry_endpoint', type: 'list', default: '127.0.0.1:8006', parse: list(hostAndPort),
    description: 'Data plane: `<host>:<port>` of the control plane\'s `cluster_telemetry_listen` (several allowed, as for `cluster_control_plane`). ' +
      'Unset, it is the host(s) of `cluster_control_plane` with port 8006.',
  }),
  define({
    name: 'cluster_allowed_common_names', type: 'list', default: '', parse: list(),
    description: 'Control plane, `pki` mode: names (certificate CN or DNS SAN) a data plane certificate may carry; empty accepts any ' +
      'certificate signed by `cluster_ca_cert`. (Kong Enterprise\'s `pki_check_cn`.)',
  }),
  define({
    name: 'cluster_ocsp', type: 'enum', default: 'off', values: CLUSTER_OCSP_MODES, parse: oneOf(CLUSTER_OCSP_MODES),
    description: 'Control plane, `pki` mode: check data plane certificates with their OCSP responder. `on`: a revoked certificate or a failed check ' +
      'refuses the data plane; `optional`: only a revoked certificate does; `off`: no check.',
  }),
  define({
    name: 'cluster_max_payload', type: 'integer', default: '16777216', parse: integerInRange(4194304),
    description: 'Largest compressed configuration message, in bytes, either side accepts (at least 4 MiB).',
  }),
  define({
    name: 'cluster_data_plane_purge_delay', type: 'integer', default: '1209600', parse: integerInRange(60),
    description: 'Control plane: seconds a disconnected data plane stays listed in `/clustering/data-planes`.',
  }),
  define({
    name: 'cluster_dp_labels', type: 'list', default: '', parse: list(dpLabel),
    description: 'Data plane: `key:value` labels shown for this node in the control plane\'s `/clustering/data-planes`.',
  }),
  define({
    name: 'cluster_telemetry_interval', type: 'integer', default: '10', parse: integerInRange(1, 3600),
    description: 'Data plane: seconds between traffic reports (requests, statuses, latencies per service) sent on the telemetry channel. Tollgate addition.',
  }),
  define({
    name: 'cluster_cache_key', type: 'string', default: '', secret: true, parse: optionalString(),
    description: 'Data plane: passphrase that encrypts the configuration cache (`<prefix>/config.cache`) with AES-256-GCM. ' +
      'Unset writes the cache unencrypted (mode 0600). Tollgate addition.',
  }),
  define({
    name: 'cluster_mtls', type: 'enum', default: 'shared', values: CLUSTER_MTLS_MODES,
    parse: oneOf(CLUSTER_MTLS_MODES, { pki_check_cn: `'pki_check_cn' is a Kong Enterprise mode; must be ${quotedAlternatives(CLUSTER_MTLS_MODES)}` }),
    description: '`shared`: both sides use the same `cluster_cert`; `pki`: certificates signed by `cluster_ca_cert`.',
  }),
  define({
    name: 'cluster_cert', type: 'pem', default: '', parse: optionalPem(),
    description: 'Cluster certificate: a file path, PEM text or base64-encoded PEM. Required in hybrid mode.',
  }),
  define({
    name: 'cluster_cert_key', type: 'pem', default: '', secret: true, parse: optionalPem(),
    description: 'Private key of `cluster_cert`: a file path, PEM text or base64-encoded PEM. Required in hybrid mode.',
  }),
  define({
    name: 'cluster_ca_cert', type: 'pem', default: '', parse: optionalPem(),
    description: 'CA that signs cluster certificates; required on the control plane when `cluster_mtls = pki`.',
  }),
  define({
    name: 'cluster_server_name', type: 'string', default: '', parse: optionalString(),
    description: 'Data plane, `pki` mode: SNI and expected name of the control plane certificate; unset means the host of `cluster_control_plane`.',
  }),

  // Logging and processes
  define({
    name: 'log_level', type: 'enum', default: 'notice', values: LOG_LEVELS, parse: oneOf(LOG_LEVELS),
    description: 'Lowest severity written to the error log.',
  }),
  define({
    name: 'proxy_access_log', type: 'path', default: 'logs/access.log', parse: requiredString(),
    description: 'Proxy access log, relative to `prefix` unless absolute; `off` disables it.',
  }),
  define({
    name: 'proxy_stream_access_log', type: 'path', default: 'logs/access.log basic', parse: streamAccessLogValue,
    description: 'Stream proxy access log (`stream_listen`): a path relative to `prefix` unless absolute, then the format `basic` ' +
      '(`<client ip> [<time>] <TCP|UDP> <status> <bytes sent> <bytes received> <session seconds>`); `off` disables it.',
  }),
  define({
    name: 'proxy_access_log_format', type: 'enum', default: 'kong', values: ACCESS_LOG_FORMATS, parse: oneOf(ACCESS_LOG_FORMATS),
    description: 'Tollgate: `kong` writes nginx\'s combined line with `request_id` (Kong\'s format); `json` writes one JSON object a line, with `request_id`.',
  }),
  define({
    name: 'syslog_socket', type: 'path', default: '/dev/log', parse: requiredString(),
    description: 'Tollgate: the local syslog daemon\'s Unix socket, where the syslog plugin sends its records.',
  }),
  define({
    name: 'proxy_error_log', type: 'path', default: 'logs/error.log', parse: requiredString(),
    description: 'Error log, relative to `prefix` unless absolute.',
  }),
  define({
    name: 'admin_access_log', type: 'path', default: 'logs/admin_access.log', parse: requiredString(),
    description: 'Admin API access log, relative to `prefix` unless absolute; `off` disables it.',
  }),
  define({
    name: 'worker_processes', type: 'integer', default: 'auto', parse: workerProcesses,
    description: 'Number of proxy worker processes; `auto` uses one per available CPU. Kong\'s name, `nginx_worker_processes`, sets it too.',
  }),
  define({
    name: 'router_flavor', type: 'enum', default: 'traditional_compatible', values: ROUTER_FLAVORS,
    parse: oneOf(ROUTER_FLAVORS),
    description:
      'Route matching semantics: `traditional_compatible` (Kong 3.x default), `traditional`, or `expressions` (routes may set an ' +
      '`expression` and a `priority`; see docs/expressions-router.md).',
  }),
  define({
    name: 'route_match_calculation', type: 'enum', default: 'strict', values: ROUTE_MATCH_CALCULATIONS, parse: oneOf(ROUTE_MATCH_CALCULATIONS),
    description: 'How `traditional_compatible` (and `expressions`, for routes without an expression) ranks routes: `strict` (default) by the documented order (field count, plain hosts only, header ' +
      'count, regex, `regex_priority`, prefix length); `original` exactly as a running Kong 3.x does by default, including the slip in its ' +
      'priority arithmetic (routes with four or more fields or a negative `regex_priority` first, then plain-host-only routes, then regex ' +
      'routes, then the field count). Kong\'s setting; Kong defaults to `original`.',
  }),

  define({
    name: 'lua_max_req_headers', type: 'integer', default: '100', parse: integerInRange(1, 1000),
    description: 'How many request headers `kong.request.get_headers` returns when the plugin names no bound (1-1000); more are left out and a notice is logged. ' +
      'Proxying always passes them all. (Kong\'s setting.)',
  }),
  define({
    name: 'lua_max_resp_headers', type: 'integer', default: '100', parse: integerInRange(1, 1000),
    description: 'How many response headers `kong.response.get_headers` and `kong.service.response.get_headers` returns when the plugin names no bound (1-1000); more are left out and a notice is logged. ' +
      'Proxying always passes them all. (Kong\'s setting.)',
  }),
  define({
    name: 'lua_max_uri_args', type: 'integer', default: '100', parse: integerInRange(1, 1000),
    description: 'How many query arguments `kong.request.get_query` returns when the plugin names no bound (1-1000); more are left out and a notice is logged. ' +
      'Proxying always passes them all. (Kong\'s setting.)',
  }),
  define({
    name: 'lua_max_post_args', type: 'integer', default: '100', parse: integerInRange(1, 1000),
    description: 'How many form arguments `kong.request.get_body` returns when the plugin names no bound (1-1000); more are left out and a notice is logged. ' +
      'Proxying always passes them all. (Kong\'s setting.)',
  }),

  // Client addresses and headers
  define({
    name: 'port_maps', type: 'list', default: '', parse: list(portMap),
    description: 'Ports the node is reached on when they differ from those it listens to (a container or NAT): `80:8000, 443:8443` says ' +
      'that port 80 is forwarded to the listener on 8000. Routes match the mapped port, `X-Forwarded-Port` names it, and ' +
      '`kong.request.get_forwarded_port` falls back to it.',
  }),
  define({
    name: 'trusted_ips', type: 'list', default: '', parse: list(trustedIp),
    description: 'IPv4/IPv6 addresses and CIDR blocks whose `X-Forwarded-*` and real-IP headers are believed; `unix:` trusts UNIX-socket peers. ' +
      '`0.0.0.0/0, ::/0` trusts everyone. Unset trusts no one.',
  }),
  define({
    name: 'real_ip_header', type: 'string', default: 'X-Real-IP', parse: realIpHeader,
    description: 'Request header that carries the client address when the peer is in `trusted_ips`; `proxy_protocol` takes it from the PROXY protocol ' +
      'header (v1 or v2) of the connection (then a `proxy_listen` entry needs the `proxy_protocol` flag).',
  }),
  define({
    name: 'real_ip_recursive', type: 'boolean', default: 'off', parse: onOff(),
    description: 'With `on`, the client address is the last address in `real_ip_header` that is not in `trusted_ips`, instead of the last one.',
  }),
  define({
    name: 'headers', type: 'list', default: 'server_tokens, latency_tokens, X-Tollgate-Request-Id', parse: headerEntries,
    description: 'Headers added to responses: `Server`, `Via`, `X-Tollgate-Proxy-Latency`, `X-Tollgate-Response-Latency`, `X-Tollgate-Upstream-Latency`, ' +
      '`X-Tollgate-Admin-Latency`, `X-Tollgate-Upstream-Status`, `X-Tollgate-Request-Id`; `server_tokens` = `Server` + `Via`; `latency_tokens` = the four ' +
      'latency headers; `off` = none. Case-insensitive; `X-Kong-*` spellings are accepted.',
  }),
  define({
    name: 'headers_upstream', type: 'list', default: 'X-Tollgate-Request-Id', parse: upstreamHeaderEntries,
    description: 'Headers added to upstream requests: `X-Tollgate-Request-Id` (or `X-Kong-Request-Id`), or `off`.',
  }),

  // Upstream connections
  define({
    name: 'upstream_keepalive_pool_size', type: 'integer', default: '512', parse: integerInRange(0),
    description: 'Idle keep-alive connections kept per upstream; 0 disables keep-alive. (Kong 3.5+ default; older Kong used 60.)',
  }),
  define({
    name: 'upstream_keepalive_max_requests', type: 'integer', default: '10000', parse: integerInRange(0),
    description: 'Requests sent over one upstream connection before it is closed; 0 means no limit.',
  }),
  define({
    name: 'upstream_keepalive_idle_timeout', type: 'number', default: '60', parse: nonNegativeNumber(),
    description: 'Seconds an idle upstream connection is kept; 0 means no timeout.',
  }),

  // Tracing
  define({
    name: 'tracing_instrumentations', type: 'list', default: 'off', parse: tracingInstrumentations,
    description: 'Which parts of a request get tracing spans: `off`, `all`, or any of `request`, `router`, `http_client`, `balancer`, ' +
      '`plugin_rewrite`, `plugin_access`, `plugin_header_filter`, `db_query`, `dns_query`. The spans are exported by the `opentelemetry` ' +
      'and `zipkin` plugins (see docs/tracing.md). Kong\'s deprecated name, `opentelemetry_tracing`, sets it too.',
  }),
  define({
    name: 'tracing_sampling_rate', type: 'number', default: '0.01', parse: samplingRate,
    description: 'Share of traces sampled (0 to 1) when neither the incoming request nor the plugin decides. Kong\'s deprecated name, ' +
      '`opentelemetry_tracing_sampling_rate`, sets it too.',
  }),

  // Miscellaneous
  define({
    name: 'allow_debug_header', type: 'boolean', default: 'off', parse: onOff(),
    description: 'Honour the `Kong-Debug` request header: the answer then carries `Kong-Route-Id`, `Kong-Route-Name`, `Kong-Service-Id` and `Kong-Service-Name` of the matched route (proxied, or answered by a plugin).',
  }),
  define({
    name: 'node_id', type: 'uuid', default: '', parse: optionalUuid(),
    description: 'This node\'s id; unset generates one (a data plane keeps it in `prefix`).',
  }),
  define({
    name: 'error_default_type', type: 'enum', default: 'text/plain', values: ERROR_DEFAULT_TYPES, parse: oneOf(ERROR_DEFAULT_TYPES),
    description: 'Format of the errors the proxy makes itself (an upstream that failed or timed out, a refused request) when the request ' +
      'has neither `Accept` nor `Content-Type`, as Kong\'s error handler. The gateway\'s other answers (no route, plugins\' errors) follow `Accept`, else JSON.',
  }),
  define({
    name: 'error_template_html', type: 'path', default: '', parse: errorTemplate,
    description: 'File whose text replaces the HTML error body: its first `%s` becomes the message, the second the request id ' +
      '(`%%` is a percent sign), as in Kong.',
  }),
  define({
    name: 'error_template_json', type: 'path', default: '', parse: errorTemplate,
    description: 'File whose text replaces the JSON error body: its first `%s` becomes the message, the second the request id ' +
      '(`%%` is a percent sign), as in Kong.',
  }),
  define({
    name: 'error_template_xml', type: 'path', default: '', parse: errorTemplate,
    description: 'File whose text replaces the XML error body: its first `%s` becomes the message, the second the request id ' +
      '(`%%` is a percent sign), as in Kong.',
  }),
  define({
    name: 'error_template_plain', type: 'path', default: '', parse: errorTemplate,
    description: 'File whose text replaces the plain text error body: its first `%s` becomes the message, the second the request id ' +
      '(`%%` is a percent sign), as in Kong.',
  }),
  define({
    name: 'plugins', type: 'list', default: 'bundled', parse: pluginEntries,
    description: 'Plugins this node can run: `bundled` for all built-in plugins, plugin names, or `off` for none.',
  }),
  define({
    name: 'plugin_paths', type: 'list', default: '', parse: list(existingDirectory),
    description: 'Directories that plugins named in `plugins` (other than bundled ones) are loaded from: a folder `<name>/` (`index.ts`, ' +
      '`index.js`, `index.mjs` or its package.json `main`) or a module `<name>.ts`, `.js`, `.mjs` or `.cjs`, in Tollgate\'s format or ' +
      'Kong\'s JavaScript plugin format. Comma-separated; searched in order. Tollgate addition.',
  }),
  define({
    name: 'pluginserver_names', type: 'list', default: '', parse: list(pluginServerName),
    description: 'Kong\'s external plugin servers. Each name may have `pluginserver_<name>_start_cmd`, `pluginserver_<name>_query_cmd` and ' +
      '`pluginserver_<name>_socket`; a `kong-js-pluginserver --plugins-directory DIR` command makes Tollgate load the JavaScript plugins in ' +
      'DIR itself, in every worker, with no plugin server process and no socket.',
  }),
  define({
    name: 'mem_cache_size', type: 'size', default: '128m', parse: size(),
    description: 'Memory bound of the node-wide shared cache that every worker of the node sees (`kong.cache` for plugins; least recently used entries are evicted past it), with an optional `k`, `m` or `g` unit.',
  }),
  define({
    name: 'nginx_admin_client_max_body_size', type: 'size', default: '10m', parse: size(),
    description: 'Largest request body the Admin API reads (`POST /config` included), with an optional `k` or `m` unit; ' +
      'a larger body is answered 413 before it is parsed. Raise it to load bigger declarative files with `POST /config`. ' +
      '(Kong\'s setting and default.)',
  }),
  define({
    name: 'audit_log_record_ttl', type: 'integer', default: '2592000', parse: integerInRange(1),
    description: 'Seconds an Admin API audit record (`GET /audit/requests`) is kept: older records are no longer listed and ' +
      'are deleted as new ones are written and by a sweep while the node runs. (Kong Enterprise\'s setting and default, 30 days.)',
  }),
  define({
    name: 'audit_log_max_records', type: 'integer', default: '100000', parse: integerInRange(1),
    description: 'The most Admin API audit records kept, whatever their age: each new record beyond it deletes the oldest. ' +
      'With paths cut to 1024 characters (128 for refused requests), this bounds the audit log\'s size. ' +
      'Unauthenticated requests refused with 401 are recorded at most 10 per second, and one record counts the rest ' +
      '(`dropped`). Tollgate addition.',
  }),

  // TLS
  define({
    name: 'ssl_cert', type: 'pem', default: '', parse: pemList,
    description: 'Certificates for `ssl` proxy listeners (comma-separated: file paths, PEM or base64 PEM), one per key in `ssl_cert_key`. Unset uses a generated self-signed certificate.',
  }),
  define({
    name: 'ssl_cert_key', type: 'pem', default: '', secret: true, parse: pemList,
    description: 'Private keys of `ssl_cert`, in the same order.',
  }),
  define({
    name: 'admin_ssl_cert', type: 'pem', default: '', parse: pemList,
    description: 'Certificates for `ssl` Admin API listeners, one per key in `admin_ssl_cert_key`. Unset uses a generated self-signed certificate.',
  }),
  define({
    name: 'admin_ssl_cert_key', type: 'pem', default: '', secret: true, parse: pemList,
    description: 'Private keys of `admin_ssl_cert`, in the same order.',
  }),
  define({
    name: 'admin_ssl_client_ca', type: 'pem', default: '', parse: optionalPem(),
    description: 'CA certificate(s) for mutual TLS on `ssl` Admin API listeners: when set, clients must present a certificate ' +
      'signed by it or the TLS handshake fails. Tollgate addition.',
  }),
  define({
    name: 'ssl_protocols', type: 'string', default: 'TLSv1.2 TLSv1.3', parse: sslProtocols,
    description: 'TLS versions accepted by `ssl` listeners, separated by spaces (`TLSv1`, `TLSv1.1`, `TLSv1.2`, `TLSv1.3`). As in Kong, ' +
      'only read with `ssl_cipher_suite = custom`: the other suites set their own versions.',
  }),
  define({
    name: 'lua_ssl_trusted_certificate', type: 'list', default: 'system', parse: trustedCertificates,
    description: 'CA certificates trusted when Tollgate connects out over TLS: `system` for the system store, file paths, PEM or base64 PEM. ' +
      '(Kong\'s name, kept so that kong.conf files carry over.)',
  }),

  // Kong's listener TLS, DNS, per-listener logs, error templates, port maps, outbound proxy (network-definitions.ts)
  ...NETWORK_DEFINITIONS,

  // PostgreSQL (read now, used when the postgres store lands)
  define({
    name: 'pg_host', type: 'string', default: '127.0.0.1', parse: requiredString(),
    description: 'PostgreSQL host.',
  }),
  define({
    name: 'pg_port', type: 'integer', default: '5432', parse: integerInRange(1, 65535),
    description: 'PostgreSQL port.',
  }),
  define({
    name: 'pg_user', type: 'string', default: 'tollgate', parse: requiredString(),
    description: 'PostgreSQL user. (Kong defaults to `kong`.)',
  }),
  define({
    name: 'pg_password', type: 'string', default: '', secret: true, parse: optionalString(),
    description: 'PostgreSQL password.',
  }),
  define({
    name: 'pg_database', type: 'string', default: 'tollgate', parse: requiredString(),
    description: 'PostgreSQL database. (Kong defaults to `kong`.)',
  }),
  define({
    name: 'pg_ssl', type: 'boolean', default: 'off', parse: onOff(),
    description: 'Connect to PostgreSQL over TLS.',
  }),
  define({
    name: 'pg_timeout', type: 'integer', default: '5000', parse: integerInRange(1),
    description: 'Milliseconds to wait for PostgreSQL to accept a connection or answer a query before the call fails ' +
      '(an Admin API write then answers 500 naming the database, and the proxy keeps serving its current configuration). ' +
      'Bounds how long Admin API calls and `GET /status` can wait on a stalled network.',
  }),
  ...KONG_DATABASE_AND_INTERNAL_DEFINITIONS,
] as const satisfies readonly AnySettingDefinition[];

// Compile-time guarantee that every key of SettingValues has a definition.
type MissingDefinitions = Exclude<SettingName, (typeof SETTING_DEFINITIONS)[number]['name']>;
const everyKeyDefined: [MissingDefinitions] extends [never] ? true : MissingDefinitions = true;
void everyKeyDefined;

/** Definitions by key name. */
export const SETTINGS_BY_NAME: ReadonlyMap<string, AnySettingDefinition> = new Map(
  SETTING_DEFINITIONS.map((definition) => [definition.name, definition as AnySettingDefinition]),
);
