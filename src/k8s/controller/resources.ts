/** The kinds the controller watches, and where the Kubernetes API serves them. */
export interface ResourceKind {
  kind: string;
  group: string;
  version: string;
  plural: string;
}

export const WATCHED_KINDS: readonly ResourceKind[] = [
  { kind: 'Ingress', group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' },
  { kind: 'IngressClass', group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses' },
  { kind: 'Service', group: '', version: 'v1', plural: 'services' },
  { kind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' },
  { kind: 'Secret', group: '', version: 'v1', plural: 'secrets' },
  // Their labels are what Gateway listeners with `allowedRoutes.namespaces.from: Selector` match.
  { kind: 'Namespace', group: '', version: 'v1', plural: 'namespaces' },
  { kind: 'KongPlugin', group: 'configuration.konghq.com', version: 'v1', plural: 'kongplugins' },
  { kind: 'KongClusterPlugin', group: 'configuration.konghq.com', version: 'v1', plural: 'kongclusterplugins' },
  { kind: 'KongConsumer', group: 'configuration.konghq.com', version: 'v1', plural: 'kongconsumers' },
  { kind: 'KongConsumerGroup', group: 'configuration.konghq.com', version: 'v1beta1', plural: 'kongconsumergroups' },
  { kind: 'KongUpstreamPolicy', group: 'configuration.konghq.com', version: 'v1beta1', plural: 'kongupstreampolicies' },
  { kind: 'KongIngress', group: 'configuration.konghq.com', version: 'v1', plural: 'kongingresses' },
  { kind: 'GatewayClass', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gatewayclasses' },
  { kind: 'Gateway', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways' },
  { kind: 'HTTPRoute', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' },
  { kind: 'GRPCRoute', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'grpcroutes' },
  { kind: 'TCPIngress', group: 'configuration.konghq.com', version: 'v1beta1', plural: 'tcpingresses' },
  { kind: 'UDPIngress', group: 'configuration.konghq.com', version: 'v1beta1', plural: 'udpingresses' },
  // The Gateway API's experimental channel: clusters without these CRDs answer 404, which the reflector tolerates.
  { kind: 'TCPRoute', group: 'gateway.networking.k8s.io', version: 'v1alpha2', plural: 'tcproutes' },
  { kind: 'UDPRoute', group: 'gateway.networking.k8s.io', version: 'v1alpha2', plural: 'udproutes' },
  { kind: 'TLSRoute', group: 'gateway.networking.k8s.io', version: 'v1alpha2', plural: 'tlsroutes' },
  { kind: 'ReferenceGrant', group: 'gateway.networking.k8s.io', version: 'v1beta1', plural: 'referencegrants' },
];

export function apiVersionOf(r: ResourceKind): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** The collection across all namespaces (or of a cluster-scoped kind). */
export function collectionPath(r: ResourceKind): string {
  return r.group === '' ? `/api/${r.version}/${r.plural}` : `/apis/${r.group}/${r.version}/${r.plural}`;
}
