import type { UpstreamPool } from '../balancer/upstream-pool.ts';
import type { CertificateFields, ServerCertificates, SniFields } from '../tls/server-certificates.ts';
import type { Router, RouterRoute } from '../router/types.ts';
import type { PluginChain } from './plugin-chains.ts';

/**
 * The compiled, frozen form of one configuration: everything a proxy worker needs per request, built once
 * when the configuration changes.
 */

/** The entity fields the snapshot compiler reads; the declarative loader's entities satisfy these shapes. */
export interface ServiceFields {
  id: string;
  name: string | null;
  protocol: string;
  host: string;
  port: number;
  path: string | null;
  retries: number;
  connect_timeout: number;
  write_timeout: number;
  read_timeout: number;
  enabled: boolean;
  tls_verify: boolean | null;
  tls_verify_depth?: number | null;
  client_certificate?: { id: string } | null;
  ca_certificates?: readonly string[] | null;
}

export interface RouteFields extends RouterRoute {
  service: { id: string } | null;
  https_redirect_status_code: number;
}

export interface UpstreamFields {
  id: string;
  name: string;
  host_header: string | null;
}

export interface TargetFields {
  id: string;
  target: string;
  weight: number;
  upstream: { id: string };
}

export interface ConsumerFields {
  id: string;
  username: string | null;
  custom_id: string | null;
}

export interface PluginFields {
  id: string;
  name: string;
  route: { id: string } | null;
  service: { id: string } | null;
  consumer: { id: string } | null;
  config: Readonly<Record<string, unknown>>;
  protocols: readonly string[];
  enabled: boolean;
}

export interface KeyauthCredentialFields {
  id: string;
  consumer: { id: string };
  key: string | null;
}

export interface SnapshotInput {
  services: readonly ServiceFields[];
  routes: readonly RouteFields[];
  upstreams: readonly UpstreamFields[];
  targets: readonly TargetFields[];
  plugins: readonly PluginFields[];
  consumers: readonly ConsumerFields[];
  keyauth_credentials: readonly KeyauthCredentialFields[];
  /** Served by TLS server name; absent in inputs that predate them. */
  certificates?: readonly CertificateFields[];
  snis?: readonly SniFields[];
  /** Trust anchors for services' `ca_certificates`. */
  ca_certificates?: readonly { id: string; cert: string }[];
}

/** One place a request can be sent: a pool and the Host header that goes with it. */
export interface UpstreamPeer {
  pool: UpstreamPool;
  /** Where to open raw connections (WebSocket upgrades). */
  host: string;
  port: number;
  tls: boolean;
  /** SNI for raw TLS connections, or null. */
  servername: string | null;
  /** Host header sent upstream unless the route preserves the client's. */
  hostHeader: string;
  /** `host:port`, for logs and errors. */
  address: string;
}

/** Chooses a peer per try; `attempt` is 0 for the first try. */
export interface PeerPicker {
  pick(attempt: number): UpstreamPeer | undefined;
  /** Message for the 503 when no peer can be had (Kong's words). */
  readonly unavailableMessage: string;
}

/** Everything about a route known before a request arrives. */
export interface ProxyEntry {
  readonly route: RouteFields;
  readonly service: ServiceFields | null;
  readonly peers: PeerPicker | null;
  /** Route accepts https but not http: plain-HTTP requests get a redirect or 426. */
  readonly httpsOnly: boolean;
  readonly redirectStatus: number;
  readonly preserveHost: boolean;
  readonly retries: number;
  readonly readTimeout: number;
  readonly writeTimeout: number;
  /** The route's plugins per phase, or null when none applies (the hot path's one check). */
  readonly plugins: PluginChain | null;
  /**
   * Why this route is refused with 503 instead of proxied, or null. A data plane that lacks a plugin the
   * route uses refuses the route rather than serve it without the plugin (never drop an auth plugin).
   */
  readonly refusal: string | null;
}

export interface Snapshot {
  /** Hash of the configuration this snapshot was compiled from (32 hex chars; zeros when empty). */
  readonly hash: string;
  readonly router: Router<ProxyEntry>;
  readonly routeCount: number;
  /** Keys of the connection pools this snapshot uses, so that unused pools can be closed after a swap. */
  readonly poolKeys: ReadonlySet<string>;
  /** Certificates served by TLS server name on `ssl` listeners. */
  readonly certificates: ServerCertificates;
}
