/** Key sets: a named group of keys (Kong's `key_sets`, Admin API `/key-sets`); deleting one deletes its keys. */
import { defineEntity, typedefs, type EntityType } from '../schema/index.ts';

export const keySetsSchema = defineEntity({
  name: 'key_sets',
  primary_key: ['id'],
  endpoint_key: 'name',
  admin_api_name: 'key-sets',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    name: { type: 'string', required: false, unique: true, description: 'The name to associate with the given Key Set.' },
    tags: typedefs.tags,
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
  },
});

export type KeySet = EntityType<typeof keySetsSchema>;
