/**
 * The bundled plugins, and the registry a node builds from its `plugins` setting. A new plugin is a folder
 * with `schema.ts` and `handler.ts`, added to BUNDLED_PLUGINS.
 */
import type { PluginDefinitionForSchema, PluginSchemaRegistry } from '../schema/index.ts';
import type { PluginHandler } from '../pdk/index.ts';
import { keyAuthSchema } from './key-auth/schema.ts';
import { keyAuthHandler } from './key-auth/handler.ts';

export interface BundledPlugin {
  readonly schema: PluginDefinitionForSchema;
  readonly handler: PluginHandler;
}

export const BUNDLED_PLUGINS: readonly BundledPlugin[] = [{ schema: keyAuthSchema, handler: keyAuthHandler }];

/** Handlers of every bundled plugin by name (what the snapshot compiler runs). */
export const PLUGIN_HANDLERS: ReadonlyMap<string, PluginHandler> = new Map(BUNDLED_PLUGINS.map((p) => [p.handler.name, p.handler]));

/** A plugin loaded from outside (`plugin_paths`): its schema and its handler's priority. */
export interface ExternalPluginEntry {
  readonly schema: PluginDefinitionForSchema;
  readonly handler: { readonly priority: number };
}

/**
 * The schemas of the plugins a node enables, from its `plugins` setting: `bundled` means all bundled
 * plugins, `off` none, other entries name plugins. Throws on a name that is neither a bundled plugin nor one
 * of `external` (loaded by `plugins/external/`).
 */
export function pluginRegistry(enabled: readonly string[], external: readonly ExternalPluginEntry[] = []): PluginSchemaRegistry {
  // The registry carries each plugin's priority so that the Admin API can show it without importing handlers.
  const byName = new Map(BUNDLED_PLUGINS.map((p) => [p.schema.name, { ...p.schema, priority: p.handler.priority }]));
  const externalByName = new Map(external.map((p) => [p.schema.name, { ...p.schema, priority: p.handler.priority }]));
  const registry = new Map<string, PluginDefinitionForSchema>();
  for (const entry of enabled) {
    if (entry === 'off') continue;
    if (entry === 'bundled') {
      for (const [name, schema] of byName) registry.set(name, schema);
      continue;
    }
    const schema = byName.get(entry) ?? externalByName.get(entry);
    if (schema === undefined) {
      throw new Error(
        `plugins: '${entry}' is not a plugin Tollgate has (bundled: ${[...byName.keys()].join(', ')}); remove it from the 'plugins' setting`,
      );
    }
    registry.set(entry, schema);
  }
  return registry;
}

/** The priority of a bundled plugin (for `GET /`), or 0. */
export function pluginPriority(name: string): number {
  return PLUGIN_HANDLERS.get(name)?.priority ?? 0;
}
