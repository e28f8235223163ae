/**
 * Whether a Gateway accepts a route through one parentRef, by the Gateway API's rules as KIC applies them: a
 * listener named by `sectionName`/`port`, taking the route's kind (`allowedRoutes.kinds`) from its namespace
 * (`allowedRoutes.namespaces`), with a hostname that can meet the route's. Shared by the translator (which drops
 * refused routes) and the controller's status (which reports the verdict), so both always agree.
 */
import { isObject, type Json, type JsonObject, type K8sObject } from '../objects.ts';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** The route kinds a listener of each protocol takes (stream kinds go to the stream proxy, `stream_listen`). */
const KINDS_BY_PROTOCOL: Readonly<Record<string, readonly string[]>> = {
  HTTP: ['HTTPRoute', 'GRPCRoute'],
  HTTPS: ['HTTPRoute', 'GRPCRoute'],
  TCP: ['TCPRoute'],
  UDP: ['UDPRoute'],
  TLS: ['TLSRoute'],
};

function asList(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

function str(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function spec(o: K8sObject): JsonObject {
  return isObject(o.raw.spec) ? o.raw.spec : {};
}

export interface Listener {
  name: string;
  protocol: string;
  port: number | undefined;
  hostname: string | undefined;
  /** Route kinds this listener takes. */
  kinds: string[];
  /** Kinds named in allowedRoutes that no listener of ours can take. */
  invalidKinds: boolean;
  from: string;
  supported: boolean;
}

export function listenersOf(gateway: K8sObject): Listener[] {
  return asList(spec(gateway).listeners).flatMap((l) => {
    if (!isObject(l) || typeof l.name !== 'string') return [];
    const protocol = str(l.protocol) ?? '';
    const protocolKinds = Object.prototype.hasOwnProperty.call(KINDS_BY_PROTOCOL, protocol) ? KINDS_BY_PROTOCOL[protocol] : [];
    const supported = protocolKinds.length > 0;
    const allowed = isObject(l.allowedRoutes) ? l.allowedRoutes : {};
    const named = asList(allowed.kinds).filter(isObject);
    let kinds = [...protocolKinds];
    let invalidKinds = false;
    if (named.length > 0) {
      kinds = [];
      for (const k of named) {
        const group = str(k.group) ?? GATEWAY_GROUP;
        const kind = str(k.kind) ?? '';
        if (group === GATEWAY_GROUP && protocolKinds.includes(kind)) kinds.push(kind);
        else invalidKinds = true;
      }
    }
    const namespaces = isObject(allowed.namespaces) ? allowed.namespaces : {};
    return [{
      name: l.name,
      protocol,
      port: typeof l.port === 'number' ? l.port : undefined,
      hostname: str(l.hostname),
      kinds,
      invalidKinds,
      from: str(namespaces.from) ?? 'Same',
      supported,
    }];
  });
}

/** Whether two hostnames (either may be a `*.` wildcard) can name the same host. */
function hostnamesIntersect(a: string, b: string): boolean {
  const covers = (wild: string, host: string): boolean => wild.startsWith('*.') && host.endsWith(wild.slice(1)) && host.length > wild.length - 1;
  return a === b || covers(a, b) || covers(b, a);
}

export interface ParentVerdict {
  accepted: boolean;
  /** `Accepted`, or why not: `NoMatchingParent`, `NotAllowedByListeners`, `NoMatchingListenerHostname`. */
  reason: string;
  message: string;
  /** Listener names the route attaches to (when accepted). */
  listeners: string[];
}

/** Whether a parentRef naming a Gateway gets `route` accepted by it. */
export function judgeParent(route: K8sObject, gateway: K8sObject, ref: JsonObject): ParentVerdict {
  const section = str(ref.sectionName);
  const port = typeof ref.port === 'number' ? ref.port : undefined;
  const candidates = listenersOf(gateway).filter((l) => (section === undefined || l.name === section) && (port === undefined || l.port === port));
  if (candidates.length === 0) {
    const what = section !== undefined ? `no listener named '${section}'` : `no listener on port ${String(port)}`;
    return { accepted: false, reason: 'NoMatchingParent', message: `Gateway ${gateway.metadata.namespace}/${gateway.metadata.name} has ${what}`, listeners: [] };
  }
  const allowed = candidates.filter((l) => {
    if (!l.kinds.includes(route.kind)) return false;
    if (l.from === 'All') return true;
    if (l.from === 'Same') return route.metadata.namespace === gateway.metadata.namespace;
    // Selector: Namespaces are not watched, so their labels cannot be matched.
    return false;
  });
  if (allowed.length === 0) {
    return { accepted: false, reason: 'NotAllowedByListeners', message: `no listener of Gateway ${gateway.metadata.namespace}/${gateway.metadata.name} allows a ${route.kind} from namespace ${route.metadata.namespace} (namespace selectors are not evaluated)`, listeners: [] };
  }
  const hostnames = asList(spec(route).hostnames).filter((h): h is string => typeof h === 'string');
  const matching = allowed.filter((l) => l.hostname === undefined || hostnames.length === 0 || hostnames.some((h) => hostnamesIntersect(h, l.hostname!)));
  if (matching.length === 0) {
    return { accepted: false, reason: 'NoMatchingListenerHostname', message: 'no listener hostname matches the route hostnames', listeners: [] };
  }
  return { accepted: true, reason: 'Accepted', message: '', listeners: matching.map((l) => l.name) };
}

/** Whether a parentRef names a Gateway (the only parent kind there is a verdict for). */
export function isGatewayRef(ref: JsonObject): boolean {
  return (str(ref.group) ?? GATEWAY_GROUP) === GATEWAY_GROUP && (str(ref.kind) ?? 'Gateway') === 'Gateway';
}
