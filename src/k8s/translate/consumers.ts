/**
 * KongConsumer resources as consumers: `username`, `custom_id`, credentials from the Secrets named in
 * `credentials` (typed by the `konghq.com/credential` label, or the older `kongCredType` key), and plugins from
 * their annotation. KongConsumerGroups become consumer groups (named like the resource, plugins from their
 * annotation scoped to the group), and a consumer's `consumerGroups` (groups of its namespace) memberships,
 * written as KIC writes them: top-level `consumer_group_consumers` naming the consumer and the group.
 */
import type { PluginSchemaRegistry } from '../../schema/index.ts';
import { ENTITY_ORDER } from '../../entities/index.ts';
import type { K8sObject } from '../objects.ts';
import { attachPlugins } from './plugins.ts';
import { asArray, asString, field, secretData, tagsFor, type Entity, type TranslationState } from './state.ts';

/** A credential type, the consumer field it nests under, and the Secret keys it takes. */
const CREDENTIALS: Readonly<Record<string, { collection: string; keys: readonly string[] }>> = {
  'key-auth': { collection: 'keyauth_credentials', keys: ['key', 'tags', 'ttl'] },
  'basic-auth': { collection: 'basicauth_credentials', keys: ['username', 'password', 'tags'] },
  'hmac-auth': { collection: 'hmacauth_credentials', keys: ['username', 'secret', 'tags'] },
  jwt: { collection: 'jwt_secrets', keys: ['key', 'secret', 'algorithm', 'rsa_public_key', 'tags'] },
  acl: { collection: 'acls', keys: ['group', 'tags'] },
  oauth2: { collection: 'oauth2_credentials', keys: ['name', 'client_id', 'client_secret', 'redirect_uris', 'hash_secret', 'client_type', 'tags'] },
};

/** Keys whose Secret value is a list (comma-separated, or a JSON array). */
const LIST_KEYS = new Set(['redirect_uris', 'tags']);

function credentialFrom(type: string, data: Record<string, string>): Entity {
  const spec = CREDENTIALS[type];
  const out: Entity = {};
  for (const key of spec.keys) {
    const value = data[key];
    if (value === undefined) continue;
    if (LIST_KEYS.has(key)) {
      try {
        const parsed: unknown = JSON.parse(value);
        out[key] = Array.isArray(parsed) ? parsed : [value];
      } catch {
        out[key] = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
      }
    } else if (key === 'ttl') out[key] = Number(value);
    else if (key === 'hash_secret') out[key] = value === 'true';
    else out[key] = value;
  }
  // KIC fills the jwt algorithm Kong would default to.
  if (type === 'jwt' && out.algorithm === undefined) out.algorithm = 'HS256';
  return out;
}

/** KongConsumerGroups of the class, by `namespace/name`; plugins are attached to them. */
function translateGroups(state: TranslationState, registry: PluginSchemaRegistry, inClass: (o: K8sObject) => boolean): Map<string, string> {
  const byKey = new Map<string, string>();
  for (const group of state.all('KongConsumerGroup')) {
    if (!inClass(group)) continue;
    const name = group.metadata.name;
    if (state.consumerGroups.has(name)) {
      state.report(group, `another KongConsumerGroup is already named '${name}' (groups are named like their resource); skipped`);
      continue;
    }
    state.consumerGroups.set(name, { name, tags: tagsFor(group) });
    byKey.set(`${group.metadata.namespace}/${name}`, name);
    attachPlugins(state, group, { consumer_group: name }, registry);
  }
  return byKey;
}

/** A consumer's `consumerGroups` as memberships (groups are looked up in the consumer's namespace). */
function addMemberships(state: TranslationState, kc: K8sObject, username: string | undefined, groups: ReadonlyMap<string, string>): void {
  const names = asArray(field(kc, 'consumerGroups')).filter((n): n is string => typeof n === 'string');
  if (names.length === 0) return;
  if (username === undefined) {
    state.report(kc, 'consumerGroups on a consumer without username are not translated (memberships name consumers by username)');
    return;
  }
  for (const name of names) {
    const group = groups.get(`${kc.metadata.namespace}/${name}`);
    if (group === undefined) {
      state.report(kc, `consumerGroups: no KongConsumerGroup ${kc.metadata.namespace}/${name}; skipped`);
      continue;
    }
    state.memberships.push({ consumer: username, consumer_group: group });
  }
}

export function translateConsumers(state: TranslationState, registry: PluginSchemaRegistry, inClass: (o: K8sObject) => boolean): void {
  const collections = new Set<string>(ENTITY_ORDER);
  const groups = translateGroups(state, registry, inClass);
  for (const kc of state.all('KongConsumer')) {
    if (!inClass(kc)) continue;
    const username = asString(field(kc, 'username'));
    const customId = asString(field(kc, 'custom_id'));
    if (username === undefined && customId === undefined) {
      state.report(kc, 'a consumer needs `username` or `custom_id`; skipped');
      continue;
    }
    const key = username ?? `custom:${customId}`;
    if (state.consumers.has(key)) {
      state.report(kc, `another KongConsumer already has username '${username ?? customId}'; skipped`);
      continue;
    }
    const consumer: Entity = { tags: tagsFor(kc) };
    if (username !== undefined) consumer.username = username;
    if (customId !== undefined) consumer.custom_id = customId;
    for (const name of asArray(field(kc, 'credentials'))) {
      if (typeof name !== 'string') continue;
      const secret = state.find('Secret', kc.metadata.namespace, name);
      if (secret === undefined) {
        state.report(kc, `credential Secret ${kc.metadata.namespace}/${name} is not in the input; skipped`);
        continue;
      }
      const data = secretData(secret);
      const type = secret.metadata.labels['konghq.com/credential'] ?? data.kongCredType;
      const spec = type === undefined ? undefined : CREDENTIALS[type];
      if (spec === undefined || !collections.has(spec.collection)) {
        state.report(kc, `credential Secret ${name}: type '${type ?? '(none)'}' is not supported by Tollgate; skipped`);
        continue;
      }
      const list = (consumer[spec.collection] as Entity[] | undefined) ?? [];
      list.push(credentialFrom(type!, data));
      consumer[spec.collection] = list;
    }
    state.consumers.set(key, consumer);
    addMemberships(state, kc, username, groups);
    if (username !== undefined) attachPlugins(state, kc, { consumer: username }, registry);
    else if (customId !== undefined && state.consumers.get(key) !== undefined && kc.metadata.annotations['konghq.com/plugins'] !== undefined) {
      state.report(kc, 'plugins on a consumer without username are not attached (plugins name consumers by username)');
    }
  }
}
