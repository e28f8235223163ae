/**
 * Plugins: a plugin instance with its configuration, global or scoped to a route, a service and/or a
 * consumer or a consumer group (not both: Kong keeps them mutually exclusive). The `config` record is validated by the plugin's own schema, looked up by `name` in the
 * registry of enabled plugins; an unknown name is rejected.
 */
import {
  PROTOCOLS,
  HTTP_PROTOCOLS,
  defineEntity,
  typedefs,
  type EntityType,
  type FieldDef,
  type PluginDefinitionForSchema,
  type PluginSchemaRegistry,
  type SubschemaDef,
} from '../schema/index.ts';

export type { PluginDefinitionForSchema, PluginSchemaRegistry };

/** No plugins enabled: every plugin entity is rejected with Kong's "not enabled" message. */
export const EMPTY_PLUGIN_REGISTRY: PluginSchemaRegistry = new Map();

/** `ordering.before`/`ordering.after`: plugin names by phase; only the access phase can be reordered, as in Kong. */
const ORDERING_PHASES = {
  type: 'map',
  keys: { type: 'string', one_of: ['access'] },
  values: { type: 'array', elements: { type: 'string' } },
} as const;

export const pluginsSchema = defineEntity({
  name: 'plugins',
  primary_key: ['id'],
  cache_key: ['name', 'route', 'service', 'consumer', 'consumer_group'],
  workspaceable: true,
  endpoint_key: 'instance_name',
  subschema_key: 'name',
  subschema_error: "plugin '%s' not enabled; add it to the 'plugins' configuration property",
  fields: {
    id: typedefs.uuid,
    name: { type: 'string', required: true, description: 'The plugin to run.' },
    instance_name: typedefs.utf8_name,
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
    route: { type: 'foreign', reference: 'routes', default: null, on_delete: 'cascade', description: 'Only for this route.' },
    service: {
      type: 'foreign',
      reference: 'services',
      default: null,
      on_delete: 'cascade',
      description: 'Only for routes of this service.',
    },
    consumer: {
      type: 'foreign',
      reference: 'consumers',
      default: null,
      on_delete: 'cascade',
      description: 'Only for requests authenticated as this consumer.',
    },
    consumer_group: {
      type: 'foreign',
      reference: 'consumer_groups',
      default: null,
      on_delete: 'cascade',
      description: 'Only for requests authenticated as a consumer of this group.',
    },
    config: { type: 'record', abstract: true, description: 'The plugin configuration (plugin-specific).' },
    protocols: typedefs.protocols,
    enabled: { type: 'boolean', required: true, default: true, description: 'Whether the plugin runs.' },
    ordering: {
      type: 'record',
      required: false,
      description: 'Run this plugin before or after others in the access phase, whatever their priorities (Kong Enterprise\'s dynamic ordering).',
      fields: {
        before: { ...ORDERING_PHASES, description: 'Plugin names this plugin runs before, per phase (`access`).' },
        after: { ...ORDERING_PHASES, description: 'Plugin names this plugin runs after, per phase (`access`).' },
      },
    },
    tags: typedefs.tags,
  },
  entity_checks: [{ mutually_exclusive: ['consumer', 'consumer_group'] }],
});

export type Plugin = EntityType<typeof pluginsSchema>;

/** The plugin entity's fields as one plugin definition specialises them. */
function subschemaFor(plugin: PluginDefinitionForSchema): SubschemaDef {
  const fields: Record<string, FieldDef> = {
    // A plugin configuration is always present: missing means "all defaults".
    config: { ...plugin.config, required: true },
  };
  if (plugin.protocols) {
    const allowed = PROTOCOLS.filter((p) => plugin.protocols?.includes(p));
    const httpAllowed = HTTP_PROTOCOLS.filter((p) => allowed.includes(p));
    fields.protocols = {
      type: 'set',
      required: true,
      default: httpAllowed.length > 0 ? httpAllowed : allowed,
      elements: { type: 'string', one_of: allowed },
    };
  }
  if (plugin.noConsumer) {
    fields.consumer = typedefs.no_consumer;
    // A plugin that runs before the consumer is known (authentication) cannot wait for its group either.
    fields.consumer_group = typedefs.no_consumer_group;
  }
  if (plugin.noRoute) fields.route = typedefs.no_route;
  if (plugin.noService) fields.service = typedefs.no_service;
  return { name: plugin.name, fields, entity_checks: plugin.entityChecks };
}

const subschemaCache = new WeakMap<PluginSchemaRegistry, ReadonlyMap<string, SubschemaDef>>();

/** The subschemas (one per enabled plugin) to validate plugin entities with; cached per registry. */
export function pluginSubschemas(registry: PluginSchemaRegistry): ReadonlyMap<string, SubschemaDef> {
  let map = subschemaCache.get(registry);
  if (!map) {
    map = new Map([...registry].map(([name, plugin]) => [name, subschemaFor(plugin)]));
    subschemaCache.set(registry, map);
  }
  return map;
}
