/**
 * The schema engine: one schema language declared as data, from which validation (defaults, Kong-shaped
 * errors), entity types, JSON Schema and Kong's schema view are derived.
 */
export type {
  CustomValidator,
  EntityCheck,
  EntitySchemaDef,
  EntityType,
  EntityView,
  EntityTransformation,
  ErrorNode,
  ErrorTree,
  FieldBaseValue,
  FieldDef,
  FieldRules,
  FieldsDef,
  FieldTypeName,
  FieldValue,
  ForeignKey,
  MatchRule,
  MatchSpec,
  Primitive,
  RecordValue,
  SchemaDef,
  ShorthandDef,
  SubschemaDef,
  ValidationResult,
} from './types.ts';
export { defineEntity, defineField, defineSchema } from './types.ts';
export { validateRecord, validateFieldValue, checkImmutableFields, type ValidateOptions } from './validate.ts';
export { schemaViolationMessage, schemaViolationItems, sortedErrorKeys } from './violations.ts';
export { luaDump, luaQuote } from './lua-dump.ts';
export { toJsonSchema, toKongSchemaView, type JsonObject, type JsonValue } from './views.ts';
export { typedefs } from './typedefs.ts';
export { PROTOCOLS, HTTP_PROTOCOLS, STREAM_PROTOCOLS, isHttpProtocol, type Protocol } from './protocols.ts';
export { definePluginSchema } from './plugin-definition.ts';
export type { PluginConfig, PluginDefinitionForRegistry, PluginDefinitionForSchema, PluginMigration, PluginSchemaRegistry } from './plugin-definition.ts';
export { MSG, oneOfMessage } from './messages.ts';
export { isUuid } from './validators.ts';
export { parseHost, formatHost, type ParsedHost } from './host.ts';
export { parseUrl, type ParsedUrl } from './url.ts';
export { isReference, parseReference, type VaultReference } from '../core/vault-reference.ts';
