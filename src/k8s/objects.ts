/**
 * Kubernetes objects as the translator reads them: plain JSON values with Kubernetes' envelope (apiVersion,
 * kind, metadata), read from manifests (multi-document YAML, or JSON objects and `List`s).
 */
import { loadAll } from 'js-yaml';

/** A field of a manifest: whatever JSON value the author wrote. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface K8sMetadata {
  name: string;
  namespace: string;
  uid?: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
}

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: K8sMetadata;
  /** The whole object as written. */
  readonly raw: JsonObject;
}

/** `group/version` split; core objects (`v1`) have the empty group. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

export function versionOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
}

function stringMap(value: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

export function isObject(value: Json | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Wraps a parsed document; null for anything that is not a Kubernetes object (with its reason). */
export function toK8sObject(doc: unknown): K8sObject | string {
  if (!isObject(doc as Json)) return 'not an object';
  const raw = doc as JsonObject;
  if (typeof raw.apiVersion !== 'string' || typeof raw.kind !== 'string') return 'no apiVersion or kind';
  const meta = isObject(raw.metadata) ? raw.metadata : {};
  if (typeof meta.name !== 'string' || meta.name === '') return `${raw.kind} without metadata.name`;
  return {
    apiVersion: raw.apiVersion,
    kind: raw.kind,
    metadata: {
      name: meta.name,
      namespace: typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default',
      uid: typeof meta.uid === 'string' ? meta.uid : undefined,
      labels: stringMap(meta.labels),
      annotations: stringMap(meta.annotations),
    },
    raw,
  };
}

/** Every object in a manifest text (YAML documents, or JSON; `List` kinds are unwrapped). */
export function parseManifests(text: string, source: string): { objects: K8sObject[]; problems: string[] } {
  const objects: K8sObject[] = [];
  const problems: string[] = [];
  let docs: unknown[];
  try {
    docs = loadAll(text) as unknown[];
  } catch (err) {
    return { objects, problems: [`${source}: ${(err as Error).message.split('\n')[0]}`] };
  }
  const add = (doc: unknown, where: string): void => {
    if (doc === null || doc === undefined) return;
    const raw = doc as JsonObject;
    if (isObject(raw) && typeof raw.kind === 'string' && raw.kind.endsWith('List') && Array.isArray(raw.items)) {
      raw.items.forEach((item, i) => add(item, `${where} item ${i + 1}`));
      return;
    }
    const obj = toK8sObject(doc);
    if (typeof obj === 'string') problems.push(`${where}: ${obj}; skipped`);
    else objects.push(obj);
  };
  docs.forEach((doc, i) => add(doc, `${source} document ${i + 1}`));
  return { objects, problems };
}
