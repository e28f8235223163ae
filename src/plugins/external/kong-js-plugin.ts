/**
 * Kong JavaScript plugins (the modules Kong's `kong-js-pluginserver` runs: `Plugin`, `Schema`, `Version`,
 * `Priority`, optional `Name`) adapted to Tollgate's plugin contract, to run in the worker itself.
 *
 * - `Schema` is wrapped as Kong wraps it (`config` record) and converted to Tollgate's schema, so the config
 *   is validated and `GET /schemas/plugins/{name}` serves it.
 * - One `Plugin` instance per plugin entity per configuration, built in `prepare` with a copy of its config.
 * - Each phase method gets the PDK of {@link kongJsPdk}; a handler that calls `kong.response.exit` is not
 *   waited for after that call.
 * - A `response` method is a `response` phase, which turns on response buffering for the route, as in Kong.
 */
import type { PluginDefinitionForSchema } from '../../schema/index.ts';
import type { Kong } from '../../pdk/kong.ts';
import type { PluginHandler } from '../../pdk/plugin-handler.ts';
import { kongJsConfigRecord } from './kong-schema.ts';
import { kongJsPdk, PhaseExit } from './kong-js-pdk.ts';
import type { JsCallScope } from './kong-js-surface.ts';

/** The phases Kong's plugin server looks for on the `Plugin` class (`preread` is for stream routes). */
export const KONG_JS_PHASES = ['certificate', 'rewrite', 'access', 'response', 'log'] as const;
type KongJsPhase = (typeof KONG_JS_PHASES)[number];

/** What a Kong JavaScript plugin module exports. */
export interface KongJsModule {
  readonly Plugin: new (config: Record<string, unknown>) => Record<string, unknown>;
  readonly Schema?: unknown;
  readonly Version?: unknown;
  readonly Priority?: unknown;
  readonly Name?: unknown;
}

/** Whether a module's exports look like a Kong JavaScript plugin. */
export function isKongJsModule(exports: unknown): exports is KongJsModule {
  return typeof exports === 'object' && exports !== null && typeof (exports as { Plugin?: unknown }).Plugin === 'function';
}

/** The plugin name Kong gives a module: its `Name`, else the file or folder name, lower-cased. */
export function kongJsName(exports: KongJsModule, fileName: string): string {
  return (typeof exports.Name === 'string' && exports.Name !== '' ? exports.Name : fileName).toLowerCase();
}

/** A plugin entity's instance, or why it could not be built (reported on each request it handles). */
type Instance =
  | { readonly plugin: Record<string, unknown>; readonly scope: JsCallScope; readonly error?: undefined }
  | { readonly plugin?: undefined; readonly error: Error };

/**
 * Adapts a Kong JavaScript plugin module. Throws (with the reason only; the loader adds plugin and file)
 * when the exports cannot make a plugin.
 */
export function adaptKongJsPlugin(name: string, exports: KongJsModule): { schema: PluginDefinitionForSchema; handler: PluginHandler<Instance> } {
  const priority = exports.Priority ?? 0;
  if (typeof priority !== 'number' || !Number.isInteger(priority)) {
    throw new Error(`'Priority' must be an integer, got ${JSON.stringify(priority)}`);
  }
  if (exports.Version !== undefined && typeof exports.Version !== 'string') throw new Error(`'Version' must be a string, got ${JSON.stringify(exports.Version)}`);
  if (exports.Schema !== undefined && !Array.isArray(exports.Schema)) {
    throw new Error(`'Schema' must be an array of fields in Kong's schema syntax, e.g. [{ message: { type: "string" } }]`);
  }
  const schema: PluginDefinitionForSchema = { name, config: kongJsConfigRecord(exports.Schema) };
  const Plugin = exports.Plugin;
  const proto = Plugin.prototype as Record<string, unknown> | undefined;
  const handler: {
    -readonly [K in keyof PluginHandler<Instance>]: PluginHandler<Instance>[K];
  } = {
    name,
    priority,
    ...(typeof exports.Version === 'string' ? { version: exports.Version } : {}),
    prepare(config, _data, entity) {
      try {
        // Kong hands the plugin server a JSON copy of the config; the plugin may change its own.
        const scope: JsCallScope = { pluginName: name, pluginId: entity?.id ?? null };
        return { plugin: new Plugin(structuredClone(config) as Record<string, unknown>), scope };
      } catch (err) {
        return { error: new Error(`plugin '${name}': new Plugin(config) threw: ${err instanceof Error ? err.message : String(err)}`) };
      }
    },
  };
  for (const phase of KONG_JS_PHASES) {
    if (typeof proto?.[phase] === 'function') handler[phase] = (kong: Kong, instance: Instance) => runPhase(instance, phase, kong);
  }
  return { schema, handler };
}

/**
 * Runs one phase method of one plugin instance. Resolves when the method's promise settles, or as soon as it
 * answers the request with `kong.response.exit`/`error` (its promise is then left behind, never awaited).
 */
export function runPhase(instance: Instance, phase: KongJsPhase, kong: Kong): Promise<void> {
  if (instance.error !== undefined) return Promise.reject(instance.error);
  const exit = new PhaseExit();
  let running: unknown;
  try {
    running = (instance.plugin[phase] as (kong: unknown) => unknown).call(instance.plugin, kongJsPdk(kong, exit, instance.scope));
  } catch (err) {
    return Promise.reject(err);
  }
  if (exit.done) return Promise.resolve();
  if (!(running instanceof Promise)) return Promise.resolve();
  return Promise.race([running.then(() => undefined), exit.exited]);
}
