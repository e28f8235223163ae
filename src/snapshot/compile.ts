import { ServerCertificates } from '../tls/server-certificates.ts';
import { isStreamRoute, StreamRouter, type StreamRouterEntry } from '../stream/router.ts';
import type { StreamEntry } from '../stream/entry.ts';
import { StreamAccessRules } from '../stream/access.ts';
import { buildRouter, type RouteMatchCalculation } from '../router/index.ts';
import type { PeerOrigin } from './types.ts';
import type { RouterEntry, RouterFlavor } from '../router/types.ts';
import {
  ConsistentHashingBalancer,
  LatencyBalancer,
  LeastConnectionsBalancer,
  RoundRobinBalancer,
} from '../balancer/algorithms.ts';
import { compileHashInput } from '../balancer/hash-input.ts';
import { healthKey, splitTargetString, targetKey } from '../balancer/target-address.ts';
import { healthThreshold, healthyWeightPercent, readHealthSettings } from '../health/settings.ts';
import type { BalancerRequest, BalancerTarget, TargetBalancer } from '../balancer/types.ts';
import { ConnectionPools, type OriginOptions } from '../balancer/connection-pools.ts';
import { PLUGIN_HANDLERS } from '../plugins/index.ts';
import type { EntityRecord, PluginHandler } from '../pdk/index.ts';
import { buildConfigData, groupsByConsumer, PluginChainBuilder } from './plugin-chains.ts';
import type {
  PeerPicker,
  ProxyEntry,
  ServiceFields,
  Snapshot,
  SnapshotInput,
  TargetFields,
  UpstreamFields,
  UpstreamPeer,
  KeptBalancer,
  PassiveReporting,
} from './types.ts';

export const EMPTY_HASH = '00000000000000000000000000000000';

export interface CompileOptions {
  flavor: RouterFlavor;
  /** traditional_compatible ranking (default `strict`, the documented order). */
  routeMatchCalculation?: RouteMatchCalculation;
  pools: ConnectionPools;
  hash: string;
  /** Plugin handlers by name (default: every bundled plugin). */
  handlers?: ReadonlyMap<string, PluginHandler>;
  /** Routes to refuse with 503, by route id, with the reason (see ProxyEntry.refusal). */
  refusals?: Readonly<Record<string, string>>;
  /** The certificates of the snapshot being replaced: unchanged ones are reused, not compiled again. */
  previousCertificates?: ServerCertificates | null;
  /**
   * The balancers of the snapshot being replaced: an upstream whose algorithm and targets are unchanged
   * keeps its balancer, with its counts (requests in flight, latencies) and its place in the rotation.
   */
  previousBalancers?: ReadonlyMap<string, KeptBalancer> | null;
  /** Told about a certificate that could not be loaded (its names then get the default certificate). */
  onCertificateError?: (certificateId: string, error: Error) => void;
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, grpc: 80, grpcs: 443, ws: 80, wss: 443 };

/** `host` or `host:port` when the port is not the scheme's default; IPv6 gets brackets. */
function hostHeaderFor(protocol: string, host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return DEFAULT_PORTS[protocol] === port ? h : `${h}:${port}`;
}

class SinglePeer implements PeerPicker {
  readonly #peer: UpstreamPeer;
  readonly hashes = false;
  readonly release = null;
  readonly passive = null;
  readonly unavailableMessage = 'The upstream server is currently unavailable';
  constructor(peer: UpstreamPeer) {
    this.#peer = peer;
  }
  pick(): UpstreamPeer {
    return this.#peer;
  }
}

/** A service's peers over its upstream's targets, chosen by the upstream's balancer. */
class BalancedPeers implements PeerPicker {
  readonly #peers: readonly UpstreamPeer[];
  readonly #balancer: TargetBalancer;
  readonly hashes: boolean;
  readonly release: ((peer: UpstreamPeer, ms: number) => void) | null;
  readonly passive: PassiveReporting | null;
  readonly unavailableMessage = 'failure to get a peer from the ring-balancer';
  constructor(peers: readonly UpstreamPeer[], balancer: TargetBalancer, passive: PassiveReporting | null) {
    this.#peers = peers;
    this.#balancer = balancer;
    this.passive = passive;
    this.hashes = balancer.hashes;
    const release = balancer.release;
    this.release = release === null ? null : (peer, ms) => release(peer.target, ms);
  }
  pick(request: BalancerRequest | null, tried: readonly number[] | null): UpstreamPeer | undefined {
    const i = this.#balancer.pick(request, tried);
    return i === -1 ? undefined : this.#peers[i];
  }
}

/** Everything an upstream's balancer is built from; equal fingerprints give interchangeable balancers. */
function balancerFingerprint(upstream: UpstreamFields, targets: readonly BalancerTarget[]): string {
  const { algorithm, hash_on, hash_fallback, hash_on_header, hash_fallback_header, hash_on_cookie, hash_on_cookie_path } = upstream;
  const { hash_on_query_arg, hash_fallback_query_arg, hash_on_uri_capture, hash_fallback_uri_capture, slots } = upstream;
  return JSON.stringify([
    [algorithm, hash_on, hash_fallback, hash_on_header, hash_fallback_header, hash_on_cookie, hash_on_cookie_path],
    [hash_on_query_arg, hash_fallback_query_arg, hash_on_uri_capture, hash_fallback_uri_capture, slots],
    targets.map((t) => [t.host, t.port, t.weight]),
    healthThreshold(upstream.healthchecks),
  ]);
}

/** The balancer of an upstream's algorithm, shared by every service that points at the upstream. */
function balancerFor(upstream: UpstreamFields, targets: readonly BalancerTarget[]): TargetBalancer {
  switch (upstream.algorithm) {
    case 'consistent-hashing':
      return new ConsistentHashingBalancer(targets, upstream.slots ?? 10_000, compileHashInput(upstream));
    case 'least-connections':
      return new LeastConnectionsBalancer(targets);
    case 'latency':
      return new LatencyBalancer(targets);
    default:
      return new RoundRobinBalancer(targets);
  }
}

/**
 * Compiles a validated configuration into a snapshot. Pure apart from the connection pools, which are
 * looked up in (and shared through) `options.pools`.
 */
export function compileSnapshot(input: SnapshotInput, options: CompileOptions): Snapshot {
  const poolKeys = new Set<string>();
  const usePool = (o: OriginOptions) => {
    poolKeys.add(ConnectionPools.key(o));
    return options.pools.get(o);
  };

  const upstreamsByName = new Map<string, UpstreamFields>();
  for (const u of input.upstreams) upstreamsByName.set(u.name, u);
  const targetsByUpstream = new Map<string, TargetFields[]>();
  for (const t of input.targets) {
    const list = targetsByUpstream.get(t.upstream.id);
    if (list === undefined) targetsByUpstream.set(t.upstream.id, [t]);
    else list.push(t);
  }

  const certificatesById = new Map((input.certificates ?? []).map((c) => [c.id, c]));
  const caCertificatesById = new Map((input.ca_certificates ?? []).map((c) => [c.id, c.cert]));
  /**
   * A service's client certificate, trust anchors and verify depth (Kong's upstream TLS fields). A service
   * without a client certificate presents its upstream's, as in Kong.
   */
  const tlsMaterialFor = (service: ServiceFields, upstream?: UpstreamFields): Pick<OriginOptions, 'ca' | 'clientCertificate' | 'verifyDepth'> => {
    if (service.protocol !== 'https' && service.protocol !== 'grpcs') return {};
    const clientRef = service.client_certificate ?? upstream?.client_certificate ?? null;
    const client = clientRef ? certificatesById.get(clientRef.id) : undefined;
    const ca = (service.ca_certificates ?? []).map((id) => caCertificatesById.get(id)).filter((pem) => pem !== undefined);
    return {
      ca: ca.length > 0 ? ca : null,
      clientCertificate: client === undefined ? null : { cert: client.cert, key: client.key },
      verifyDepth: service.tls_verify_depth ?? null,
    };
  };

  const pickers = new Map<string, PeerPicker>();
  const balancers = new Map<string, KeptBalancer>();
  const pickerFor = (service: ServiceFields): PeerPicker => {
    let picker = pickers.get(service.id);
    if (picker !== undefined) return picker;
    const scheme = service.protocol === 'https' || service.protocol === 'grpcs' ? 'https' : 'http';
    const upstream = upstreamsByName.get(service.host);
    if (upstream !== undefined) {
      const targets = targetsByUpstream.get(upstream.id) ?? [];
      const tlsMaterial = tlsMaterialFor(service, upstream);
      const peers: UpstreamPeer[] = [];
      const balancerTargets: BalancerTarget[] = [];
      for (const t of targets) {
        const { host, port } = splitTargetString(t.target);
        const authority = targetKey(host, port);
        peers.push({
          pool: usePool({
            origin: `${scheme}://${authority}`,
            connectTimeout: service.connect_timeout,
            tlsVerify: service.tls_verify === true,
            servername: scheme === 'https' ? (upstream.host_header ?? host) : null,
            ...tlsMaterial,
          }),
          hostHeader: upstream.host_header ?? hostHeaderFor(service.protocol, host, port),
          address: authority,
          host,
          port,
          tls: scheme === 'https',
          servername: scheme === 'https' ? (upstream.host_header ?? host) : null,
          target: peers.length,
        });
        balancerTargets.push({ host, port, weight: t.weight });
      }
      let kept = balancers.get(upstream.id);
      if (kept === undefined) {
        const fingerprint = balancerFingerprint(upstream, balancerTargets);
        const previous = options.previousBalancers?.get(upstream.id);
        kept =
          previous?.fingerprint === fingerprint
            ? previous
            : {
                fingerprint,
                balancer: balancerFor(upstream, balancerTargets),
                healthKeys: balancerTargets.map((t) => healthKey(upstream.id, targetKey(t.host, t.port))),
                weights: balancerTargets.map((t) => t.weight),
                threshold: healthThreshold(upstream.healthchecks),
              };
        balancers.set(upstream.id, kept);
      }
      const passive = readHealthSettings(upstream.healthchecks).passive;
      picker = new BalancedPeers(peers, kept.balancer, passive === null ? null : { upstreamId: upstream.id, check: passive });
    } else {
      const authority = targetKey(service.host, service.port);
      picker = new SinglePeer({
        pool: usePool({
          origin: `${scheme}://${authority}`,
          connectTimeout: service.connect_timeout,
          tlsVerify: service.tls_verify === true,
          servername: scheme === 'https' ? service.host : null,
          ...tlsMaterialFor(service),
        }),
        hostHeader: hostHeaderFor(service.protocol, service.host, service.port),
        address: authority,
        host: service.host,
        port: service.port,
        tls: scheme === 'https',
        servername: scheme === 'https' ? service.host : null,
        target: 0,
      });
    }
    pickers.set(service.id, picker);
    return picker;
  };

  const origins = new Map<string, PeerOrigin>();
  const originFor = (service: ServiceFields): PeerOrigin => {
    let origin = origins.get(service.id);
    if (origin === undefined) {
      const tls = service.protocol === 'https' || service.protocol === 'grpcs';
      // The service's own trust and client certificate, even when a plugin switches an http service to https.
      const material = tlsMaterialFor({ ...service, protocol: 'https' }, upstreamsByName.get(service.host));
      origin = Object.freeze({
        scheme: tls ? 'https' : 'http',
        connectTimeout: service.connect_timeout,
        tlsVerify: service.tls_verify === true,
        ca: material.ca ?? null,
        clientCertificate: material.clientCertificate ?? null,
        verifyDepth: material.verifyDepth ?? null,
      });
      origins.set(service.id, origin);
    }
    return origin;
  };

  const servicesById = new Map<string, ServiceFields>();
  for (const s of input.services) servicesById.set(s.id, s);

  const configData = buildConfigData(input);
  const chains = new PluginChainBuilder(input.plugins, options.handlers ?? PLUGIN_HANDLERS, configData, groupsByConsumer(input));

  const entries: RouterEntry<ProxyEntry>[] = [];
  const streamEntries: StreamRouterEntry<StreamEntry>[] = [];
  const streamAccess = new StreamAccessRules(input.plugins);
  for (const route of input.routes) {
    const service = route.service === null ? null : (servicesById.get(route.service.id) ?? null);
    // A disabled service takes its routes out of the router, as in Kong.
    if (service !== null && !service.enabled) continue;
    const protocols = route.protocols;
    const entry: ProxyEntry = Object.freeze({
      route,
      service,
      peers: service === null ? null : pickerFor(service),
      httpsOnly: protocols.includes('https') && !protocols.includes('http'),
      redirectStatus: route.https_redirect_status_code,
      preserveHost: route.preserve_host,
      retries: service === null ? 0 : service.retries,
      readTimeout: service === null ? 60_000 : service.read_timeout,
      writeTimeout: service === null ? 60_000 : service.write_timeout,
      plugins: chains.chainFor(route.id, service === null ? null : service.id),
      refusal: options.refusals?.[route.id] ?? null,
      origin: service === null ? null : originFor(service),
    });
    entries.push({ route, servicePath: service?.path ?? null, payload: entry });
    if (isStreamRoute(route)) streamEntries.push({ route, payload: streamEntryFor(entry, streamAccess) });
  }

  return Object.freeze({
    hash: options.hash,
    router: buildRouter(entries, { flavor: options.flavor, routeMatchCalculation: options.routeMatchCalculation }),
    routeCount: entries.length,
    stream: new StreamRouter(streamEntries),
    poolKeys,
    certificates: ServerCertificates.build(
      input.certificates ?? [],
      input.snis ?? [],
      options.previousCertificates ?? null,
      options.onCertificateError,
    ),
    balancers,
    globalPlugins: chains.global,
    configData,
  });
}

/** A stream route's entry, from the HTTP entry built for it (same peers, hence same balancers and health). */
function streamEntryFor(entry: ProxyEntry, access: StreamAccessRules): StreamEntry {
  return Object.freeze({
    route: entry.route,
    service: entry.service,
    peers: entry.peers,
    upstreamTls: entry.service?.protocol === 'tls',
    origin: entry.origin,
    readTimeout: entry.readTimeout,
    writeTimeout: entry.writeTimeout,
    refusal: entry.refusal,
    access: access.for(entry.route.id, entry.service?.id ?? null),
  });
}

/**
 * Marks the targets the health checks found unhealthy in every balancer of `snapshot` (and clears the
 * others). An upstream whose healthy weight falls below its threshold has every target marked.
 */
export function applyHealth(snapshot: Snapshot, unhealthy: ReadonlySet<string>): void {
  for (const kept of snapshot.balancers.values()) {
    const down = kept.balancer.down;
    for (let i = 0; i < kept.healthKeys.length; i++) down[i] = unhealthy.has(kept.healthKeys[i]) ? 1 : 0;
    if (kept.threshold > 0 && healthyWeightPercent(kept.weights, down) < kept.threshold) down.fill(1);
  }
}
