/**
 * hmac-auth's own entity: `hmacauth_credentials`, a consumer's username and shared secret (Kong's fields and
 * Admin API names `/hmac-auths` and `/consumers/{c}/hmac-auth`, addressed by `username`; `secret` generated
 * when omitted). Registered with the entity registry when the plugin is enabled, which gives it storage, the
 * Admin API routes, declarative nesting under consumers, export and hybrid pushes.
 */
import { defineEntity, typedefs, type EntityType } from '../../schema/index.ts';

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
    username: { type: 'string', required: true, unique: true, description: 'The username the client signs with.' },
    secret: { type: 'string', auto: true, description: 'The shared HMAC secret (random when omitted).' },
    tags: typedefs.tags,
  },
});

export type HmacauthCredential = EntityType<typeof hmacauthCredentialsSchema>;

/** The entities hmac-auth owns. */
export const hmacAuthDaos = [hmacauthCredentialsSchema] as const;
