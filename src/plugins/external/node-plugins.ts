/**
 * The plugins one node runs, from its settings: the bundled ones it enables plus the external ones loaded
 * from `plugin_paths` and Kong plugin server directories. The supervisor and each worker call
 * {@link loadNodePlugins} with the same settings and so get the same plugins.
 */
import type { PluginSchemaRegistry } from '../../schema/index.ts';
import { BUNDLED_PLUGINS, enabledPlugins, pluginRegistry, type BundledPlugin } from '../index.ts';
import { loadExternalPlugins, type ExternalPlugin, type PluginDirectory } from './loader.ts';

/** The settings plugin loading reads (a subset of `Settings`, so workers can pass what they were sent). */
export interface PluginSettings {
  readonly plugins: readonly string[];
  readonly plugin_paths: readonly string[];
  readonly pluginServers: readonly { readonly name: string; readonly pluginsDirectory: string }[];
}

export interface NodePlugins {
  /** The enabled plugins, bundled and external, for `registerPlugins` (entities/) and the workers' handlers. */
  readonly enabled: readonly BundledPlugin[];
  /** Schemas of the enabled plugins, bundled and external. */
  readonly registry: PluginSchemaRegistry;
  /** The external plugins, loaded. */
  readonly external: readonly ExternalPlugin[];
}

/** Where external plugins are looked for, in order: `plugin_paths`, then each plugin server's directory. */
export function pluginDirectories(settings: Pick<PluginSettings, 'plugin_paths' | 'pluginServers'>): PluginDirectory[] {
  return [
    ...settings.plugin_paths.map((path) => ({ path, setting: 'plugin_paths' })),
    ...settings.pluginServers.map((s) => ({ path: s.pluginsDirectory, setting: `pluginserver_${s.name.replace(/-/g, '_')}_start_cmd` })),
  ];
}

/** Loads the node's plugins; throws `PluginLoadError` naming the plugin, the file and the reason. */
export async function loadNodePlugins(settings: PluginSettings): Promise<NodePlugins> {
  const bundled = new Set(BUNDLED_PLUGINS.map((p) => p.schema.name));
  const external = await loadExternalPlugins(settings.plugins, bundled, pluginDirectories(settings));
  return { enabled: enabledPlugins(settings.plugins, external), registry: pluginRegistry(settings.plugins, external), external };
}
