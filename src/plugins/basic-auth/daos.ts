/**
 * basic-auth's own entity: `basicauth_credentials`, a consumer's username and password (Kong's fields, Admin
 * API names `/basic-auths` and `/consumers/{c}/basic-auth`, addressed by `username`). The password is hashed on
 * write (see `password.ts`); reads show the stored hash, as Kong's do, never the password.
 */
import { defineEntity, typedefs, type EntityType, type EntityView } from '../../schema/index.ts';
import { storedPasswordFor } from './password.ts';

export const basicauthCredentialsSchema = defineEntity({
  name: 'basicauth_credentials',
  primary_key: ['id'],
  endpoint_key: 'username',
  cache_key: ['username'],
  workspaceable: true,
  admin_api_name: 'basic-auths',
  admin_api_nested_name: 'basic-auth',
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    consumer: { type: 'foreign', reference: 'consumers', required: true, on_delete: 'cascade' },
    username: { type: 'string', required: true, unique: true, description: 'The username the client sends.' },
    password: { type: 'string', required: true, encrypted: true, description: 'The password; stored hashed (scrypt), shown as its hash.' },
    tags: typedefs.tags,
  },
  transformations: [
    {
      input: ['password'],
      on_write: (entity: EntityView, options: { readonly transform: boolean }) => ({
        password: storedPasswordFor(entity.password as string, options.transform),
      }),
    },
  ],
});

export type BasicauthCredential = EntityType<typeof basicauthCredentialsSchema>;

/** The entities basic-auth owns. */
export const basicAuthDaos = [basicauthCredentialsSchema] as const;
