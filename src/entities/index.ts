/**
 * Every entity Tollgate knows (see `registry.ts`: core entities, then those of the enabled plugins, in
 * dependency order), with the metadata the Admin API, the store and the declarative loader derive their
 * behaviour from, and validation.
 */
import {
  validateRecord,
  type PluginSchemaRegistry,
  type SchemaDef,
  type ValidateOptions,
  type ValidationResult,
} from '../schema/index.ts';
import type { Certificate } from './certificates.ts';
import type { CaCertificate } from './ca-certificates.ts';
import type { Sni } from './snis.ts';
import type { Service } from './services.ts';
import type { Route } from './routes.ts';
import type { Upstream } from './upstreams.ts';
import type { Target } from './targets.ts';
import type { Consumer } from './consumers.ts';
import type { ConsumerGroup } from './consumer-groups.ts';
import type { ConsumerGroupConsumer } from './consumer-group-consumers.ts';
import { pluginSubschemas, EMPTY_PLUGIN_REGISTRY, type Plugin } from './plugins.ts';
import type { Vault } from './vaults.ts';
import type { KeySet } from './key-sets.ts';
import type { Key } from './keys.ts';
import { ENTITIES, ENTITY_ORDER, ENTITY_SCHEMAS, type CoreEntityName, type EntityMeta, type EntityName } from './registry.ts';

export type { CaCertificate, Certificate, Consumer, ConsumerGroup, ConsumerGroupConsumer, Key, KeySet, Plugin, Route, Service, Sni, Target, Upstream, Vault };
export { VAULT_BACKENDS, VAULT_SUBSCHEMAS, type VaultBackendName } from './vaults.ts';
export { MASK, maskJwk, maskPrivatePem } from './key-material.ts';
export {
  CORE_ENTITY_SCHEMAS,
  ENTITIES,
  ENTITY_ORDER,
  ENTITY_SCHEMAS,
  memoizeOnRegistry,
  registerPlugins,
  registeredPlugins,
  registryRevision,
  routerFlavorInUse,
  useRouterFlavor,
} from './registry.ts';
export type { RoutesSchemaFlavor } from './registry.ts';
export type { CoreEntityName, EntityMeta, EntityName, ForeignKeyMeta } from './registry.ts';
export { pluginSubschemas, EMPTY_PLUGIN_REGISTRY } from './plugins.ts';
export type { PluginDefinitionForRegistry, PluginDefinitionForSchema, PluginMigration, PluginSchemaRegistry } from '../schema/index.ts';
export { normalizeTarget, DEFAULT_TARGET_PORT } from './targets.ts';
export { certificateDigest } from './pem.ts';

/** An entity as generic code sees it (a plugin's entity, or a core one without its type). */
export type EntityRecord = Readonly<Record<string, unknown>>;

/** Types of the core entities by collection name. */
export interface CoreEntityTypes {
  certificates: Certificate;
  ca_certificates: CaCertificate;
  snis: Sni;
  services: Service;
  routes: Route;
  upstreams: Upstream;
  targets: Target;
  consumers: Consumer;
  consumer_groups: ConsumerGroup;
  consumer_group_consumers: ConsumerGroupConsumer;
  plugins: Plugin;
  vaults: Vault;
  key_sets: KeySet;
  keys: Key;
}

/** Looks an entity up by collection name (`routes`) or Admin API name (`ca_certificates`). */
export function findEntity(name: string): EntityMeta | undefined {
  if (Object.prototype.hasOwnProperty.call(ENTITIES, name)) return ENTITIES[name];
  return ENTITY_ORDER.map((n) => ENTITIES[n]).find((meta) => meta.adminApiName === name);
}

/** Whether a collection is registered (core, or of a registered plugin). */
export function isEntityName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(ENTITIES, name);
}

/** The schema of a referenced collection (a foreign field's `reference`), if it is registered. */
function referencedSchema(reference: string): SchemaDef | undefined {
  return isEntityName(reference) ? ENTITY_SCHEMAS[reference as EntityName] : undefined;
}

export interface EntityValidateOptions extends Omit<ValidateOptions, 'subschemas'> {
  /** Enabled plugins, for plugin entities (default: none). */
  plugins?: PluginSchemaRegistry;
}

/**
 * Validates an entity of the given collection: defaults filled, auto fields generated, Kong-shaped errors.
 * Plugin configurations are validated with the plugin's schema from `options.plugins`.
 */
export function validateEntity<K extends CoreEntityName>(name: K, input: unknown, options?: EntityValidateOptions): ValidationResult<CoreEntityTypes[K]>;
export function validateEntity(name: EntityName, input: unknown, options?: EntityValidateOptions): ValidationResult<Record<string, unknown>>;
export function validateEntity(name: EntityName, input: unknown, options: EntityValidateOptions = {}): ValidationResult<unknown> {
  const { plugins, ...rest } = options;
  const schema = ENTITY_SCHEMAS[name];
  if (schema === undefined) throw new Error(`validateEntity: unknown collection '${name}'; known: ${ENTITY_ORDER.join(', ')}`);
  const subschemas = name === 'plugins' ? pluginSubschemas(plugins ?? EMPTY_PLUGIN_REGISTRY) : undefined;
  return validateRecord(schema, input, { foreignSchema: referencedSchema, ...rest, subschemas });
}
