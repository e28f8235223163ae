import { ServerCertificates } from '../tls/server-certificates.ts';
import { buildRouter, type RouteMatchCalculation } from '../router/index.ts';
import type { RouterEntry, RouterFlavor } from '../router/types.ts';
import { RoundRobin } from '../balancer/round-robin.ts';
import { ConnectionPools, type OriginOptions } from '../balancer/connection-pools.ts';
import { PLUGIN_HANDLERS } from '../plugins/index.ts';
import type { PluginHandler } from '../pdk/index.ts';
import { buildConfigData, PluginChainBuilder } from './plugin-chains.ts';
import type {
  PeerPicker,
  ProxyEntry,
  ServiceFields,
  Snapshot,
  SnapshotInput,
  TargetFields,
  UpstreamFields,
  UpstreamPeer,
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
  /** Told about a certificate that could not be loaded (its names then get the default certificate). */
  onCertificateError?: (certificateId: string, error: Error) => void;
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, grpc: 80, grpcs: 443, ws: 80, wss: 443 };

/** `host` or `host:port` when the port is not the scheme's default; IPv6 gets brackets. */
function hostHeaderFor(protocol: string, host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return DEFAULT_PORTS[protocol] === port ? h : `${h}:${port}`;
}

function splitTarget(target: string): { host: string; port: number } {
  if (target.startsWith('[')) {
    const end = target.indexOf(']');
    return { host: target.slice(1, end), port: Number(target.slice(end + 2)) };
  }
  const colon = target.lastIndexOf(':');
  return { host: target.slice(0, colon), port: Number(target.slice(colon + 1)) };
}

class SinglePeer implements PeerPicker {
  readonly #peer: UpstreamPeer;
  readonly unavailableMessage = 'The upstream server is currently unavailable';
  constructor(peer: UpstreamPeer) {
    this.#peer = peer;
  }
  pick(): UpstreamPeer {
    return this.#peer;
  }
}

class BalancedPeers implements PeerPicker {
  readonly #rr: RoundRobin<UpstreamPeer>;
  readonly unavailableMessage = 'failure to get a peer from the ring-balancer';
  constructor(peers: UpstreamPeer[], weights: number[]) {
    this.#rr = new RoundRobin(peers, weights);
  }
  pick(): UpstreamPeer | undefined {
    return this.#rr.pick();
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
  /** A service's client certificate, trust anchors and verify depth (Kong's upstream TLS fields). */
  const tlsMaterialFor = (service: ServiceFields): Pick<OriginOptions, 'ca' | 'clientCertificate' | 'verifyDepth'> => {
    if (service.protocol !== 'https' && service.protocol !== 'grpcs') return {};
    const client = service.client_certificate ? certificatesById.get(service.client_certificate.id) : undefined;
    const ca = (service.ca_certificates ?? []).map((id) => caCertificatesById.get(id)).filter((pem) => pem !== undefined);
    return {
      ca: ca.length > 0 ? ca : null,
      clientCertificate: client === undefined ? null : { cert: client.cert, key: client.key },
      verifyDepth: service.tls_verify_depth ?? null,
    };
  };

  const pickers = new Map<string, PeerPicker>();
  const pickerFor = (service: ServiceFields): PeerPicker => {
    let picker = pickers.get(service.id);
    if (picker !== undefined) return picker;
    const scheme = service.protocol === 'https' || service.protocol === 'grpcs' ? 'https' : 'http';
    const upstream = upstreamsByName.get(service.host);
    if (upstream !== undefined) {
      const targets = targetsByUpstream.get(upstream.id) ?? [];
      const tlsMaterial = tlsMaterialFor(service);
      const peers: UpstreamPeer[] = [];
      const weights: number[] = [];
      for (const t of targets) {
        const { host, port } = splitTarget(t.target);
        const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
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
        });
        weights.push(t.weight);
      }
      picker = new BalancedPeers(peers, weights);
    } else {
      const authority = service.host.includes(':') ? `[${service.host}]:${service.port}` : `${service.host}:${service.port}`;
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
      });
    }
    pickers.set(service.id, picker);
    return picker;
  };

  const servicesById = new Map<string, ServiceFields>();
  for (const s of input.services) servicesById.set(s.id, s);

  const chains = new PluginChainBuilder(
    input.plugins,
    options.handlers ?? PLUGIN_HANDLERS,
    buildConfigData(input.consumers, input.keyauth_credentials),
  );

  const entries: RouterEntry<ProxyEntry>[] = [];
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
    });
    entries.push({ route, servicePath: service?.path ?? null, payload: entry });
  }

  return Object.freeze({
    hash: options.hash,
    router: buildRouter(entries, { flavor: options.flavor, routeMatchCalculation: options.routeMatchCalculation }),
    routeCount: entries.length,
    poolKeys,
    certificates: ServerCertificates.build(
      input.certificates ?? [],
      input.snis ?? [],
      options.previousCertificates ?? null,
      options.onCertificateError,
    ),
  });
}
