/**
 * A consumer's membership of a consumer group (Kong's `consumer_group_consumers`). Kong keys it by the pair;
 * Tollgate stores every entity under an `id`, so the pair is the (unique) cache key and declarative files
 * derive the id from it. No generated Admin API: `/consumer_groups/{g}/consumers` and
 * `/consumers/{c}/consumer_groups` manage it (see admin/consumer-group-endpoints.ts).
 */
import { defineEntity, typedefs, type EntityType } from '../schema/index.ts';

export const consumerGroupConsumersSchema = defineEntity({
  name: 'consumer_group_consumers',
  primary_key: ['id'],
  cache_key: ['consumer_group', 'consumer'],
  generate_admin_api: false,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
    consumer_group: {
      type: 'foreign',
      reference: 'consumer_groups',
      required: true,
      on_delete: 'cascade',
      description: 'The consumer group the consumer belongs to.',
    },
    consumer: {
      type: 'foreign',
      reference: 'consumers',
      required: true,
      on_delete: 'cascade',
      description: 'The member consumer.',
    },
  },
});

export type ConsumerGroupConsumer = EntityType<typeof consumerGroupConsumersSchema>;
