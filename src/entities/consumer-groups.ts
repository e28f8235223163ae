/**
 * Consumer groups (Kong 3.4+'s `consumer_groups`): a named set of consumers that plugins can be scoped to
 * (`plugins.consumer_group`). Membership is its own entity (`consumer-group-consumers.ts`).
 */
import { defineEntity, typedefs, type EntityType } from '../schema/index.ts';

export const consumerGroupsSchema = defineEntity({
  name: 'consumer_groups',
  primary_key: ['id'],
  endpoint_key: 'name',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
    name: { type: 'string', required: true, unique: true, description: 'The name of the consumer group.' },
    tags: typedefs.tags,
  },
});

export type ConsumerGroup = EntityType<typeof consumerGroupsSchema>;
