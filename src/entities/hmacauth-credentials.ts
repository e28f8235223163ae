/** HMAC-auth credentials: username and shared secret (`secret` generated when omitted). */
import { defineEntity, typedefs, type EntityType } from '../schema/index.ts';

export const hmacauthCredentialsSchema = defineEntity({
  name: 'hmacauth_credentials',
  primary_key: ['id'],
  endpoint_key: 'username',
  cache_key: ['username'],
  workspaceable: true,
  admin_api_name: 'hmac-auths',
  admin_api_nested_name: 'hmac-auth',
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    consumer: { type: 'foreign', reference: 'consumers', required: true, on_delete: 'cascade' },
    username: { type: 'string', required: true, unique: true },
    secret: { type: 'string', auto: true },
    tags: typedefs.tags,
  },
});

export type HmacauthCredential = EntityType<typeof hmacauthCredentialsSchema>;
