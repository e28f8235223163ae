/**
 * KongPlugin and KongClusterPlugin, KIC's way: named by the `konghq.com/plugins` annotation of an Ingress or
 * Gateway API route (the plugin runs on each of its routes), a Service (on the Kong services made from it), a
 * KongConsumer or a KongConsumerGroup; global when labelled `global: "true"`. A KongPlugin in the object's
 * namespace shadows a KongClusterPlugin of the same name. `configFrom` and `configPatches` read Secrets. A plugin
 * Tollgate does not have, or a configuration its schema refuses, is reported and left out.
 */
import type { PluginSchemaRegistry } from '../../schema/index.ts';
import { validateEntity } from '../../entities/index.ts';
import { isObject, type Json, type JsonObject, type K8sObject } from '../objects.ts';
import { PREFIX } from './annotations.ts';
import { asArray, asString, field, secretData, tagsFor, type Entity, type TranslationState } from './state.ts';

/** Where a plugin runs: one of these set to the entity's name. */
export type PluginTarget = { route: string } | { service: string } | { consumer: string } | { consumer_group: string } | { global: true };

/** The plugins an object's annotation names. */
export function annotatedPlugins(object: K8sObject): string[] {
  const value = object.metadata.annotations[`${PREFIX}plugins`];
  if (value === undefined) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The plugin resource `name` seen from `namespace`: a KongPlugin there, else a KongClusterPlugin. */
function pluginResource(state: TranslationState, namespace: string, name: string): K8sObject | undefined {
  return state.find('KongPlugin', namespace, name) ?? state.all('KongClusterPlugin').find((p) => p.metadata.name === name);
}

/** Sets `value` at a JSON-pointer-like `/a/b` path of `config`. */
function patch(config: JsonObject, path: string, value: Json): boolean {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length === 0) return false;
  let at: JsonObject = config;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (!isObject(next)) at[part] = {};
    at = at[part] as JsonObject;
  }
  at[parts[parts.length - 1]] = value;
  return true;
}

/** A secret value as JSON when it parses, else as a string (KIC reads configFrom values as JSON). */
function secretJson(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

/** The plugin entity a resource describes (without its target), or null (reported). */
function pluginEntity(state: TranslationState, resource: K8sObject, registry: PluginSchemaRegistry): Entity | null {
  const name = asString(field(resource, 'plugin'));
  if (name === undefined) {
    state.report(resource, 'no `plugin` field; skipped');
    return null;
  }
  if (!registry.has(name)) {
    state.report(resource, `plugin '${name}' is not available in Tollgate; skipped`);
    return null;
  }
  if (field(resource, 'disabled') === true) return null;
  let config: JsonObject = {};
  const inline = field(resource, 'config');
  if (isObject(inline)) config = structuredClone(inline);
  const from = field(resource, 'configFrom');
  if (isObject(from) && isObject(from.secretKeyRef)) {
    const ref = from.secretKeyRef;
    const namespace = asString(ref.namespace) ?? resource.metadata.namespace;
    const secret = state.find('Secret', namespace, asString(ref.name) ?? '');
    const key = asString(ref.key) ?? '';
    const value = secret === undefined ? undefined : secretData(secret)[key];
    if (value === undefined) {
      state.report(resource, `configFrom: no key '${key}' in Secret ${namespace}/${asString(ref.name) ?? ''}; skipped`);
      return null;
    }
    const parsed = secretJson(value);
    if (!isObject(parsed)) {
      state.report(resource, `configFrom: Secret ${namespace}/${asString(ref.name)} key '${key}' is not a JSON object; skipped`);
      return null;
    }
    config = parsed;
  }
  for (const p of asArray(field(resource, 'configPatches'))) {
    if (!isObject(p) || typeof p.path !== 'string' || !isObject(p.valueFrom) || !isObject(p.valueFrom.secretKeyRef)) continue;
    const ref = p.valueFrom.secretKeyRef;
    const namespace = asString(ref.namespace) ?? resource.metadata.namespace;
    const secret = state.find('Secret', namespace, asString(ref.name) ?? '');
    const value = secret === undefined ? undefined : secretData(secret)[asString(ref.key) ?? ''];
    if (value === undefined) {
      state.report(resource, `configPatches ${p.path}: the Secret key is missing; skipped`);
      return null;
    }
    patch(config, p.path, secretJson(value));
  }
  const entity: Entity = { name, config, tags: tagsFor(resource) };
  const protocols = field(resource, 'protocols');
  if (Array.isArray(protocols)) entity.protocols = protocols;
  const instance = asString(field(resource, 'instance_name'));
  if (instance !== undefined) entity.instance_name = instance;
  const ordering = field(resource, 'ordering');
  if (isObject(ordering)) entity.ordering = ordering;
  const checked = validateEntity('plugins', entity, { plugins: registry });
  if (!checked.ok) {
    state.report(resource, `plugin '${name}': ${JSON.stringify(checked.errors)}; skipped`);
    return null;
  }
  return entity;
}

/** Attaches the plugins `owner` names to `target` (each plugin resource checked once per target). */
export function attachPlugins(state: TranslationState, owner: K8sObject, target: PluginTarget, registry: PluginSchemaRegistry): void {
  for (const name of annotatedPlugins(owner)) {
    const resource = pluginResource(state, owner.metadata.namespace, name);
    if (resource === undefined) {
      state.report(owner, `annotation ${PREFIX}plugins: no KongPlugin or KongClusterPlugin '${name}'; skipped`);
      continue;
    }
    const entity = pluginEntity(state, resource, registry);
    if (entity === null) continue;
    // Several routes share one resource: each attachment is its own instance, so instance names must differ.
    if (typeof entity.instance_name === 'string') entity.instance_name = `${entity.instance_name}-${instanceSuffix(target)}`;
    state.plugins.push({ ...entity, ...target });
  }
}

function instanceSuffix(target: PluginTarget): string {
  const key =
    'route' in target
      ? target.route
      : 'service' in target
        ? target.service
        : 'consumer' in target
          ? target.consumer
          : 'consumer_group' in target
            ? `group:${target.consumer_group}`
            : 'global';
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** Plugins labelled `global: "true"` (KongClusterPlugins need the ingress class too). */
export function globalPlugins(state: TranslationState, registry: PluginSchemaRegistry, inClass: (o: K8sObject) => boolean): void {
  const seen = new Set<string>();
  for (const resource of [...state.all('KongPlugin'), ...state.all('KongClusterPlugin')]) {
    if (resource.metadata.labels.global !== 'true') continue;
    if (resource.kind === 'KongClusterPlugin' && !inClass(resource)) continue;
    const entity = pluginEntity(state, resource, registry);
    if (entity === null) continue;
    const name = entity.name as string;
    if (seen.has(name)) {
      state.report(resource, `a global '${name}' plugin is already configured; skipped`);
      continue;
    }
    seen.add(name);
    state.plugins.push(entity);
  }
}
