/** Consumers: the identities that authentication plugins map requests to. */
import { defineEntity, typedefs, type EntityType } from '../schema/index.ts';

export const consumersSchema = defineEntity({
  name: 'consumers',
  primary_key: ['id'],
  endpoint_key: 'username',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
    username: { type: 'string', unique: true, description: 'Unique username (this or custom_id is required).' },
    custom_id: { type: 'string', unique: true, description: 'Unique id from another system.' },
    tags: typedefs.tags,
  },
  entity_checks: [{ at_least_one_of: ['custom_id', 'username'] }],
});

export type Consumer = EntityType<typeof consumersSchema>;
