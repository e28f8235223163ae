/**
 * What a translation builds and reads: the input objects indexed by kind, namespace and name; the Kong entities
 * made so far (by name, so that several resources naming one Kubernetes Service share its Kong service); and the
 * problems found, one line per resource.
 */
import { groupOf, isObject, versionOf, type Json, type JsonObject, type K8sObject } from '../objects.ts';
import { namespaceLabelsOf, type NamespaceLabels } from './gateway-acceptance.ts';

export type Entity = Record<string, unknown>;

export interface KongService extends Entity {
  name: string;
  routes: Entity[];
}

export interface KongUpstream extends Entity {
  name: string;
  targets: Entity[];
}

export class TranslationState {
  readonly #byKind = new Map<string, K8sObject[]>();
  readonly services = new Map<string, KongService>();
  readonly upstreams = new Map<string, KongUpstream>();
  readonly consumers = new Map<string, Entity>();
  /** Consumer groups by name, and memberships naming a consumer by username and a group by name. */
  readonly consumerGroups = new Map<string, Entity>();
  readonly memberships: { consumer: string; consumer_group: string }[] = [];
  readonly plugins: Entity[] = [];
  /** Certificates by `namespace/secret`. */
  readonly certificates = new Map<string, Entity & { snis: Entity[] }>();
  /** CA certificates by id. */
  readonly caCertificates = new Map<string, Entity>();
  /** Every SNI given to a certificate, and which secret has it. */
  readonly snis = new Map<string, string>();
  readonly problems: string[] = [];
  /** The Kubernetes Service each Kong service was made from (its plugins attach there). */
  readonly serviceOwners = new Map<string, K8sObject>();
  /** Kong routes by name, to attach plugins to. */
  readonly routeNames = new Set<string>();
  /** The labels of the input's Namespace objects (Gateway listeners select route namespaces by them). */
  readonly namespaceLabels: NamespaceLabels;

  constructor(objects: readonly K8sObject[]) {
    this.namespaceLabels = namespaceLabelsOf(objects);
    for (const o of objects) {
      const list = this.#byKind.get(o.kind);
      if (list === undefined) this.#byKind.set(o.kind, [o]);
      else list.push(o);
    }
  }

  all(kind: string): readonly K8sObject[] {
    return this.#byKind.get(kind) ?? [];
  }

  find(kind: string, namespace: string | null, name: string): K8sObject | undefined {
    return this.all(kind).find((o) => o.metadata.name === name && (namespace === null || o.metadata.namespace === namespace));
  }

  /** Records why `object` (or part of it) was not translated. */
  report(object: K8sObject, reason: string): void {
    this.problems.push(`${object.kind} ${object.metadata.namespace}/${object.metadata.name}: ${reason}`);
  }
}

/** KIC's tags naming the Kubernetes object an entity came from. */
export function tagsFor(object: K8sObject): string[] {
  const tags = [`k8s-name:${object.metadata.name}`, `k8s-namespace:${object.metadata.namespace}`, `k8s-kind:${object.kind}`];
  if (object.metadata.uid !== undefined) tags.push(`k8s-uid:${object.metadata.uid}`);
  const group = groupOf(object.apiVersion);
  if (group !== '') tags.push(`k8s-group:${group}`);
  tags.push(`k8s-version:${versionOf(object.apiVersion)}`);
  return tags;
}

/** A field path of an object (`spec.rules`), or undefined. */
export function field(object: K8sObject | JsonObject, path: string): Json | undefined {
  let value: Json | undefined = 'raw' in object && 'metadata' in object ? (object as K8sObject).raw : (object as JsonObject);
  for (const part of path.split('.')) {
    if (!isObject(value)) return undefined;
    value = value[part];
  }
  return value;
}

export function asArray(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The data of a Secret, decoded (`stringData` wins over `data`, as the API server merges them). */
export function secretData(secret: K8sObject): Record<string, string> {
  const out: Record<string, string> = {};
  const data = field(secret, 'data');
  if (isObject(data)) {
    for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = Buffer.from(v.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  const stringData = field(secret, 'stringData');
  if (isObject(stringData)) for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** camelCase keys to Kong's snake_case, recursively (KongUpstreamPolicy and KongIngress sections). */
export function snakeKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    // Header names under `headers` keep their spelling.
    out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = k === 'headers' ? v : snakeKeys(v);
  }
  return out;
}
