/**
 * acl's own entity: `acls`, the groups of a consumer (Kong's fields). A consumer is in a group once (the cache
 * key `consumer, group` is unique). Admin API: `/acls` (by id) and `/consumers/{c}/acls`, where one is also
 * addressed by its group (`/consumers/{c}/acls/{group}`), as in Kong.
 */
import { defineEntity, typedefs, type EntityType } from '../../schema/index.ts';

export const aclsSchema = defineEntity({
  name: 'acls',
  primary_key: ['id'],
  cache_key: ['consumer', 'group'],
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    consumer: { type: 'foreign', reference: 'consumers', required: true, on_delete: 'cascade' },
    group: { type: 'string', required: true, description: 'The group name.' },
    tags: typedefs.tags,
  },
});

export type Acl = EntityType<typeof aclsSchema>;

/** The entities acl owns. */
export const aclDaos = [aclsSchema] as const;
