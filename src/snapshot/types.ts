import type { BalancerRequest, TargetBalancer } from '../balancer/types.ts';
import type { PassiveCheck } from '../health/settings.ts';
import type { UpstreamPool } from '../balancer/upstream-pool.ts';
import type { CertificateFields, ServerCertificates, SniFields } from '../tls/server-certificates.ts';
import type { Router, RouterRoute } from '../router/types.ts';
import type { GlobalPhases, PluginChain } from './plugin-chains.ts';
import type { StreamRouter } from '../stream/router.ts';
import type { StreamEntry } from '../stream/entry.ts';
import type { PluginConfigData } from '../pdk/index.ts';

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
  /** Kong's balancing fields; absent ones take the entity defaults (round-robin, no hashing). */
  algorithm?: string;
  hash_on?: string;
  hash_fallback?: string;
  hash_on_header?: string | null;
  hash_fallback_header?: string | null;
  hash_on_cookie?: string | null;
  hash_on_cookie_path?: string | null;
  hash_on_query_arg?: string | null;
  hash_fallback_query_arg?: string | null;
  hash_on_uri_capture?: string | null;
  hash_fallback_uri_capture?: string | null;
  slots?: number;
  healthchecks?: unknown;
  /** Presented to targets by services that have no client_certificate of their own. */
  client_certificate?: { id: string } | null;
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

export interface ConsumerGroupFields {
  id: string;
  name: string;
}

export interface ConsumerGroupMemberFields {
  consumer_group: { id: string };
  consumer: { id: string };
}

export interface PluginFields {
  id: string;
  name: string;
  route: { id: string } | null;
  service: { id: string } | null;
  consumer: { id: string } | null;
  /** Absent in inputs that predate consumer groups. */
  consumer_group?: { id: string } | null;
  config: Readonly<Record<string, unknown>>;
  protocols: readonly string[];
  enabled: boolean;
  /** Kong's dynamic ordering of the access phase (absent in inputs that predate it). */
  ordering?: PluginOrdering | null;
}

export interface PluginOrdering {
  before?: { readonly access?: readonly string[] | null } | null;
  after?: { readonly access?: readonly string[] | null } | null;
}

export interface SnapshotInput {
  services: readonly ServiceFields[];
  routes: readonly RouteFields[];
  upstreams: readonly UpstreamFields[];
  targets: readonly TargetFields[];
  plugins: readonly PluginFields[];
  consumers: readonly ConsumerFields[];
  /** Consumer groups and their members (absent in inputs that predate them). */
  consumer_groups?: readonly ConsumerGroupFields[];
  consumer_group_consumers?: readonly ConsumerGroupMemberFields[];
  /** Served by TLS server name; absent in inputs that predate them. */
  certificates?: readonly CertificateFields[];
  snis?: readonly SniFields[];
  /** Trust anchors for services' `ca_certificates`. */
  ca_certificates?: readonly { id: string; cert: string }[];
  /**
   * Every other registered collection, plugins' included (their credentials), as the configuration has
   * them; plugins read them through `PluginConfigData`. Absent means empty.
   */
  readonly [collection: string]: readonly object[] | undefined;
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
  /** Index of the upstream target this peer is (0 for a service without upstream). */
  target: number;
}

/** Chooses a peer per try. */
export interface PeerPicker {
  /** Whether `pick` reads the request (consistent hashing); otherwise it may be given null. */
  readonly hashes: boolean;
  /** A peer, or undefined when none can be had. `tried` lists the targets this request already failed on. */
  pick(request: BalancerRequest | null, tried: readonly number[] | null): UpstreamPeer | undefined;
  /** Called once when a try ends (see TargetBalancer.release); null when the algorithm keeps no per-try state. */
  readonly release: ((peer: UpstreamPeer, ms: number) => void) | null;
  /** Passive health checks of the upstream, or null when it has none. */
  readonly passive: PassiveReporting | null;
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
   * How to reach a peer a plugin names itself (`kong.service.set_target`, `set_scheme`): the service's scheme,
   * connect timeout and TLS settings. Null without a service.
   */
  readonly origin: PeerOrigin | null;
  /**
   * Why this route is refused with 503 instead of proxied, or null. A data plane that lacks a plugin the
   * route uses refuses the route rather than serve it without the plugin (never drop an auth plugin).
   */
  readonly refusal: string | null;
}

/** A service's connection settings, for peers chosen per request. */
export interface PeerOrigin {
  readonly scheme: 'http' | 'https';
  readonly connectTimeout: number;
  readonly tlsVerify: boolean;
  readonly ca: readonly string[] | null;
  readonly clientCertificate: { cert: string; key: string } | null;
  readonly verifyDepth: number | null;
}

export interface Snapshot {
  /** Hash of the configuration this snapshot was compiled from (32 hex chars; zeros when empty). */
  readonly hash: string;
  readonly router: Router<ProxyEntry>;
  readonly routeCount: number;
  /** Routes with protocols tcp, tls, tls_passthrough, udp, for the stream proxy (`stream_listen`). */
  readonly stream: StreamRouter<StreamEntry>;
  /** Keys of the connection pools this snapshot uses, so that unused pools can be closed after a swap. */
  readonly poolKeys: ReadonlySet<string>;
  /** Certificates served by TLS server name on `ssl` listeners. */
  readonly certificates: ServerCertificates;
  /** Each upstream's balancer by upstream id, kept by the next snapshot when the upstream and its targets are unchanged. */
  readonly balancers: ReadonlyMap<string, KeptBalancer>;
  /** Global plugins' phases that run before a route is known (certificate, rewrite). */
  readonly globalPlugins: GlobalPhases;
  /** The configuration's entities as plugins see them (`kong.client.load_consumer`). */
  readonly configData: PluginConfigData;
}

/** A balancer and what it was built from (algorithm, hashing fields, targets), to reuse it when unchanged. */
export interface KeptBalancer {
  readonly fingerprint: string;
  readonly balancer: TargetBalancer;
  /** `healthKey(upstream id, host:port)` of each target, by index: how health announcements name them. */
  readonly healthKeys: readonly string[];
  /** Each target's weight, by index. */
  readonly weights: readonly number[];
  /**
   * `healthchecks.threshold`: the percentage of the total weight that must be healthy; below it the whole
   * upstream is unhealthy and takes no requests.
   */
  readonly threshold: number;
}

/** Where a service's proxied outcomes are reported when its upstream has passive health checks. */
export interface PassiveReporting {
  readonly upstreamId: string;
  readonly check: PassiveCheck;
}
