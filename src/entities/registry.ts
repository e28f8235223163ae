/**
 * The entity registry: every collection Tollgate knows, in dependency order (an entity comes after those it
 * references), with the metadata the store, the Admin API, the declarative loader, the cluster code and the
 * snapshot derive their behaviour from. Core entities are always there; plugins add theirs (Kong's
 * `daos.lua`) with `registerPlugins`, which every process calls with the plugins its node enables before it
 * touches entities. `ENTITY_ORDER`, `ENTITIES` and `ENTITY_SCHEMAS` are live views of the registry; code that
 * derives tables from them caches with `memoizeOnRegistry`.
 */
import type { EntitySchemaDef, PluginDefinitionForRegistry } from '../schema/index.ts';
import { certificatesSchema } from './certificates.ts';
import { caCertificatesSchema } from './ca-certificates.ts';
import { snisSchema } from './snis.ts';
import { servicesSchema } from './services.ts';
import { routesExpressionsSchema, routesSchema } from './routes.ts';
import { upstreamsSchema } from './upstreams.ts';
import { targetsSchema } from './targets.ts';
import { consumersSchema } from './consumers.ts';
import { consumerGroupsSchema } from './consumer-groups.ts';
import { consumerGroupConsumersSchema } from './consumer-group-consumers.ts';
import { pluginsSchema } from './plugins.ts';
import { vaultsSchema } from './vaults.ts';
import { keySetsSchema } from './key-sets.ts';
import { keysSchema } from './keys.ts';

/** Core collections, referenced ones first. */
export const CORE_ENTITY_SCHEMAS = [
  certificatesSchema,
  caCertificatesSchema,
  snisSchema,
  servicesSchema,
  routesSchema,
  upstreamsSchema,
  targetsSchema,
  consumersSchema,
  consumerGroupsSchema,
  consumerGroupConsumersSchema,
  pluginsSchema,
  vaultsSchema,
  keySetsSchema,
  keysSchema,
] as const;

export type CoreEntityName = (typeof CORE_ENTITY_SCHEMAS)[number]['name'];

/** A collection name: a core one (`services`) or one a plugin registered. */
export type EntityName = string;

export interface ForeignKeyMeta {
  /** The field holding `{id}` (`service`). */
  field: string;
  /** The referenced collection (`services`). */
  reference: EntityName;
  /** What deleting the referenced entity does to this one. */
  onDelete: 'cascade' | 'restrict';
  required: boolean;
}

export interface EntityMeta {
  /** Collection name, as in declarative files and `GET /schemas/{name}` (`ca_certificates`). */
  name: EntityName;
  /** Singular, as in flattened errors (`ca_certificate`). */
  singular: string;
  /** URL segment of the top-level collection (`services`). */
  adminApiName: string;
  /** URL segment when nested under a parent (`/services/{s}/routes`). */
  adminApiNestedName: string;
  /** Field used for non-UUID lookups and for declarative references, or null (UUID only). */
  endpointKey: string | null;
  /** The endpoint key is a secret the audit log masks. */
  secretEndpointKey: boolean;
  foreignKeys: readonly ForeignKeyMeta[];
  /** Fields whose values must be unique across the collection. */
  uniqueFields: readonly string[];
  /** Fields that identify the entity in caches (and derive its declarative id), or null. */
  cacheKey: readonly string[] | null;
  /** Accepts a `ttl` (seconds) on write. */
  ttl: boolean;
  /** Part of the configuration export (false: Kong's `db_export = false`, rows that stay in the database). */
  dbExport: boolean;
  /**
   * Part of the live configuration (snapshots, configuration versions, pushes to data planes); false for
   * exported rows written while serving (`live_config: false`) and for everything not exported.
   */
  liveConfig: boolean;
  /** Served by the Admin API's generated endpoints (false: Kong's `generate_admin_api = false`). */
  generateAdminApi: boolean;
  hasTags: boolean;
  /** The plugin that registered the entity, or null for a core entity. */
  plugin: string | null;
  schema: EntitySchemaDef;
}

const order: EntityName[] = [];
const metas: Record<EntityName, EntityMeta> = {};
const schemas: Record<EntityName, EntitySchemaDef> = {};
const plugins = new Map<string, { definition: PluginDefinitionForRegistry; entities: readonly string[] }>();
let revision = 0;

/** Every collection in dependency order: core first, then plugins' (live: registration appends). */
export const ENTITY_ORDER: readonly EntityName[] = order;
/** Metadata by collection name (live). */
export const ENTITIES: Readonly<Record<EntityName, EntityMeta>> = metas;
/** Schemas by collection name (live). */
export const ENTITY_SCHEMAS: Readonly<Record<EntityName, EntitySchemaDef>> = schemas;

function singular(name: string): string {
  return name.endsWith('s') ? name.slice(0, -1) : name;
}

function metaOf(schema: EntitySchemaDef, plugin: string | null): EntityMeta {
  const name = schema.name;
  const foreignKeys: ForeignKeyMeta[] = [];
  const uniqueFields: string[] = [];
  for (const [field, def] of Object.entries(schema.fields)) {
    if (def.type === 'foreign' && def.reference) {
      // SNIs go with their certificate (Kong's certificate DAO deletes them first).
      const cascade = def.on_delete === 'cascade' || (name === 'snis' && field === 'certificate');
      foreignKeys.push({ field, reference: def.reference, onDelete: cascade ? 'cascade' : 'restrict', required: def.required === true });
    }
    if (def.unique) uniqueFields.push(field);
  }
  return {
    name,
    singular: singular(name),
    adminApiName: schema.admin_api_name ?? name,
    adminApiNestedName: schema.admin_api_nested_name ?? schema.admin_api_name ?? name,
    endpointKey: schema.endpoint_key ?? null,
    secretEndpointKey: schema.secret_endpoint_key === true,
    foreignKeys,
    uniqueFields,
    cacheKey: schema.cache_key ?? null,
    ttl: schema.ttl === true,
    dbExport: schema.db_export !== false,
    liveConfig: schema.db_export !== false && schema.live_config !== false,
    generateAdminApi: schema.generate_admin_api !== false,
    hasTags: 'tags' in schema.fields,
    plugin,
    schema,
  };
}

function add(schema: EntitySchemaDef, plugin: string | null): void {
  order.push(schema.name);
  metas[schema.name] = metaOf(schema, plugin);
  schemas[schema.name] = schema;
}

for (const schema of CORE_ENTITY_SCHEMAS) add(schema, null);

function isKnown(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(metas, name);
}

function ownerText(name: string): string {
  const owner = metas[name].plugin;
  return owner === null ? 'core' : `plugin '${owner}'`;
}

const COLLECTION_NAME = /^[a-z][a-z0-9_]*$/;

function sameDaos(a: PluginDefinitionForRegistry, b: PluginDefinitionForRegistry): boolean {
  const names = (d: PluginDefinitionForRegistry) => (d.daos ?? []).map((s) => s.name).join(',');
  const steps = (d: PluginDefinitionForRegistry) => (d.migrations ?? []).map((m) => m.name).join(',');
  return names(a) === names(b) && steps(a) === steps(b);
}

/**
 * Adds the entities (`daos`) and migrations of plugin definitions to the registry, after the core entities
 * and the plugins registered before, in dependency order. Idempotent: a plugin registered again with the
 * same entities is skipped. Throws, naming the plugin and changing nothing, when an entity name is taken
 * (by core or another plugin), an Admin API name is taken, or a dao references an unknown entity.
 */
export function registerPlugins(definitions: readonly PluginDefinitionForRegistry[]): void {
  const fresh: PluginDefinitionForRegistry[] = [];
  for (const definition of definitions) {
    const name = definition.schema.name;
    const previous = plugins.get(name)?.definition ?? fresh.find((d) => d.schema.name === name);
    if (previous !== undefined) {
      if (previous === definition || sameDaos(previous, definition)) continue;
      throw new Error(`plugin '${name}': registered twice with different entities or migrations`);
    }
    fresh.push(definition);
  }
  if (fresh.length === 0) return;

  // Check every new dao before changing anything.
  const pending = new Map<string, { schema: EntitySchemaDef; plugin: string }>();
  const adminNames = new Map<string, string>();
  for (const name of order) adminNames.set(metas[name].adminApiName, ownerText(name));
  for (const definition of fresh) {
    const plugin = definition.schema.name;
    for (const schema of definition.daos ?? []) {
      const where = `plugin '${plugin}': entity '${schema.name}'`;
      if (!COLLECTION_NAME.test(schema.name)) throw new Error(`${where} needs a lower-case name of letters, digits and '_'`);
      if (isKnown(schema.name)) throw new Error(`${where} is already defined by ${ownerText(schema.name)}`);
      const other = pending.get(schema.name);
      if (other !== undefined) throw new Error(`${where} is already defined by plugin '${other.plugin}'`);
      if (schema.fields.id === undefined || schema.primary_key.join() !== 'id') {
        throw new Error(`${where} needs an 'id' field as its primary key (typedefs.uuid)`);
      }
      const adminName = schema.admin_api_name ?? schema.name;
      const adminOwner = adminNames.get(adminName);
      if (adminOwner !== undefined) throw new Error(`${where}: Admin API name '${adminName}' is already used by ${adminOwner}`);
      adminNames.set(adminName, `plugin '${plugin}'`);
      pending.set(schema.name, { schema, plugin });
    }
  }
  // Dependency order: a dao goes in once every collection it references is in.
  const placed = new Set<string>();
  const sorted: { schema: EntitySchemaDef; plugin: string }[] = [];
  const references = (schema: EntitySchemaDef) =>
    Object.entries(schema.fields).filter(([, def]) => def.type === 'foreign').map(([field, def]) => ({ field, reference: def.reference }));
  while (sorted.length < pending.size) {
    let progress = false;
    for (const [name, entry] of pending) {
      if (placed.has(name)) continue;
      const ready = references(entry.schema).every(({ reference }) => reference !== undefined && (isKnown(reference) || placed.has(reference)));
      if (!ready) continue;
      placed.add(name);
      sorted.push(entry);
      progress = true;
    }
    if (progress) continue;
    for (const [name, entry] of pending) {
      if (placed.has(name)) continue;
      for (const { field, reference } of references(entry.schema)) {
        if (reference === undefined || (!isKnown(reference) && !pending.has(reference))) {
          throw new Error(`plugin '${entry.plugin}': entity '${name}' field '${field}' references unknown entity '${reference ?? ''}'`);
        }
      }
      throw new Error(`plugin '${entry.plugin}': entity '${name}' is part of a reference cycle`);
    }
  }
  for (const entry of sorted) add(entry.schema, entry.plugin);
  for (const definition of fresh) {
    plugins.set(definition.schema.name, { definition, entities: (definition.daos ?? []).map((s) => s.name) });
  }
  revision++;
}

/** Router flavors, as far as the routes schema cares. */
export type RoutesSchemaFlavor = 'traditional' | 'traditional_compatible' | 'expressions';

let routesFlavor: RoutesSchemaFlavor = 'traditional_compatible';

/**
 * Picks the routes schema for the node's `router_flavor`, as Kong builds its routes schema from
 * `kong.configuration.router_flavor`: `expressions` adds `expression` and `priority` (see routes.ts).
 * Every process that validates entities calls it once its settings are known (loadSettings does).
 */
export function useRouterFlavor(flavor: RoutesSchemaFlavor): void {
  if (flavor === routesFlavor) return;
  routesFlavor = flavor;
  const schema = flavor === 'expressions' ? routesExpressionsSchema : routesSchema;
  metas.routes = metaOf(schema, null);
  schemas.routes = schema;
  revision++;
}

/** The flavor the routes schema currently follows. */
export function routerFlavorInUse(): RoutesSchemaFlavor {
  return routesFlavor;
}

/** The plugin definitions registered so far, in registration order (their migrations run in this order). */
export function registeredPlugins(): readonly PluginDefinitionForRegistry[] {
  return [...plugins.values()].map((p) => p.definition);
}

/** Counts registrations that changed the registry: derived tables rebuild when it moves. */
export function registryRevision(): number {
  return revision;
}

/**
 * Wraps a function of the registry (table layouts, nesting maps, ...) so that it runs once per registry
 * state: the first call after a registration rebuilds it.
 */
export function memoizeOnRegistry<T>(build: () => T): () => T {
  let built = -1;
  let value: T;
  return () => {
    if (built !== revision) {
      value = build();
      built = revision;
    }
    return value;
  };
}
