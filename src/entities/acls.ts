/** ACL groups a consumer belongs to (used by the acl plugin's allow/deny lists). */
import { defineEntity, typedefs, type EntityType } from '../schema/index.ts';

export const aclsSchema = defineEntity({
  name: 'acls',
  primary_key: ['id'],
  cache_key: ['consumer', 'group'],
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    consumer: { type: 'foreign', reference: 'consumers', required: true, on_delete: 'cascade' },
    group: { type: 'string', required: true },
    tags: typedefs.tags,
  },
});

export type Acl = EntityType<typeof aclsSchema>;
