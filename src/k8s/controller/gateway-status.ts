/**
 * Gateway API status, as Kong's Ingress Controller writes it, for the objects of our controller only: a
 * GatewayClass whose `controllerName` is ours is Accepted; its Gateways are Accepted, Programmed once a
 * configuration is applied, list their listeners (supported kinds, attached routes, conditions) and the publish
 * Service's addresses; every HTTPRoute, GRPCRoute, TCPRoute, UDPRoute and TLSRoute gets one `status.parents[]` entry per parentRef naming such a
 * Gateway (`Accepted`, `ResolvedRefs`), beside the entries other controllers wrote. Pure: the caller writes.
 */
import { isObject, type Json, type JsonObject, type K8sObject } from '../objects.ts';
import { GATEWAY_GROUP, isGatewayRef, judgeParent, listenersOf, namespaceLabelsOf } from '../translate/gateway-acceptance.ts';
import { KONG_GATEWAY_CONTROLLER } from '../translate/gateway-api.ts';

export interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

/** A status to write: where, and the whole `status` wanted. */
export interface StatusUpdate {
  kind: string;
  namespace: string | null;
  name: string;
  status: JsonObject;
}

export interface GatewayStatusInput {
  objects: readonly K8sObject[];
  /** The publish Service's LoadBalancer addresses. */
  addresses: readonly { ip?: string; hostname?: string }[];
  /** Whether the gateways run the current configuration. */
  programmed: boolean;
  /** RFC 3339 time for conditions that change now. */
  now: string;
}

const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'UDPRoute', 'TLSRoute'] as const;

function generationOf(o: K8sObject): number {
  const meta = o.raw.metadata;
  return isObject(meta) && typeof meta.generation === 'number' ? meta.generation : 0;
}

function asList(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

function str(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * A condition keeping its previous lastTransitionTime while its status stays the same (the Kubernetes rule), so
 * a status computed twice is equal and not written again.
 */
function condition(previous: Json | undefined, type: string, ok: boolean, reason: string, message: string, generation: number, now: string): Condition {
  const status = ok ? 'True' : 'False';
  const before = asList(previous).find((c): c is JsonObject => isObject(c) && c.type === type);
  const since = before !== undefined && before.status === status && typeof before.lastTransitionTime === 'string' ? before.lastTransitionTime : now;
  return { type, status, reason, message, observedGeneration: generation, lastTransitionTime: since };
}

/** GatewayClasses of our controller, by name. */
function ourClasses(objects: readonly K8sObject[]): Map<string, K8sObject> {
  const out = new Map<string, K8sObject>();
  for (const o of objects) {
    if (o.kind === 'GatewayClass' && field(o.raw, 'spec', 'controllerName') === KONG_GATEWAY_CONTROLLER) out.set(o.metadata.name, o);
  }
  return out;
}

function field(raw: JsonObject, ...path: string[]): Json | undefined {
  let v: Json | undefined = raw;
  for (const p of path) v = isObject(v) ? v[p] : undefined;
  return v;
}

/** ResolvedRefs of a route: the first backendRef problem, or all resolved. */
function judgeBackends(route: K8sObject, objects: readonly K8sObject[], services: ReadonlySet<string>): { ok: boolean; reason: string; message: string } {
  for (const rule of asList(field(route.raw, 'spec', 'rules'))) {
    if (!isObject(rule)) continue;
    for (const ref of asList(rule.backendRefs)) {
      if (!isObject(ref) || typeof ref.name !== 'string') continue;
      const group = str(ref.group) ?? '';
      const kind = str(ref.kind) ?? 'Service';
      if (group !== '' || kind !== 'Service') return { ok: false, reason: 'InvalidKind', message: `backendRef ${ref.name} is a ${group === '' ? '' : `${group}/`}${kind}, not a Service` };
      const ns = str(ref.namespace) ?? route.metadata.namespace;
      if (ns !== route.metadata.namespace && !referenceGranted(objects, route, ns, ref.name)) {
        return { ok: false, reason: 'RefNotPermitted', message: `no ReferenceGrant in ${ns} allows a ${route.kind} from ${route.metadata.namespace} to reach Service ${ns}/${ref.name}` };
      }
      if (!services.has(`${ns}/${ref.name}`)) {
        return { ok: false, reason: 'BackendNotFound', message: `Service ${ns}/${ref.name} does not exist` };
      }
    }
  }
  return { ok: true, reason: 'ResolvedRefs', message: '' };
}

function referenceGranted(objects: readonly K8sObject[], route: K8sObject, ns: string, service: string): boolean {
  return objects.some((g) => g.kind === 'ReferenceGrant' && g.metadata.namespace === ns
    && asList(field(g.raw, 'spec', 'from')).some((f) => isObject(f) && f.kind === route.kind && f.namespace === route.metadata.namespace && (str(f.group) ?? GATEWAY_GROUP) === GATEWAY_GROUP)
    && asList(field(g.raw, 'spec', 'to')).some((t) => isObject(t) && t.kind === 'Service' && (str(t.group) ?? '') === '' && (t.name === undefined || t.name === service)));
}

/** The parentRef as the status echoes it: group and kind filled in, namespace when given. */
function echoRef(ref: JsonObject): JsonObject {
  const out: JsonObject = { group: str(ref.group) ?? GATEWAY_GROUP, kind: str(ref.kind) ?? 'Gateway' };
  if (typeof ref.namespace === 'string') out.namespace = ref.namespace;
  out.name = ref.name as string;
  if (typeof ref.sectionName === 'string') out.sectionName = ref.sectionName;
  if (typeof ref.port === 'number') out.port = ref.port;
  return out;
}

/** Every status of ours, computed from scratch (equal to the current one when nothing changed). */
export function gatewayApiStatus(input: GatewayStatusInput): StatusUpdate[] {
  const { objects, now } = input;
  const classes = ourClasses(objects);
  const updates: StatusUpdate[] = [];
  for (const gc of classes.values()) {
    const status = isObject(gc.raw.status) ? gc.raw.status : {};
    updates.push({
      kind: 'GatewayClass', namespace: null, name: gc.metadata.name,
      status: { ...status, conditions: [condition(status.conditions, 'Accepted', true, 'Accepted', 'the gatewayclass has been accepted by the controller', generationOf(gc), now)] as unknown as Json },
    });
  }
  const gateways = objects.filter((o) => o.kind === 'Gateway' && classes.has(str(field(o.raw, 'spec', 'gatewayClassName')) ?? ''));
  const attached = new Map<string, number>();
  const namespaceLabels = namespaceLabelsOf(objects);
  // Looked up for every backendRef of every route: a set, not a scan.
  const services = new Set(objects.filter((o) => o.kind === 'Service').map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
  for (const kind of ROUTE_KINDS) {
    for (const route of objects.filter((o) => o.kind === kind)) {
      const previous = isObject(route.raw.status) ? route.raw.status : {};
      const previousParents = asList(previous.parents).filter(isObject);
      const ours: JsonObject[] = [];
      let backends: ReturnType<typeof judgeBackends> | null = null;
      for (const ref of asList(field(route.raw, 'spec', 'parentRefs'))) {
        if (!isObject(ref) || typeof ref.name !== 'string') continue;
        if (!isGatewayRef(ref)) continue;
        const ns = str(ref.namespace) ?? route.metadata.namespace;
        const gateway = gateways.find((g) => g.metadata.namespace === ns && g.metadata.name === ref.name);
        if (gateway === undefined) continue;
        const verdict = judgeParent(route, gateway, ref, namespaceLabels);
        backends ??= judgeBackends(route, objects, services);
        for (const l of verdict.listeners) attached.set(`${ns}/${gateway.metadata.name}/${l}`, (attached.get(`${ns}/${gateway.metadata.name}/${l}`) ?? 0) + 1);
        const parentRef = echoRef(ref);
        const before = previousParents.find((p) => p.controllerName === KONG_GATEWAY_CONTROLLER && canonicalJson(p.parentRef) === canonicalJson(parentRef));
        const generation = generationOf(route);
        ours.push({
          parentRef,
          controllerName: KONG_GATEWAY_CONTROLLER,
          conditions: [
            condition(before?.conditions, 'Accepted', verdict.accepted, verdict.reason, verdict.message, generation, now),
            condition(before?.conditions, 'ResolvedRefs', backends.ok, backends.reason, backends.message, generation, now),
          ] as unknown as Json,
        });
      }
      const others = previousParents.filter((p) => p.controllerName !== KONG_GATEWAY_CONTROLLER);
      const hadOurs = previousParents.length !== others.length;
      if (ours.length === 0 && !hadOurs) continue;
      updates.push({ kind, namespace: route.metadata.namespace, name: route.metadata.name, status: { ...previous, parents: [...others, ...ours] } });
    }
  }
  for (const gateway of gateways) {
    const previous = isObject(gateway.raw.status) ? gateway.raw.status : {};
    const generation = generationOf(gateway);
    const previousListeners = asList(previous.listeners).filter(isObject);
    const listeners = listenersOf(gateway).map((l) => {
      const before = previousListeners.find((p) => p.name === l.name)?.conditions;
      const programmed = l.supported && input.programmed;
      return {
        name: l.name,
        supportedKinds: l.kinds.map((kind) => ({ group: GATEWAY_GROUP, kind })),
        attachedRoutes: attached.get(`${gateway.metadata.namespace}/${gateway.metadata.name}/${l.name}`) ?? 0,
        conditions: [
          condition(before, 'Accepted', l.supported, l.supported ? 'Accepted' : 'UnsupportedProtocol', l.supported ? '' : `protocol ${l.protocol} is not supported`, generation, now),
          condition(before, 'Conflicted', false, 'NoConflicts', '', generation, now),
          condition(before, 'Programmed', programmed, programmed ? 'Programmed' : l.supported ? 'Pending' : 'Invalid', '', generation, now),
          condition(before, 'ResolvedRefs', !l.invalidKinds, l.invalidKinds ? 'InvalidRouteKinds' : 'ResolvedRefs', l.invalidKinds ? 'allowedRoutes names a kind this listener cannot take' : '', generation, now),
        ],
      };
    });
    const addresses = input.addresses.flatMap((a) => [
      ...(a.hostname !== undefined ? [{ type: 'Hostname', value: a.hostname }] : []),
      ...(a.ip !== undefined ? [{ type: 'IPAddress', value: a.ip }] : []),
    ]);
    const status: JsonObject = {
      ...previous,
      conditions: [
        condition(previous.conditions, 'Accepted', true, 'Accepted', '', generation, now),
        condition(previous.conditions, 'Programmed', input.programmed, input.programmed ? 'Programmed' : 'Pending', input.programmed ? '' : 'the configuration is not applied yet', generation, now),
      ] as unknown as Json,
      listeners: listeners as unknown as Json,
    };
    if (addresses.length > 0) status.addresses = addresses;
    else delete status.addresses;
    updates.push({ kind: 'Gateway', namespace: gateway.metadata.namespace, name: gateway.metadata.name, status });
  }
  return updates;
}

/** JSON with object keys sorted: the API server returns fields in its own order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The updates that change something, each as the merge patch body to send: the wanted status, with null for
 * the top-level status fields it drops (a merge patch keeps what it does not mention).
 */
export function statusPatches(objects: readonly K8sObject[], updates: readonly StatusUpdate[]): (StatusUpdate & { patch: JsonObject })[] {
  const byKey = new Map<string, K8sObject>();
  for (const o of objects) byKey.set(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o).set(`${o.kind}//${o.metadata.name}`, o);
  return updates.flatMap((u) => {
    const current = byKey.get(`${u.kind}/${u.namespace ?? ''}/${u.name}`);
    const now = isObject(current?.raw.status) ? current.raw.status : {};
    if (canonicalJson(now) === canonicalJson(u.status)) return [];
    const patch: JsonObject = { ...u.status };
    for (const key of Object.keys(now)) if (!(key in u.status)) patch[key] = null;
    return [{ ...u, patch: { status: patch } }];
  });
}
