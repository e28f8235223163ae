/**
 * Every entity Tollgate knows, in dependency order (an entity comes after those it references), with the
 * metadata the Admin API, the store and the declarative loader derive their behaviour from.
 */
import {
  validateRecord,
  type EntitySchemaDef,
  type PluginSchemaRegistry,
  type ValidateOptions,
  type ValidationResult,
} from '../schema/index.ts';
import { certificatesSchema, type Certificate } from './certificates.ts';
import { caCertificatesSchema, type CaCertificate } from './ca-certificates.ts';
import { snisSchema, type Sni } from './snis.ts';
import { servicesSchema, type Service } from './services.ts';
import { routesSchema, type Route } from './routes.ts';
import { upstreamsSchema, type Upstream } from './upstreams.ts';
import { targetsSchema, type Target } from './targets.ts';
import { consumersSchema, type Consumer } from './consumers.ts';
import { pluginsSchema, pluginSubschemas, EMPTY_PLUGIN_REGISTRY, type Plugin } from './plugins.ts';
import { keyauthCredentialsSchema, type KeyauthCredential } from './keyauth-credentials.ts';
import { basicauthCredentialsSchema, type BasicauthCredential } from './basicauth-credentials.ts';
import { jwtSecretsSchema, type JwtSecret } from './jwt-secrets.ts';
import { aclsSchema, type Acl } from './acls.ts';
import { hmacauthCredentialsSchema, type HmacauthCredential } from './hmacauth-credentials.ts';

export type {
  Acl,
  BasicauthCredential,
  CaCertificate,
  Certificate,
  Consumer,
  HmacauthCredential,
  JwtSecret,
  KeyauthCredential,
  Plugin,
  Route,
  Service,
  Sni,
  Target,
  Upstream,
};
export { pluginSubschemas, EMPTY_PLUGIN_REGISTRY } from './plugins.ts';
export type { PluginDefinitionForSchema, PluginSchemaRegistry } from './plugins.ts';
export { normalizeTarget, DEFAULT_TARGET_PORT } from './targets.ts';
export { hashBasicAuthPassword } from './basicauth-credentials.ts';
export { certificateDigest } from './pem.ts';

/** Entity types by collection name. */
export interface EntityTypes {
  certificates: Certificate;
  ca_certificates: CaCertificate;
  snis: Sni;
  services: Service;
  routes: Route;
  upstreams: Upstream;
  targets: Target;
  consumers: Consumer;
  plugins: Plugin;
  keyauth_credentials: KeyauthCredential;
  basicauth_credentials: BasicauthCredential;
  jwt_secrets: JwtSecret;
  acls: Acl;
  hmacauth_credentials: HmacauthCredential;
}

export type EntityName = keyof EntityTypes;

/** Collections in dependency order: referenced entities first. */
export const ENTITY_ORDER: readonly EntityName[] = [
  'certificates',
  'ca_certificates',
  'snis',
  'services',
  'routes',
  'upstreams',
  'targets',
  'consumers',
  'plugins',
  'keyauth_credentials',
  'basicauth_credentials',
  'jwt_secrets',
  'acls',
  'hmacauth_credentials',
];

export const ENTITY_SCHEMAS: { readonly [K in EntityName]: EntitySchemaDef } = {
  certificates: certificatesSchema,
  ca_certificates: caCertificatesSchema,
  snis: snisSchema,
  services: servicesSchema,
  routes: routesSchema,
  upstreams: upstreamsSchema,
  targets: targetsSchema,
  consumers: consumersSchema,
  plugins: pluginsSchema,
  keyauth_credentials: keyauthCredentialsSchema,
  basicauth_credentials: basicauthCredentialsSchema,
  jwt_secrets: jwtSecretsSchema,
  acls: aclsSchema,
  hmacauth_credentials: hmacauthCredentialsSchema,
};

export interface ForeignKeyMeta {
  /** The field holding `{id}` (`service`). */
  field: string;
  /** The referenced collection (`services`). */
  reference: EntityName;
  /** What deleting the referenced entity does to this one. */
  onDelete: 'cascade' | 'restrict';
  required: boolean;
}

export interface EntityMeta {
  /** Collection name, as in declarative files and `GET /schemas/{name}` (`keyauth_credentials`). */
  name: EntityName;
  /** Singular, as in flattened errors (`keyauth_credential`). */
  singular: string;
  /** URL segment of the top-level collection (`key-auths`). */
  adminApiName: string;
  /** URL segment when nested under a parent (`/consumers/{c}/key-auth`). */
  adminApiNestedName: string;
  /** Field used for non-UUID lookups and for declarative references, or null (UUID only). */
  endpointKey: string | null;
  foreignKeys: readonly ForeignKeyMeta[];
  /** Fields whose values must be unique across the collection. */
  uniqueFields: readonly string[];
  /** Fields that identify the entity in caches (and derive its declarative id), or null. */
  cacheKey: readonly string[] | null;
  /** Accepts a `ttl` (seconds) on write. */
  ttl: boolean;
  hasTags: boolean;
  schema: EntitySchemaDef;
}

function singular(name: string): string {
  return name.endsWith('s') ? name.slice(0, -1) : name;
}

function metaOf(name: EntityName): EntityMeta {
  const schema = ENTITY_SCHEMAS[name];
  const foreignKeys: ForeignKeyMeta[] = [];
  const uniqueFields: string[] = [];
  for (const [field, def] of Object.entries(schema.fields)) {
    if (def.type === 'foreign' && def.reference) {
      // SNIs go with their certificate (Kong's certificate DAO deletes them first).
      const cascade = def.on_delete === 'cascade' || (name === 'snis' && field === 'certificate');
      foreignKeys.push({
        field,
        reference: def.reference as EntityName,
        onDelete: cascade ? 'cascade' : 'restrict',
        required: def.required === true,
      });
    }
    if (def.unique) uniqueFields.push(field);
  }
  return {
    name,
    singular: singular(name),
    adminApiName: schema.admin_api_name ?? name,
    adminApiNestedName: schema.admin_api_nested_name ?? schema.admin_api_name ?? name,
    endpointKey: schema.endpoint_key ?? null,
    foreignKeys,
    uniqueFields,
    cacheKey: schema.cache_key ?? null,
    ttl: schema.ttl === true,
    hasTags: 'tags' in schema.fields,
    schema,
  };
}

export const ENTITIES: { readonly [K in EntityName]: EntityMeta } = Object.fromEntries(
  ENTITY_ORDER.map((name) => [name, metaOf(name)]),
) as { [K in EntityName]: EntityMeta };

/** Looks an entity up by collection name (`routes`) or Admin API name (`key-auths`). */
export function findEntity(name: string): EntityMeta | undefined {
  if (Object.prototype.hasOwnProperty.call(ENTITIES, name)) return ENTITIES[name as EntityName];
  return ENTITY_ORDER.map((n) => ENTITIES[n]).find((meta) => meta.adminApiName === name);
}

export interface EntityValidateOptions extends Omit<ValidateOptions, 'subschemas'> {
  /** Enabled plugins, for plugin entities (default: none). */
  plugins?: PluginSchemaRegistry;
}

/**
 * Validates an entity of the given collection: defaults filled, auto fields generated, Kong-shaped errors.
 * Plugin configurations are validated with the plugin's schema from `options.plugins`.
 */
export function validateEntity<K extends EntityName>(
  name: K,
  input: unknown,
  options: EntityValidateOptions = {},
): ValidationResult<EntityTypes[K]> {
  const { plugins, ...rest } = options;
  const subschemas = name === 'plugins' ? pluginSubschemas(plugins ?? EMPTY_PLUGIN_REGISTRY) : undefined;
  return validateRecord(ENTITY_SCHEMAS[name], input, { ...rest, subschemas }) as ValidationResult<EntityTypes[K]>;
}
