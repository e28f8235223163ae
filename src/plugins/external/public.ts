/**
 * The entry plugin authors import (`import { definePlugin } from 'tollgate/plugin'`): the helper that types a
 * plugin module, and the types of the plugin contract and the PDK. Everything here is types except
 * `definePlugin` and `definePluginSchema`, which return their argument.
 */
import type { EntitySchemaDef, PluginConfig, PluginDefinitionForSchema, PluginMigration } from '../../schema/index.ts';
import type { PluginHandler } from '../../pdk/plugin-handler.ts';
import type { PluginModule } from './native-plugin.ts';

export type { PluginModule } from './native-plugin.ts';
export type { PluginHandler, PluginPhase, PhaseMethod, PhaseResult } from '../../pdk/plugin-handler.ts';
export type { PluginConfigData, PluginEntityScope, PluginConsumer, PluginCredential } from '../../pdk/plugin-handler.ts';
export type * from '../../pdk/kong.ts';
export type { NodeServices, SharedCounters, SharedCache, MetricsRegistry } from '../../pdk/shared-state.ts';
export type { LogRecord } from '../../pdk/log-record.ts';
export type { EntitySchemaDef, FieldDef, FieldsDef, PluginConfig, PluginDefinitionForSchema, PluginMigration } from '../../schema/index.ts';
export { definePluginSchema } from '../../schema/index.ts';

/**
 * Declares a plugin module: `export default definePlugin({ schema, handler })`. The phases' `conf` is what
 * `handler.prepare` returns, or the validated config (typed from the schema) when there is no `prepare`.
 */
export function definePlugin<const S extends PluginDefinitionForSchema, Conf = PluginConfig<S>>(plugin: {
  readonly schema: S;
  readonly handler: PluginHandler<Conf>;
  readonly daos?: readonly EntitySchemaDef[];
  readonly migrations?: readonly PluginMigration[];
}): PluginModule<Conf> {
  return plugin;
}
