/** The API plugins use: the only module plugins import besides `schema/` and `core/`. */
export { PluginContext, type BodyLimit, type PdkEnvironment, type PluginExit } from './context.ts';
export { BodyLimitError } from './body.ts';
export type * from './kong.ts';
export type * from './shared-state.ts';
export type { LogRecord, LogRecordTry } from './log-record.ts';
export {
  PLUGIN_PHASES,
  type CredentialMatch,
  type EntityRecord,
  type PhaseMethod,
  type PhaseResult,
  type PluginConfigData,
  type PluginEntityScope,
  type PluginConsumer,
  type PluginConsumerGroup,
  type PluginCredential,
  type PluginHandler,
  type PluginPhase,
} from './plugin-handler.ts';
export { PdkPhaseError } from './phase-rules.ts';
export { parseQuery, withoutQueryArg, type QueryValue } from './query.ts';
export { clearHeader, getHeader, setHeader } from './header-list.ts';
export { databaseUnavailableReason, nodeDatabaseKind, pluginDatabase, setNodeDatabaseKind, setPluginDatabase, type NodeDatabaseKind, type PluginDatabase, type SqlParam } from './node-database.ts';
export type * from './admin-api.ts';
export { NO_PLUGIN_DB, RequestPluginDb, type PluginDb, type PluginDbRequest, type PluginDbWriteOptions } from './plugin-db.ts';
