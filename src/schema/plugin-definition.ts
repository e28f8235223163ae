/**
 * What a plugin tells the schema engine about itself: its configuration schema and the scopes and
 * protocols it accepts. Lives here (not in `entities/`) because plugins may import only `schema/`.
 */

import type { EntityCheck, EntitySchemaDef, FieldDef, FieldsDef, RecordValue } from './types.ts';
import type { Protocol } from './protocols.ts';

export interface PluginDefinitionForSchema {
  /** The plugin name, as written in `plugins[].name`. */
  readonly name: string;
  /** The `config` record: its fields (with defaults) and optional record-level checks. */
  readonly config: FieldDef & { readonly type: 'record'; readonly fields: FieldsDef };
  /** Protocols the plugin can run on (default: all). Plugin entities default to the HTTP-family ones. */
  readonly protocols?: readonly Protocol[];
  /** The plugin cannot be scoped to a consumer (e.g. authentication plugins). */
  readonly noConsumer?: boolean;
  /** The plugin cannot be scoped to a route. */
  readonly noRoute?: boolean;
  /** The plugin cannot be scoped to a service. */
  readonly noService?: boolean;
  /** Run order (higher first), shown by the Admin API's `GET /`; set by the plugin registry from the handler. */
  readonly priority?: number;
  /** Checks across the plugin entity's fields (`config.x` paths allowed). */
  readonly entityChecks?: readonly EntityCheck[];
}

/** Enabled plugins by name; a plugin entity naming anything else is rejected. */
export type PluginSchemaRegistry = ReadonlyMap<string, PluginDefinitionForSchema>;

/** Declares a plugin's schema keeping its literal types, so that {@link PluginConfig} can infer its config. */
export function definePluginSchema<const S extends PluginDefinitionForSchema>(schema: S): S {
  return schema;
}

/** The validated `config` of a plugin declared with {@link definePluginSchema}: defaults applied, types inferred. */
export type PluginConfig<S extends { readonly config: { readonly fields: FieldsDef } }> = Readonly<RecordValue<S['config']['fields']>>;
/**
 * One step of a plugin's own migrations (Kong's `kong/plugins/<name>/migrations/<step>.lua`), recorded under
 * the plugin's name (`<plugin>:000_base_<plugin>`). SQL per dialect; a plugin's first step must also work on
 * a database where an older Tollgate created its tables (`CREATE TABLE IF NOT EXISTS`).
 */
export interface PluginMigration {
  /** `000_base_<plugin>`, `001_add_x`: three digits, then words; runs in list order. */
  readonly name: string;
  readonly up: Readonly<Record<'sqlite' | 'postgres', string>>;
  /** Run by `tollgate migrations finish`, once no older node needs the old layout. */
  readonly teardown?: Readonly<Record<'sqlite' | 'postgres', string>>;
  /** Tables this step creates, in creation order (`migrations reset` drops them). */
  readonly tables: readonly string[];
}

/**
 * What a plugin brings besides its handler: its name, its entities (Kong's `daos.lua`, declared with
 * `defineEntity`) and the migrations that create their tables. The entity registry takes these.
 */
export interface PluginDefinitionForRegistry {
  readonly schema: { readonly name: string };
  /** Entity schemas, referenced ones first; they may reference core entities and other plugins' entities. */
  readonly daos?: readonly EntitySchemaDef[];
  readonly migrations?: readonly PluginMigration[];
}
