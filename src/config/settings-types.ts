/**
 * The shape of a node's settings: one typed property per `tollgate.conf` key (Kong's names), plus values
 * derived from them once at start. Derived values that Kong also exposes keep Kong's snake_case names
 * (`proxy_listeners`, `enabled_headers`...); derived values of our own are camelCase (`headersDownstream`).
 */
import type { StreamListenAddress } from './stream-listeners.ts';

export const ROLES = ['traditional', 'control_plane', 'data_plane'] as const;
export type Role = (typeof ROLES)[number];

/** Accepted `database` values: DB-less, the embedded SQLite file under the prefix, or PostgreSQL. */
export const DATABASES = ['off', 'sqlite', 'postgres'] as const;
export type Database = (typeof DATABASES)[number];
/** Databases that are planned but not implemented yet, so that the error can say so instead of "unknown". */
export const PLANNED_DATABASES: readonly string[] = [];

export const LOG_LEVELS = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `proxy_access_log_format`: nginx's combined line with the request id (Kong's), or one JSON object a line. */
export const ACCESS_LOG_FORMATS = ['kong', 'json'] as const;
export type AccessLogFormat = (typeof ACCESS_LOG_FORMATS)[number];

export const ROUTER_FLAVORS = ['traditional_compatible', 'traditional', 'expressions'] as const;
export type RouterFlavor = (typeof ROUTER_FLAVORS)[number];

export const ROUTE_MATCH_CALCULATIONS = ['original', 'strict'] as const;
export type RouteMatchCalculation = (typeof ROUTE_MATCH_CALCULATIONS)[number];

export const CLUSTER_MTLS_MODES = ['shared', 'pki'] as const;
export type ClusterMtlsMode = (typeof CLUSTER_MTLS_MODES)[number];

export const CLUSTER_OCSP_MODES = ['off', 'on', 'optional'] as const;
export type ClusterOcspMode = (typeof CLUSTER_OCSP_MODES)[number];

export const UNTRUSTED_LUA_MODES = ['on', 'off', 'sandbox'] as const;
export type UntrustedLua = (typeof UNTRUSTED_LUA_MODES)[number];

export const WORKER_CONSISTENCY_MODES = ['strict', 'eventual'] as const;
export type WorkerConsistency = (typeof WORKER_CONSISTENCY_MODES)[number];
/** `ssl_cipher_suite`: Mozilla's server-side TLS profiles (as Kong maps them), FIPS, or `custom`. */
export const SSL_CIPHER_SUITES = ['modern', 'intermediate', 'old', 'fips', 'custom'] as const;
export type SslCipherSuite = (typeof SSL_CIPHER_SUITES)[number];

/** Record types `dns_order` may list, and those `resolver_family` may. */
export const DNS_ORDER_TYPES = ['LAST', 'SRV', 'A', 'AAAA', 'CNAME'] as const;
export const RESOLVER_FAMILIES = ['A', 'AAAA', 'SRV'] as const;

export const ERROR_DEFAULT_TYPES = ['text/plain', 'application/json', 'application/xml', 'text/html'] as const;
export type ErrorDefaultType = (typeof ERROR_DEFAULT_TYPES)[number];

/** One parsed entry of a `*_listen` setting. */
export interface ListenAddress {
  /** Address to bind: IPv4, IPv6 without brackets (as `net.Server.listen` wants it) or a host name. `*` becomes `0.0.0.0`. */
  ip: string;
  /** 0..65535; 0 asks the OS for a free port (tests use it). */
  port: number;
  ssl: boolean;
  http2: boolean;
  reuseport: boolean;
  /** The `backlog=N` value, or null to leave Node's default. */
  backlog: number | null;
  proxy_protocol: boolean;
  deferred: boolean;
  bind: boolean;
  /** The entry as written (whitespace collapsed), e.g. `0.0.0.0:8000 reuseport`. */
  listener: string;
}

/** Which response headers Tollgate adds for clients (resolved from `headers`). */
export interface DownstreamHeaders {
  server: boolean;
  via: boolean;
  proxyLatency: boolean;
  responseLatency: boolean;
  upstreamLatency: boolean;
  adminLatency: boolean;
  upstreamStatus: boolean;
  requestId: boolean;
}

/** Which request headers Tollgate adds for upstreams (resolved from `headers_upstream`). */
export interface UpstreamHeaders {
  requestId: boolean;
}

/** Every configuration key with its parsed value. Unset optional values are null; unset lists are []. */
export interface SettingValues {
  prefix: string;
  role: Role;
  ingress_controller: boolean;
  ingress_class: string;
  database: Database;
  declarative_config: string | null;
  declarative_config_string: string | null;

  proxy_listen: string[];
  stream_listen: string[];
  admin_listen: string[];
  /** Admin API tokens as written (plain, or `sha256:<hex>`); empty leaves the Admin API open. */
  admin_api_tokens: string[];
  status_listen: string[];
  admin_gui_listen: string[];
  admin_gui_url: string[];
  admin_gui_path: string;
  admin_gui_api_url: string | null;
  admin_gui_dir: string;
  admin_gui_ssl_cert: string[];
  admin_gui_ssl_cert_key: string[];
  cluster_listen: string[];
  cluster_telemetry_listen: string[];

  cluster_control_plane: string[];
  cluster_telemetry_endpoint: string[];
  cluster_allowed_common_names: string[];
  cluster_ocsp: ClusterOcspMode;
  cluster_max_payload: number;
  cluster_data_plane_purge_delay: number;
  cluster_dp_labels: string[];
  cluster_cache_key: string | null;
  cluster_telemetry_interval: number;
  cluster_mtls: ClusterMtlsMode;
  cluster_cert: string | null;
  cluster_cert_key: string | null;
  cluster_ca_cert: string | null;
  cluster_server_name: string | null;

  log_level: LogLevel;
  proxy_access_log: string;
  /** `<path> [basic]` or `off`. */
  proxy_stream_access_log: string;
  proxy_access_log_format: AccessLogFormat;
  proxy_error_log: string;
  syslog_socket: string;
  admin_access_log: string;

  worker_processes: number;
  router_flavor: RouterFlavor;
  route_match_calculation: RouteMatchCalculation;

  trusted_ips: string[];
  port_maps: string[];
  lua_max_req_headers: number;
  lua_max_resp_headers: number;
  lua_max_uri_args: number;
  lua_max_post_args: number;
  real_ip_header: string;
  real_ip_recursive: boolean;

  headers: string[];
  headers_upstream: string[];

  upstream_keepalive_pool_size: number;
  upstream_keepalive_max_requests: number;
  upstream_keepalive_idle_timeout: number;

  /** `off`, `all` or instrumentation names. */
  tracing_instrumentations: string[];
  tracing_sampling_rate: number;

  allow_debug_header: boolean;
  node_id: string | null;
  error_default_type: ErrorDefaultType;
  error_template_html: string | null;
  error_template_json: string | null;
  error_template_xml: string | null;
  error_template_plain: string | null;
  plugins: string[];
  /** Absolute directories external plugins are loaded from. */
  plugin_paths: string[];
  pluginserver_names: string[];
  mem_cache_size: string;
  /** Largest Admin API request body, as written (`10m`); see `sizeInBytes`. */
  nginx_admin_client_max_body_size: string;
  /** Seconds an Admin API audit record is kept (Kong EE's `audit_log_record_ttl`). */
  audit_log_record_ttl: number;
  /** The most audit records kept; the oldest go first. */
  audit_log_max_records: number;

  ssl_cert: string[];
  ssl_cert_key: string[];
  admin_ssl_cert: string[];
  admin_ssl_cert_key: string[];
  /** CA for verifying Admin API client certificates (mutual TLS); null leaves client certificates unasked. */
  admin_ssl_client_ca: string | null;
  ssl_protocols: string;
  lua_ssl_trusted_certificate: string[];

  pg_host: string;
  pg_port: number;
  pg_user: string;
  pg_password: string | null;
  pg_database: string;
  pg_ssl: boolean;
  /** Connect and query timeout, in milliseconds (Kong's `pg_timeout`). */
  pg_timeout: number;
  /** Kong's database, cache and runtime-internal settings (see their definitions for which apply here). */
  pg_schema: string | null;
  pg_ssl_verify: boolean;
  pg_max_concurrent_queries: number;
  pg_semaphore_timeout: number;
  /** Milliseconds an idle pooled connection is kept; 0 keeps it; null is the pool's default. */
  pg_keepalive_timeout: number | null;
  /** Connections in the store's pool; null is the default. */
  pg_pool_size: number | null;
  pg_backlog: number | null;
  pg_ro_host: string | null;
  pg_ro_port: number | null;
  pg_ro_timeout: number | null;
  pg_ro_user: string | null;
  pg_ro_password: string | null;
  pg_ro_database: string | null;
  pg_ro_schema: string | null;
  pg_ro_ssl: boolean | null;
  pg_ro_ssl_verify: boolean | null;
  pg_ro_max_concurrent_queries: number | null;
  pg_ro_semaphore_timeout: number | null;
  pg_ro_keepalive_timeout: number | null;
  pg_ro_pool_size: number | null;
  pg_ro_backlog: number | null;
  /** Seconds between checks of the database for changes other nodes made, besides their notifications. */
  db_update_frequency: number;
  db_update_propagation: number;
  db_cache_ttl: number;
  db_cache_neg_ttl: number | null;
  db_resurrect_ttl: number;
  db_cache_warmup_entities: string[];
  lua_package_path: string;
  lua_package_cpath: string | null;
  lua_socket_pool_size: number;
  lua_ssl_protocols: string;
  lua_ssl_verify_depth: number;
  openresty_path: string | null;
  lmdb_environment_path: string;
  lmdb_map_size: string;
  untrusted_lua: UntrustedLua;
  untrusted_lua_sandbox_requires: string[];
  untrusted_lua_sandbox_environment: string[];
  wasm: boolean;
  wasm_filters: string[];
  wasm_filters_path: string | null;
  new_dns_client: boolean;
  dedicated_config_processing: boolean;
  worker_consistency: WorkerConsistency;
  worker_state_update_frequency: number;
  anonymous_reports: boolean;
  request_debug: boolean;
  request_debug_token: string | null;
  /** Vault backends this node may read: `bundled`, names, or `off`. */
  vaults: string[];
  /** The `env` vault's default prefix (Kong's `vault_env_prefix`). */
  vault_env_prefix: string | null;

  // Kong's listener TLS, DNS, log, error template, port map and outbound proxy settings (network-definitions.ts).
  ssl_cipher_suite: SslCipherSuite;
  /** `openssl ciphers` list, used with `ssl_cipher_suite = custom`. */
  ssl_ciphers: string | null;
  ssl_prefer_server_ciphers: boolean;
  /** An ffdhe group name, an absolute file path, or PEM text. */
  ssl_dhparam: string | null;
  ssl_session_tickets: boolean;
  /** Seconds. */
  ssl_session_timeout: number;
  ssl_session_cache_size: string;
  status_ssl_cert: string[];
  status_ssl_cert_key: string[];
  debug_ssl_cert: string[];
  debug_ssl_cert_key: string[];
  client_ssl: boolean;
  client_ssl_cert: string | null;
  client_ssl_cert_key: string | null;
  admin_error_log: string;
  admin_gui_access_log: string;
  admin_gui_error_log: string;
  status_access_log: string;
  status_error_log: string;
  proxy_stream_error_log: string;
  /** Name servers as written (`ip[:port]`). */
  dns_resolver: string[];
  dns_hostsfile: string;
  /** Upper-case record types. */
  dns_order: string[];
  dns_valid_ttl: number | null;
  dns_stale_ttl: number;
  dns_cache_size: number;
  dns_not_found_ttl: number;
  dns_error_ttl: number;
  dns_no_sync: boolean;
  resolver_address: string[];
  resolver_hosts_file: string;
  resolver_family: string[];
  resolver_valid_ttl: number | null;
  resolver_stale_ttl: number;
  resolver_error_ttl: number;
  resolver_lru_cache_size: number;
  resolver_mem_cache_size: string;
  proxy_server: string | null;
  proxy_server_ssl_verify: boolean;
  cluster_use_proxy: boolean;
  admin_gui_csp_header: boolean;
}

export type SettingName = keyof SettingValues;

/** One of Kong's external plugin servers, as `pluginserver_<name>_*` configure it. */
export interface PluginServerSettings {
  readonly name: string;
  readonly socket: string;
  readonly startCmd: string;
  readonly queryCmd: string;
  /** The `--plugins-directory` of a `kong-js-pluginserver` command: Tollgate loads those plugins itself. */
  readonly pluginsDirectory: string;
}

/** A node's settings: every key, parsed, plus what is derived from them once at start. Frozen. */
export interface Settings extends SettingValues {
  proxy_listeners: ListenAddress[];
  /** `stream_listen`, parsed. */
  stream_listeners: StreamListenAddress[];
  admin_listeners: ListenAddress[];
  status_listeners: ListenAddress[];
  admin_gui_listeners: ListenAddress[];
  cluster_listeners: ListenAddress[];
  cluster_telemetry_listeners: ListenAddress[];
  proxy_ssl_enabled: boolean;
  /** Some `stream_listen` entry has `ssl` (Kong's name). */
  stream_proxy_ssl_enabled: boolean;
  admin_ssl_enabled: boolean;
  status_ssl_enabled: boolean;
  admin_gui_ssl_enabled: boolean;
  headersDownstream: DownstreamHeaders;
  headersUpstream: UpstreamHeaders;
  /** `mem_cache_size` in bytes. */
  memCacheSizeBytes: number;
  /** Kong's plugin servers (`pluginserver_names` with their `pluginserver_<name>_*` keys). */
  pluginServers: PluginServerSettings[];
  /** The configuration file that was read, or null when only defaults and the environment were used. */
  confPath: string | null;
  /** Settings given as vault references, by key: the reference (Kong's `$refs`); `GET /` shows these. */
  settingReferences: Readonly<Record<string, string>>;
  /**
   * Kong's injected nginx directives (`nginx_http_*`, `nginx_proxy_*`, ...) that were given, with where from:
   * Tollgate runs no nginx, so they are accepted (a Kong configuration starts unchanged) and the node warns.
   */
  ignoredNginxDirectives: readonly string[];
  /** Kong's warnings for deprecated settings that were given (`the 'worker_consistency' configuration property is deprecated`). */
  deprecations: readonly string[];
}
