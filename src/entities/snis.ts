/** SNIs: server names (wildcards allowed at either end) served with a given certificate. */
import { defineEntity, typedefs, type EntityType } from '../schema/index.ts';

export const snisSchema = defineEntity({
  name: 'snis',
  primary_key: ['id'],
  endpoint_key: 'name',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    name: {
      ...typedefs.wildcard_host,
      required: true,
      unique: true,
      unique_across_ws: true,
      description: 'A server name; one wildcard allowed as the leftmost or rightmost label.',
    },
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
    tags: typedefs.tags,
    certificate: {
      type: 'foreign',
      reference: 'certificates',
      required: true,
      description: 'The certificate served for this name.',
    },
  },
});

export type Sni = EntityType<typeof snisSchema>;
