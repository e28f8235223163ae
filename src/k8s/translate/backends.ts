/**
 * Kubernetes Services as Kong services and upstreams, KIC's way: one Kong service and one upstream per Service
 * and port (`<namespace>.<service>.<port>` and `<service>.<namespace>.<port>.svc`), the ready endpoints of its
 * EndpointSlices as targets (so traffic skips kube-proxy), or the Service's own address with
 * `ingress.kubernetes.io/service-upstream: "true"`; KongUpstreamPolicy and KongIngress `upstream` sections shape
 * the upstream.
 */
import { isObject, type Json, type K8sObject } from '../objects.ts';
import { applyKongIngress, applyServiceAnnotations, kongIngressFor, PREFIX } from './annotations.ts';
import { applyServiceTls, hostHeaderOf } from './service-tls.ts';
import { asArray, asString, field, snakeKeys, tagsFor, type Entity, type KongService, type KongUpstream, type TranslationState } from './state.ts';

/** A Service port as a route names it: by number or by name. */
export type PortRef = { number: number } | { name: string };

export function portRefOf(value: Json | undefined): PortRef | null {
  if (!isObject(value)) return null;
  if (typeof value.number === 'number') return { number: value.number };
  if (typeof value.name === 'string') return { name: value.name };
  return null;
}

/** KIC's canonical port string: the number, or the name. */
function canonical(port: PortRef): string {
  return 'number' in port ? String(port.number) : port.name;
}

interface ServicePort {
  name: string;
  port: number;
  targetPort: number | string | null;
}

function servicePorts(service: K8sObject): ServicePort[] {
  return asArray(field(service, 'spec.ports')).flatMap((p) => {
    if (!isObject(p) || typeof p.port !== 'number') return [];
    const target = typeof p.targetPort === 'number' || typeof p.targetPort === 'string' ? p.targetPort : null;
    return [{ name: typeof p.name === 'string' ? p.name : '', port: p.port, targetPort: target }];
  });
}

/** Ready endpoints of the Service's EndpointSlices for one Service port, as `ip:port`. */
function endpointTargets(state: TranslationState, service: K8sObject, port: ServicePort): string[] {
  const out = new Set<string>();
  for (const slice of state.all('EndpointSlice')) {
    if (slice.metadata.namespace !== service.metadata.namespace) continue;
    if (slice.metadata.labels['kubernetes.io/service-name'] !== service.metadata.name) continue;
    const slicePort = asArray(field(slice, 'ports')).find((p) => isObject(p) && (asString(p.name) ?? '') === port.name);
    if (!isObject(slicePort) || typeof slicePort.port !== 'number') continue;
    for (const endpoint of asArray(field(slice, 'endpoints'))) {
      if (!isObject(endpoint)) continue;
      // An endpoint without conditions is ready (the API's default).
      const ready = isObject(endpoint.conditions) ? endpoint.conditions.ready !== false : true;
      if (!ready) continue;
      for (const address of asArray(endpoint.addresses)) {
        if (typeof address === 'string') out.add(address.includes(':') ? `[${address}]:${slicePort.port}` : `${address}:${slicePort.port}`);
      }
    }
  }
  return [...out].sort();
}

/** KongUpstreamPolicy `spec` as Kong upstream fields. */
function upstreamPolicyFields(policy: K8sObject): Entity {
  const spec = field(policy, 'spec');
  if (!isObject(spec)) return {};
  const out: Entity = {};
  if (typeof spec.algorithm === 'string') out.algorithm = spec.algorithm;
  if (typeof spec.slots === 'number') out.slots = spec.slots;
  const hash = (value: Json | undefined, prefix: 'hash_on' | 'hash_fallback'): void => {
    if (!isObject(value)) return;
    if (typeof value.input === 'string') out[prefix] = value.input;
    else if (typeof value.header === 'string') {
      out[prefix] = 'header';
      out[`${prefix}_header`] = value.header;
    } else if (typeof value.cookie === 'string') {
      out[prefix] = 'cookie';
      out.hash_on_cookie = value.cookie;
      if (typeof value.cookiePath === 'string') out.hash_on_cookie_path = value.cookiePath;
    } else if (typeof value.queryArg === 'string') {
      out[prefix] = 'query_arg';
      out[`${prefix}_query_arg`] = value.queryArg;
    } else if (typeof value.uriCapture === 'string') {
      out[prefix] = 'uri_capture';
      out[`${prefix}_uri_capture`] = value.uriCapture;
    }
  };
  hash(spec.hashOn, 'hash_on');
  hash(spec.hashOnFallback, 'hash_fallback');
  if (isObject(spec.healthchecks)) out.healthchecks = snakeKeys(spec.healthchecks);
  return out;
}

/**
 * The Kong service for `namespace/name` on `port`, made on first use (with its upstream); null when the Service
 * or its port is missing (reported on `from`).
 */
export function kongServiceFor(state: TranslationState, from: K8sObject, namespace: string, name: string, port: PortRef): KongService | null {
  const service = state.find('Service', namespace, name);
  if (service === undefined) {
    state.report(from, `backend Service ${namespace}/${name} is not in the input; its routes are skipped`);
    return null;
  }
  const ports = servicePorts(service);
  // A port given by number is used as it is when the Service does not list it (KIC does not check it).
  const servicePort = ports.find((p) => ('number' in port ? p.port === port.number : p.name === port.name)) ??
    ('number' in port ? { name: '', port: port.number, targetPort: null } : undefined);
  if (servicePort === undefined) {
    state.report(from, `Service ${namespace}/${name} has no port ${canonical(port)}; its routes are skipped`);
    return null;
  }
  const serviceName = `${namespace}.${name}.${canonical(port)}`;
  const existing = state.services.get(serviceName);
  if (existing !== undefined) return existing;

  const upstreamName = `${name}.${namespace}.${canonical(port)}.svc`;
  const direct = service.metadata.annotations['ingress.kubernetes.io/service-upstream'] === 'true';
  const kong: KongService = {
    name: serviceName,
    host: direct ? `${name}.${namespace}.svc` : upstreamName,
    port: direct ? servicePort.port : 80,
    protocol: 'http',
    path: '/',
    connect_timeout: 60000,
    read_timeout: 60000,
    write_timeout: 60000,
    retries: 5,
    tags: tagsFor(service),
    routes: [],
  };
  const override = kongIngressFor(state, service);
  applyKongIngress(override, 'proxy', kong);
  applyServiceAnnotations(state, service, kong);
  applyServiceTls(state, service, kong);
  // The Host header is an upstream's: a Service proxied directly by its cluster address has none to carry it.
  if (direct && hostHeaderOf(service) !== undefined) state.report(service, `annotation ${PREFIX}host-header: needs an upstream, and ingress.kubernetes.io/service-upstream skips it; ignored`);
  state.services.set(serviceName, kong);
  state.serviceOwners.set(serviceName, service);
  if (!direct) state.upstreams.set(upstreamName, upstreamFor(state, service, servicePort, upstreamName, override));
  return kong;
}

/**
 * The upstream `<service>.<namespace>.<port>.svc` of a Service port, made on first use, without a Kong service
 * (stream resources make their own); null when the Service or its port is missing (reported on `from`).
 */
export function serviceUpstream(state: TranslationState, from: K8sObject, namespace: string, name: string, port: number): string | null {
  const service = state.find('Service', namespace, name);
  if (service === undefined) {
    state.report(from, `backend Service ${namespace}/${name} is not in the input; its routes are skipped`);
    return null;
  }
  const servicePort = servicePorts(service).find((p) => p.port === port) ?? { name: '', port, targetPort: null };
  const upstreamName = `${name}.${namespace}.${port}.svc`;
  if (!state.upstreams.has(upstreamName)) state.upstreams.set(upstreamName, upstreamFor(state, service, servicePort, upstreamName, kongIngressFor(state, service)));
  return upstreamName;
}

function upstreamFor(state: TranslationState, service: K8sObject, port: ServicePort, upstreamName: string, override: K8sObject | undefined): KongUpstream {
  const upstream: KongUpstream = {
    name: upstreamName,
    algorithm: 'round-robin',
    tags: tagsFor(service),
    targets: endpointTargets(state, service, port).map((target) => ({ target, weight: 100 })),
  };
  if (override !== undefined) {
    const section = field(override, 'upstream');
    if (isObject(section)) Object.assign(upstream, snakeKeys(section) as Entity);
  }
  // KIC applies the annotation after the KongIngress, so the annotation wins.
  const hostHeader = hostHeaderOf(service);
  if (hostHeader !== undefined) upstream.host_header = hostHeader;
  const policyName = service.metadata.annotations[`${PREFIX}upstream-policy`];
  if (policyName !== undefined) {
    const policy = state.find('KongUpstreamPolicy', service.metadata.namespace, policyName);
    if (policy === undefined) state.report(service, `annotation ${PREFIX}upstream-policy: no KongUpstreamPolicy '${policyName}' in namespace ${service.metadata.namespace}`);
    else Object.assign(upstream, upstreamPolicyFields(policy));
  }
  return upstream;
}

/** An upstream of weighted Services (Gateway API backendRefs), named after the route rule. */
export function weightedUpstream(
  state: TranslationState,
  from: K8sObject,
  upstreamName: string,
  backends: readonly { namespace: string; name: string; port: number; weight: number }[],
): KongUpstream {
  const targets: Entity[] = [];
  let hostHeader: string | undefined;
  for (const b of backends) {
    const service = state.find('Service', b.namespace, b.name);
    if (service !== undefined) hostHeader = hostHeaderOf(service) ?? hostHeader;
    if (service === undefined) {
      state.report(from, `backend Service ${b.namespace}/${b.name} is not in the input`);
      continue;
    }
    const port = servicePorts(service).find((p) => p.port === b.port);
    if (port === undefined) {
      state.report(from, `Service ${b.namespace}/${b.name} has no port ${b.port}`);
      continue;
    }
    const endpoints = endpointTargets(state, service, port);
    // The route's weight is shared among the Service's endpoints, as KIC does.
    const each = endpoints.length === 0 ? 0 : Math.max(1, Math.round(b.weight / endpoints.length));
    for (const target of endpoints) targets.push({ target, weight: b.weight === 0 ? 0 : each });
  }
  const upstream: KongUpstream = { name: upstreamName, algorithm: 'round-robin', tags: tagsFor(from), targets };
  if (hostHeader !== undefined) upstream.host_header = hostHeader;
  state.upstreams.set(upstreamName, upstream);
  return upstream;
}
