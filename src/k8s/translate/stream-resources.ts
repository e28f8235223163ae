/**
 * Stream resources, KIC's way: TCPIngress and UDPIngress (configuration.konghq.com/v1beta1) and Gateway API
 * TCPRoute, UDPRoute and TLSRoute become Kong services with stream protocols and stream routes.
 *
 * - TCPIngress rule i: route `<ns>.<name>.<i>` (protocols tcp, tls; destination port = the rule's port; SNI = its
 *   host) on service `<ns>.<service>.<port>` (protocol tcp); its `tls` section gives certificates as an Ingress's.
 * - UDPIngress rule i: route `<ns>.<name>.<i>.udp` (udp, destination port) on service `<ns>.<service>.<port>.udp`.
 *   Both use the upstream `<service>.<ns>.<port>.svc` of the Service's endpoints.
 * - TCPRoute/UDPRoute rule i: service and upstream `<kind>.<ns>.<name>.<i>` over the weighted backendRefs, route
 *   `….<i>.0` with the ports of the parent Gateways' TCP (UDP) listeners that accept it (the one named by
 *   sectionName) as destinations. TLSRoute: route with its hostnames as SNIs, protocol `tls`, or
 *   `tls_passthrough` when a parent listener accepting it has `tls.mode: Passthrough`.
 */
import { isObject, type JsonObject, type K8sObject } from '../objects.ts';
import { serviceUpstream, weightedUpstream } from './backends.ts';
import { acceptedByParent, judgeParents, ruleBackends } from './gateway-api.ts';
import { translateTls } from './ingress.ts';
import { asArray, asString, field, tagsFor, type Entity, type KongService, type TranslationState } from './state.ts';

const TIMEOUTS = { connect_timeout: 60000, read_timeout: 60000, write_timeout: 60000, retries: 5 };

function addRoute(state: TranslationState, from: K8sObject, service: KongService, route: Entity): void {
  const name = route.name as string;
  if (state.routeNames.has(name)) {
    state.report(from, `route ${name} is defined twice; the second is skipped`);
    return;
  }
  state.routeNames.add(name);
  service.routes.push({ ...route, tags: tagsFor(from) });
}

/** A service made for stream traffic, or the existing one of that name when it has the same protocol. */
function streamService(state: TranslationState, from: K8sObject, service: KongService): KongService | null {
  const existing = state.services.get(service.name);
  if (existing === undefined) {
    state.services.set(service.name, service);
    return service;
  }
  if (existing.protocol !== service.protocol) {
    state.report(from, `Kong service ${service.name} already proxies protocol ${String(existing.protocol)}; this ${String(service.protocol)} rule is skipped`);
    return null;
  }
  return existing;
}

function translateKongStreamIngresses(state: TranslationState, inClass: (o: K8sObject) => boolean): void {
  for (const kind of ['TCPIngress', 'UDPIngress'] as const) {
    const udp = kind === 'UDPIngress';
    for (const ingress of state.all(kind).filter(inClass)) {
      const { namespace, name } = ingress.metadata;
      if (!udp) translateTls(state, ingress);
      asArray(field(ingress, 'spec.rules')).forEach((rule, i) => {
        if (!isObject(rule) || typeof rule.port !== 'number' || !isObject(rule.backend)) {
          state.report(ingress, `rule ${i} needs a port and a backend; skipped`);
          return;
        }
        const serviceName = asString(rule.backend.serviceName);
        const servicePort = rule.backend.servicePort;
        if (serviceName === undefined || typeof servicePort !== 'number') {
          state.report(ingress, `rule ${i} needs backend.serviceName and backend.servicePort; skipped`);
          return;
        }
        const upstream = serviceUpstream(state, ingress, namespace, serviceName, servicePort);
        if (upstream === null) return;
        const service = streamService(state, ingress, udp
          ? { name: `${namespace}.${serviceName}.${servicePort}.udp`, host: upstream, port: servicePort, protocol: 'udp', tags: tagsFor(ingress), routes: [] }
          : { name: `${namespace}.${serviceName}.${servicePort}`, host: upstream, port: 80, protocol: 'tcp', ...TIMEOUTS, tags: tagsFor(ingress), routes: [] });
        if (service === null) return;
        const host = asString(rule.host);
        addRoute(state, ingress, service, udp
          ? { name: `${namespace}.${name}.${i}.udp`, protocols: ['udp'], destinations: [{ port: rule.port }] }
          : { name: `${namespace}.${name}.${i}`, protocols: ['tcp', 'tls'], destinations: [{ port: rule.port }], ...(host === undefined || host === '' ? {} : { snis: [host] }) });
      });
    }
  }
}

/** The listeners of the parent Gateways in the input that accept `route`. */
function parentListeners(state: TranslationState, route: K8sObject): JsonObject[] {
  const out = new Set<JsonObject>();
  for (const { gateway, verdict } of judgeParents(state, route).judged) {
    for (const listener of asArray(field(gateway, 'spec.listeners'))) {
      if (isObject(listener) && typeof listener.name === 'string' && verdict.listeners.includes(listener.name)) out.add(listener);
    }
  }
  return [...out];
}

const ROUTE_KINDS = [
  { kind: 'TCPRoute', prefix: 'tcproute', protocol: 'tcp', listenerProtocol: 'TCP' },
  { kind: 'UDPRoute', prefix: 'udproute', protocol: 'udp', listenerProtocol: 'UDP' },
  { kind: 'TLSRoute', prefix: 'tlsroute', protocol: 'tcp', listenerProtocol: 'TLS' },
] as const;

function translateGatewayStreamRoutes(state: TranslationState): void {
  for (const { kind, prefix, protocol, listenerProtocol } of ROUTE_KINDS) {
    for (const route of state.all(kind).filter((r) => acceptedByParent(state, r))) {
      const { namespace, name } = route.metadata;
      const listeners = parentListeners(state, route);
      const ports = listeners.filter((l) => l.protocol === listenerProtocol && typeof l.port === 'number').map((l) => ({ port: l.port as number }));
      const hostnames = asArray(field(route, 'spec.hostnames')).filter((h): h is string => typeof h === 'string');
      const tls = kind === 'TLSRoute';
      if (tls && hostnames.length === 0) {
        state.report(route, 'a TLSRoute needs spec.hostnames (they become the route SNIs); skipped');
        continue;
      }
      // Kong refuses a tcp/udp route with neither sources, destinations nor SNIs: the listener port is the match.
      if (!tls && ports.length === 0) {
        state.report(route, `no parent Gateway listener with protocol ${listenerProtocol} in the input gives its port; skipped`);
        continue;
      }
      const passthrough = tls && listeners.some((l) => isObject(l.tls) && l.tls.mode === 'Passthrough');
      asArray(field(route, 'spec.rules')).forEach((rule, i) => {
        if (!isObject(rule)) return;
        const backends = ruleBackends(state, route, rule, i);
        if (backends === null) return;
        const serviceName = `${prefix}.${namespace}.${name}.${i}`;
        weightedUpstream(state, route, serviceName, backends);
        const service = streamService(state, route, {
          name: serviceName, host: serviceName, port: backends[backends.length - 1].port, protocol, ...TIMEOUTS, tags: tagsFor(route), routes: [],
        });
        if (service === null) return;
        addRoute(state, route, service, tls
          ? { name: `${serviceName}.0`, protocols: [passthrough ? 'tls_passthrough' : 'tls'], snis: hostnames }
          : { name: `${serviceName}.0`, protocols: [protocol], destinations: ports });
      });
    }
  }
}

export function translateStreamResources(state: TranslationState, inClass: (o: K8sObject) => boolean): void {
  translateKongStreamIngresses(state, inClass);
  translateGatewayStreamRoutes(state);
}
