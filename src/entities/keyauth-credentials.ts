/** Key-auth credentials: API keys of a consumer (`key` generated when omitted). */
import { defineEntity, typedefs, type EntityType } from '../schema/index.ts';

export const keyauthCredentialsSchema = defineEntity({
  name: 'keyauth_credentials',
  primary_key: ['id'],
  endpoint_key: 'key',
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
