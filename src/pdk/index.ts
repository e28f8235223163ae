/** The API plugins use: the only module plugins import besides `schema/` and `core/`. */
export { PluginContext, type PluginExit } from './context.ts';
export {
  PLUGIN_PHASES,
  type CredentialMatch,
  type EntityRecord,
  type PluginConfigData,
  type PluginConsumer,
  type PluginCredential,
  type PluginHandler,
  type PluginPhase,
} from './plugin-handler.ts';
export { parseQuery, withoutQueryArg, type QueryValue } from './query.ts';
export { clearHeader, getHeader, setHeader } from './header-list.ts';
