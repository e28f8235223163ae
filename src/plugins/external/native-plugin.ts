/**
 * Tollgate's own external plugin format: a module whose default export (or whose named exports) is
 * `{ schema, handler }`, the same pair a bundled plugin registers. `definePlugin` (from the public entry,
 * `tollgate/plugin`) types it.
 */
import type { EntitySchemaDef, PluginDefinitionForSchema, PluginMigration } from '../../schema/index.ts';
import type { PluginHandler } from '../../pdk/plugin-handler.ts';
import { PLUGIN_PHASES } from '../../pdk/plugin-handler.ts';

/**
 * A plugin: its schema (config fields, scopes, protocols) and its handler (priority, phases), and, as a
 * bundled plugin may, the entities it owns (`daos`) with the migrations creating their tables.
 */
export interface PluginModule<Conf = unknown> {
  readonly schema: PluginDefinitionForSchema;
  readonly handler: PluginHandler<Conf>;
  readonly daos?: readonly EntitySchemaDef[];
  readonly migrations?: readonly PluginMigration[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Whether a module's exports have the `{ schema, handler }` shape (checked in detail by {@link checkNativePlugin}). */
export function isNativeModule(exports: unknown): exports is PluginModule {
  return isObject(exports) && 'schema' in exports && 'handler' in exports;
}

/** Checks a native plugin for `name`; throws with the reason (the loader adds the plugin and the file). */
export function checkNativePlugin(name: string, plugin: Record<string, unknown>): PluginModule {
  const { schema, handler } = plugin;
  if (!isObject(schema)) throw new Error(`'schema' must be an object ({ name, config: { type: 'record', fields } })`);
  if (!isObject(handler)) throw new Error(`'handler' must be an object ({ name, priority, access(kong, conf) { ... } })`);
  if (schema.name !== name) throw new Error(`schema.name is ${JSON.stringify(schema.name)}; it must be '${name}', the name the plugin is loaded by`);
  if (handler.name !== name) throw new Error(`handler.name is ${JSON.stringify(handler.name)}; it must be '${name}', the name the plugin is loaded by`);
  const config = schema.config;
  if (!isObject(config) || config.type !== 'record' || !isObject(config.fields) || Array.isArray(config.fields)) {
    throw new Error(`schema.config must be { type: 'record', fields: { <name>: { type: ... } } }`);
  }
  if (typeof handler.priority !== 'number' || !Number.isInteger(handler.priority)) {
    throw new Error(`handler.priority must be an integer (higher runs first), got ${JSON.stringify(handler.priority)}`);
  }
  let phases = 0;
  for (const member of [...PLUGIN_PHASES, 'init_worker', 'prepare'] as const) {
    const fn = handler[member];
    if (fn === undefined) continue;
    if (typeof fn !== 'function') throw new Error(`handler.${member} must be a function, got ${typeof fn}`);
    if (member !== 'prepare' && member !== 'init_worker') phases++;
  }
  if (phases === 0 && handler.init_worker === undefined) {
    throw new Error(`the handler has no phase method (one of ${PLUGIN_PHASES.join(', ')})`);
  }
  for (const member of ['daos', 'migrations'] as const) {
    if (plugin[member] !== undefined && !Array.isArray(plugin[member])) throw new Error(`'${member}' must be an array`);
  }
  return {
    schema: schema as unknown as PluginDefinitionForSchema,
    handler: handler as unknown as PluginHandler,
    ...(plugin.daos !== undefined ? { daos: plugin.daos as readonly EntitySchemaDef[] } : {}),
    ...(plugin.migrations !== undefined ? { migrations: plugin.migrations as readonly PluginMigration[] } : {}),
  };
}
