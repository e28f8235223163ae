/**
 * Node settings: `tollgate.conf` + `TOLLGATE_*` environment, validated once at start.
 * Other modules import from here.
 */
export type {
  ClusterMtlsMode, Database, DownstreamHeaders, ErrorDefaultType, ListenAddress, LogLevel, Role, RouterFlavor, SettingName,
  SettingValues, Settings, UpstreamHeaders,
} from './settings-types.ts';
export { CLUSTER_MTLS_MODES, DATABASES, ERROR_DEFAULT_TYPES, LOG_LEVELS, ROLES, ROUTER_FLAVORS } from './settings-types.ts';
export { SettingsError } from './settings-error.ts';
export { DEFAULT_CONF_PATHS, ENV_PREFIX, NON_SETTING_ENV_VARIABLES, envVariableFor, findConfFile, loadSettings } from './load-settings.ts';
export { readPem } from './value-parsers.ts';
export type { LoadSettingsOptions } from './load-settings.ts';
export { SECRET_PLACEHOLDER, settingsView } from './settings-view.ts';
export { SETTING_DEFINITIONS } from './definitions.ts';
export type { AnySettingDefinition, SettingDefinition, SettingType } from './definitions.ts';
export { renderSettingsReference } from './settings-reference.ts';
export { DOWNSTREAM_HEADER_NAMES, UPSTREAM_HEADER_NAMES } from './headers.ts';
export { LISTENER_FLAGS, parseListenAddresses } from './listeners.ts';
