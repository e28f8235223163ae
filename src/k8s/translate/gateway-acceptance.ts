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
  /** `allowedRoutes.namespaces.selector` (a LabelSelector) when `from` is `Selector`. */
  selector: JsonObject | undefined;
  supported: boolean;
}

/** A namespace's labels, as its Namespace object has them; undefined when the object is not known. */
export type NamespaceLabels = (namespace: string) => Readonly<Record<string, string>> | undefined;

/** The lookup over the Namespace objects among `objects`. */
export function namespaceLabelsOf(objects: readonly K8sObject[]): NamespaceLabels {
  const byName = new Map<string, Readonly<Record<string, string>>>();
  for (const o of objects) if (o.kind === 'Namespace') byName.set(o.metadata.name, o.metadata.labels);
  return (namespace) => byName.get(namespace);
}

/**
 * Whether `labels` meet a LabelSelector (`matchLabels` and `matchExpressions` with In, NotIn, Exists and
 * DoesNotExist); an empty selector selects everything, as in Kubernetes, and an unknown operator nothing.
 */
export function selectorMatches(selector: JsonObject, labels: Readonly<Record<string, string>>): boolean {
  const has = (key: string): boolean => Object.prototype.hasOwnProperty.call(labels, key);
  if (isObject(selector.matchLabels)) {
    for (const [key, value] of Object.entries(selector.matchLabels)) if (!has(key) || labels[key] !== value) return false;
  }
  for (const e of asList(selector.matchExpressions)) {
    if (!isObject(e) || typeof e.key !== 'string') return false;
    const values = asList(e.values).filter((v): v is string => typeof v === 'string');
    const present = has(e.key);
    switch (e.operator) {
      case 'In': if (!present || !values.includes(labels[e.key])) return false; break;
      case 'NotIn': if (present && values.includes(labels[e.key])) return false; break;
      case 'Exists': if (!present) return false; break;
      case 'DoesNotExist': if (present) return false; break;
      default: return false;
    }
  }
  return true;
}

/**
 * The labels a namespace is matched by: its Namespace object's, plus `kubernetes.io/metadata.name`, which the
 * API server sets on every namespace (so a selector naming namespaces works without their objects).
 */
function labelsOfNamespace(namespace: string, lookup: NamespaceLabels): Readonly<Record<string, string>> {
  return { ...lookup(namespace), 'kubernetes.io/metadata.name': namespace };
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
      selector: isObject(namespaces.selector) ? namespaces.selector : undefined,
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

/**
 * Whether a parentRef naming a Gateway gets `route` accepted by it. `namespaceLabels` serves listeners that
 * select namespaces by label.
 */
export function judgeParent(route: K8sObject, gateway: K8sObject, ref: JsonObject, namespaceLabels: NamespaceLabels): ParentVerdict {
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
    // A Selector listener without a selector is invalid in the Gateway API: it admits no namespace.
    if (l.from === 'Selector') return l.selector !== undefined && selectorMatches(l.selector, labelsOfNamespace(route.metadata.namespace, namespaceLabels));
    return false;
  });
  if (allowed.length === 0) {
    return { accepted: false, reason: 'NotAllowedByListeners', message: `no listener of Gateway ${gateway.metadata.namespace}/${gateway.metadata.name} allows a ${route.kind} from namespace ${route.metadata.namespace}`, listeners: [] };
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
