/**
 * key-auth's own entity: `keyauth_credentials`, the API keys of a consumer (`key` generated when omitted,
 * a `ttl` accepted). Registered with the entity registry when the plugin is enabled, which gives it storage,
 * Admin API routes (`/key-auths`, `/consumers/{c}/key-auth`), declarative nesting under consumers and export.
 */
import { defineEntity, typedefs, type EntityType } from '../../schema/index.ts';

export const keyauthCredentialsSchema = defineEntity({
  name: 'keyauth_credentials',
  primary_key: ['id'],
  endpoint_key: 'key',
  // The key is the secret itself: the audit log masks it when a path addresses a credential by key.
  secret_endpoint_key: true,
  cache_key: ['key'],
  workspaceable: true,
  admin_api_name: 'key-auths',
  admin_api_nested_name: 'key-auth',
  ttl: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    consumer: { type: 'foreign', reference: 'consumers', required: true, on_delete: 'cascade' },
    key: { type: 'string', required: false, unique: true, auto: true, description: 'The API key (random when omitted).' },
    tags: typedefs.tags,
  },
});

export type KeyauthCredential = EntityType<typeof keyauthCredentialsSchema>;

/** The entities key-auth owns, referenced ones first. */
export const keyAuthDaos = [keyauthCredentialsSchema] as const;
