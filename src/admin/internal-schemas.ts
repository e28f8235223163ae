/**
 * Schemas of the collections Kong keeps in its database without a CRUD Admin API of their own (workspaces,
 * the tags index, node parameters, data plane records). Kong still answers `GET /schemas/{name}` for them,
 * and its clients walk every collection it knows; these are views only: nothing here is stored or
 * validated through the generic entity endpoints.
 */
import { defineSchema, typedefs, type SchemaDef } from '../schema/index.ts';

const workspaces = defineSchema({
  fields: {
    id: typedefs.uuid,
    name: { ...typedefs.utf8_name, required: true },
    comment: { type: 'string' },
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
    meta: { type: 'record', fields: {} },
    config: { type: 'record', fields: {} },
  },
});

const tags = defineSchema({
  fields: {
    tag: typedefs.tag,
    entity_name: { type: 'string', required: true, description: 'The collection of the tagged entity.' },
    entity_id: { ...typedefs.uuid, required: true, auto: false },
  },
});

const parameters = defineSchema({
  fields: {
    created_at: typedefs.auto_timestamp_s,
    key: { type: 'string', required: true, unique: true, description: 'The name of a node-wide parameter.' },
    value: { type: 'string', required: true, description: 'Its value.' },
  },
});

const clusteringDataPlanes = defineSchema({
  fields: {
    id: { ...typedefs.uuid, required: true, auto: false },
    last_seen: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
    ip: { ...typedefs.ip, required: true },
    config_hash: { type: 'string', len_eq: 32 },
    hostname: { ...typedefs.host, required: true },
    version: { type: 'string', description: 'The data plane\'s version.' },
    sync_status: {
      type: 'string',
      required: true,
      default: 'unknown',
      one_of: ['unknown', 'normal', 'kong_version_incompatible', 'plugin_set_incompatible', 'plugin_version_incompatible', 'filter_set_incompatible'],
      description: 'Whether the data plane can run the configuration it is sent.',
    },
    labels: { type: 'map', keys: { type: 'string' }, values: { type: 'string' }, description: 'The data plane\'s labels.' },
    cert_details: { type: 'record', fields: { expiry_timestamp: { type: 'number' } }, description: 'The data plane\'s certificate.' },
    rpc_capabilities: { type: 'set', elements: { type: 'string' }, description: 'The RPC capabilities the data plane announced.' },
  },
});

/** Kong's collections without a generated Admin API, by name. */
export const INTERNAL_SCHEMAS: Readonly<Record<string, SchemaDef>> = {
  workspaces,
  tags,
  parameters,
  clustering_data_planes: clusteringDataPlanes,
};

/** The schema of such a collection, or undefined. */
export function internalSchema(name: string): SchemaDef | undefined {
  return Object.prototype.hasOwnProperty.call(INTERNAL_SCHEMAS, name) ? INTERNAL_SCHEMAS[name] : undefined;
}
