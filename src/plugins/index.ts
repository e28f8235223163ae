/**
 * The bundled plugins, and the registry a node builds from its `plugins` setting. A new plugin is a folder
 * with `schema.ts` and `handler.ts` (and, when it owns entities, `daos.ts` and `migrations/`), added to
 * BUNDLED_PLUGINS.
 */
import type { EntitySchemaDef, PluginDefinitionForSchema, PluginMigration, PluginSchemaRegistry } from '../schema/index.ts';
import type { PluginApiEndpoint, PluginHandler } from '../pdk/index.ts';
import { keyAuthSchema } from './key-auth/schema.ts';
import { keyAuthHandler } from './key-auth/handler.ts';
import { keyAuthDaos } from './key-auth/daos.ts';
import { keyAuthMigrations } from './key-auth/migrations/index.ts';
import { correlationIdSchema } from './correlation-id/schema.ts';
import { correlationIdHandler } from './correlation-id/handler.ts';
import { redirectSchema } from './redirect/schema.ts';
import { redirectHandler } from './redirect/handler.ts';
import { requestTerminationSchema } from './request-termination/schema.ts';
import { requestTerminationHandler } from './request-termination/handler.ts';
import { requestTransformerSchema } from './request-transformer/schema.ts';
import { requestTransformerHandler } from './request-transformer/handler.ts';
import { responseTransformerSchema } from './response-transformer/schema.ts';
import { responseTransformerHandler } from './response-transformer/handler.ts';
import { ipRestrictionSchema } from './ip-restriction/schema.ts';
import { ipRestrictionHandler } from './ip-restriction/handler.ts';
import { botDetectionSchema } from './bot-detection/schema.ts';
import { botDetectionHandler } from './bot-detection/handler.ts';
import { requestSizeLimitingSchema } from './request-size-limiting/schema.ts';
import { requestSizeLimitingHandler } from './request-size-limiting/handler.ts';
import { corsSchema } from './cors/schema.ts';
import { corsHandler } from './cors/handler.ts';
import { basicAuthSchema } from './basic-auth/schema.ts';
import { basicAuthHandler } from './basic-auth/handler.ts';
import { basicAuthDaos } from './basic-auth/daos.ts';
import { basicAuthMigrations } from './basic-auth/migrations/index.ts';
import { aclSchema } from './acl/schema.ts';
import { aclHandler } from './acl/handler.ts';
import { aclDaos } from './acl/daos.ts';
import { aclMigrations } from './acl/migrations/index.ts';
import { rateLimitingSchema } from './rate-limiting/schema.ts';
import { rateLimitingHandler } from './rate-limiting/handler.ts';
import { rateLimitingMigrations } from './rate-limiting/migrations/index.ts';
import { responseRateLimitingSchema } from './response-ratelimiting/schema.ts';
import { responseRateLimitingHandler } from './response-ratelimiting/handler.ts';
import { responseRateLimitingMigrations } from './response-ratelimiting/migrations/index.ts';
import { jwtSchema } from './jwt/schema.ts';
import { jwtHandler } from './jwt/handler.ts';
import { jwtDaos } from './jwt/daos.ts';
import { jwtMigrations } from './jwt/migrations/index.ts';
import { hmacAuthSchema } from './hmac-auth/schema.ts';
import { hmacAuthHandler } from './hmac-auth/handler.ts';
import { hmacAuthDaos } from './hmac-auth/daos.ts';
import { hmacAuthMigrations } from './hmac-auth/migrations/index.ts';
import { ldapAuthSchema } from './ldap-auth/schema.ts';
import { ldapAuthHandler } from './ldap-auth/handler.ts';
import { prometheusSchema } from './prometheus/schema.ts';
import { prometheusHandler } from './prometheus/handler.ts';
import { proxyCacheSchema } from './proxy-cache/schema.ts';
import { proxyCacheHandler } from './proxy-cache/handler.ts';
import { proxyCacheApi } from './proxy-cache/api.ts';
import { httpLogSchema } from './http-log/schema.ts';
import { httpLogHandler } from './http-log/handler.ts';
import { fileLogSchema } from './file-log/schema.ts';
import { fileLogHandler } from './file-log/handler.ts';
import { tcpLogSchema } from './tcp-log/schema.ts';
import { tcpLogHandler } from './tcp-log/handler.ts';
import { udpLogSchema } from './udp-log/schema.ts';
import { udpLogHandler } from './udp-log/handler.ts';
import { syslogSchema } from './syslog/schema.ts';
import { syslogHandler } from './syslog/handler.ts';
import { logglySchema } from './loggly/schema.ts';
import { logglyHandler } from './loggly/handler.ts';
import { statsdSchema } from './statsd/schema.ts';
import { statsdHandler } from './statsd/handler.ts';
import { datadogSchema } from './datadog/schema.ts';
import { datadogHandler } from './datadog/handler.ts';
import { openidConnectSchema } from './openid-connect/schema.ts';
import { openidConnectHandler } from './openid-connect/handler.ts';
import { oauth2Schema } from './oauth2/schema.ts';
import { oauth2Handler } from './oauth2/handler.ts';
import { oauth2Daos } from './oauth2/daos.ts';
import { oauth2Migrations } from './oauth2/migrations/index.ts';
import { opentelemetrySchema } from './opentelemetry/schema.ts';
import { opentelemetryHandler } from './opentelemetry/handler.ts';
import { zipkinSchema } from './zipkin/schema.ts';
import { zipkinHandler } from './zipkin/handler.ts';

export interface BundledPlugin {
  readonly schema: PluginDefinitionForSchema;
  readonly handler: PluginHandler;
  /** Entities the plugin owns (Kong's `daos.lua`), registered with `registerPlugins` when it is enabled. */
  readonly daos?: readonly EntitySchemaDef[];
  /** Migrations creating their tables, recorded under the plugin's name. */
  readonly migrations?: readonly PluginMigration[];
  /** Admin API endpoints the plugin adds (Kong's `api.lua`), served while the plugin is enabled. */
  readonly api?: readonly PluginApiEndpoint[];
}

export const BUNDLED_PLUGINS: readonly BundledPlugin[] = [
  { schema: keyAuthSchema, handler: keyAuthHandler, daos: keyAuthDaos, migrations: keyAuthMigrations },
  { schema: correlationIdSchema, handler: correlationIdHandler },
  { schema: redirectSchema, handler: redirectHandler },
  { schema: requestTerminationSchema, handler: requestTerminationHandler },
  { schema: requestTransformerSchema, handler: requestTransformerHandler },
  { schema: responseTransformerSchema, handler: responseTransformerHandler },
  { schema: ipRestrictionSchema, handler: ipRestrictionHandler },
  { schema: botDetectionSchema, handler: botDetectionHandler },
  { schema: requestSizeLimitingSchema, handler: requestSizeLimitingHandler },
  { schema: corsSchema, handler: corsHandler },
  { schema: basicAuthSchema, handler: basicAuthHandler, daos: basicAuthDaos, migrations: basicAuthMigrations },
  { schema: aclSchema, handler: aclHandler, daos: aclDaos, migrations: aclMigrations },
  { schema: rateLimitingSchema, handler: rateLimitingHandler, migrations: rateLimitingMigrations },
  { schema: responseRateLimitingSchema, handler: responseRateLimitingHandler, migrations: responseRateLimitingMigrations },
  { schema: jwtSchema, handler: jwtHandler, daos: jwtDaos, migrations: jwtMigrations },
  { schema: hmacAuthSchema, handler: hmacAuthHandler, daos: hmacAuthDaos, migrations: hmacAuthMigrations },
  { schema: ldapAuthSchema, handler: ldapAuthHandler },
  { schema: prometheusSchema, handler: prometheusHandler },
  { schema: proxyCacheSchema, handler: proxyCacheHandler, api: proxyCacheApi },
  { schema: httpLogSchema, handler: httpLogHandler },
  { schema: fileLogSchema, handler: fileLogHandler },
  { schema: tcpLogSchema, handler: tcpLogHandler },
  { schema: udpLogSchema, handler: udpLogHandler },
  { schema: syslogSchema, handler: syslogHandler },
  { schema: logglySchema, handler: logglyHandler },
  { schema: statsdSchema, handler: statsdHandler },
  { schema: datadogSchema, handler: datadogHandler },
  { schema: openidConnectSchema, handler: openidConnectHandler },
  { schema: oauth2Schema, handler: oauth2Handler, daos: oauth2Daos, migrations: oauth2Migrations },
  { schema: opentelemetrySchema, handler: opentelemetryHandler },
  { schema: zipkinSchema, handler: zipkinHandler },
];

/** Handlers of every bundled plugin by name (what the snapshot compiler runs). */
export const PLUGIN_HANDLERS: ReadonlyMap<string, PluginHandler> = new Map(BUNDLED_PLUGINS.map((p) => [p.handler.name, p.handler]));

/**
 * The definitions of the plugins a node enables, from its `plugins` setting: `bundled` means all bundled
 * plugins, `off` none, other entries name plugins. Throws on a name that is neither a bundled plugin nor one of
 * `external` (loaded from `plugin_paths` by `plugins/external/`). Give them
 * to `registerPlugins` (entities/) before touching entities.
 */
export function enabledPlugins(enabled: readonly string[], external: readonly BundledPlugin[] = []): BundledPlugin[] {
  const byName = new Map(BUNDLED_PLUGINS.map((p) => [p.schema.name, p]));
  const externalByName = new Map(external.map((p) => [p.schema.name, p]));
  const selected = new Map<string, BundledPlugin>();
  for (const entry of enabled) {
    if (entry === 'off') continue;
    if (entry === 'bundled') {
      for (const [name, plugin] of byName) selected.set(name, plugin);
      continue;
    }
    const plugin = byName.get(entry) ?? externalByName.get(entry);
    if (plugin === undefined) {
      throw new Error(
        `plugins: '${entry}' is not a plugin Tollgate has (bundled: ${[...byName.keys()].join(', ')}); remove it from the 'plugins' setting`,
      );
    }
    selected.set(entry, plugin);
  }
  return [...selected.values()];
}

/** The schemas of the plugins a node enables, from its `plugins` setting (see `enabledPlugins`). */
export function pluginRegistry(enabled: readonly string[], external: readonly BundledPlugin[] = []): PluginSchemaRegistry {
  // The registry carries each plugin's priority so that the Admin API can show it without importing handlers.
  const registry = new Map<string, PluginDefinitionForSchema>();
  for (const p of enabledPlugins(enabled, external)) registry.set(p.schema.name, { ...p.schema, priority: p.handler.priority });
  return registry;
}

/** The Admin API endpoints of the enabled plugins that add some, by plugin name. */
export function pluginApis(enabled: readonly BundledPlugin[]): Map<string, readonly PluginApiEndpoint[]> {
  const apis = new Map<string, readonly PluginApiEndpoint[]>();
  for (const p of enabled) if (p.api !== undefined && p.api.length > 0) apis.set(p.schema.name, p.api);
  return apis;
}

/** The priority of a bundled plugin (for `GET /`), or 0. */
export function pluginPriority(name: string): number {
  return PLUGIN_HANDLERS.get(name)?.priority ?? 0;
}
