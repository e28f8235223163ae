/**
 * Basic-auth credentials: username and password of a consumer. Passwords are stored hashed (salted with
 * the consumer id), so a configuration exported and loaded again must say `_transform: false`.
 */
import { createHash } from 'node:crypto';
import { defineEntity, typedefs, type EntityType } from '../schema/index.ts';

/** The stored form of a password: hex SHA-1 of the password followed by the consumer id. */
export function hashBasicAuthPassword(consumerId: string, password: string | null): string {
  return createHash('sha1')
    .update(password === null ? consumerId : password + consumerId)
    .digest('hex');
}

export const basicauthCredentialsSchema = defineEntity({
  name: 'basicauth_credentials',
  primary_key: ['id'],
  cache_key: ['username'],
  endpoint_key: 'username',
  workspaceable: true,
  admin_api_name: 'basic-auths',
  admin_api_nested_name: 'basic-auth',
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    consumer: { type: 'foreign', reference: 'consumers', required: true, on_delete: 'cascade' },
    username: { type: 'string', required: true, unique: true },
    password: { type: 'string', required: true, encrypted: true, description: 'Hashed on write.' },
    tags: typedefs.tags,
  },
});

export type BasicauthCredential = EntityType<typeof basicauthCredentialsSchema>;
