/**
 * statsd configuration: Kong 3.x's metrics list (names, stat types, identifiers), its defaults, status-code
 * ranges, UDP packet batching, TCP, tag styles, the `queue` record and the deprecated flat queue fields.
 */
import { definePluginSchema, typedefs, type PluginConfig } from '../../schema/index.ts';
import { queueField } from '../shared/log-queue/schema.ts';

export const METRIC_NAMES = [
  'kong_latency', 'latency', 'request_count', 'request_per_user', 'request_size', 'response_size', 'status_count',
  'status_count_per_user', 'unique_users', 'upstream_latency', 'status_count_per_workspace', 'status_count_per_user_per_route',
  'shdict_usage',
] as const;
export const STAT_TYPES = ['counter', 'gauge', 'histogram', 'meter', 'set', 'timer'] as const;
export const CONSUMER_IDENTIFIERS = ['consumer_id', 'custom_id', 'username'] as const;
export const SERVICE_IDENTIFIERS = ['service_id', 'service_name', 'service_host', 'service_name_or_host'] as const;
export const WORKSPACE_IDENTIFIERS = ['workspace_id', 'workspace_name'] as const;
export const TAG_STYLES = ['dogstatsd', 'influxdb', 'librato', 'signalfx'] as const;

/** Kong's default metrics, in Kong's order. */
export const DEFAULT_METRICS = [
  { name: 'request_count', stat_type: 'counter', sample_rate: 1 },
  { name: 'latency', stat_type: 'timer' },
  { name: 'request_size', stat_type: 'counter', sample_rate: 1 },
  { name: 'status_count', stat_type: 'counter', sample_rate: 1 },
  { name: 'response_size', stat_type: 'counter', sample_rate: 1 },
  { name: 'unique_users', stat_type: 'set' },
  { name: 'request_per_user', stat_type: 'counter', sample_rate: 1 },
  { name: 'upstream_latency', stat_type: 'timer' },
  { name: 'kong_latency', stat_type: 'timer' },
  { name: 'status_count_per_user', stat_type: 'counter', sample_rate: 1 },
  { name: 'status_count_per_workspace', stat_type: 'counter', sample_rate: 1 },
  { name: 'status_count_per_user_per_route', stat_type: 'counter', sample_rate: 1 },
  { name: 'shdict_usage', stat_type: 'gauge', sample_rate: 1 },
] as const;

export const statsdSchema = definePluginSchema({
  name: 'statsd',
  config: {
    type: 'record',
    fields: {
      host: { ...typedefs.host, default: 'localhost', description: 'The IP address or hostname of StatsD server to send data to.' },
      port: { ...typedefs.port, default: 8125, description: 'The port of StatsD server to send data to.' },
      prefix: { type: 'string', default: 'kong', description: "String to prefix to each metric's name." },
      metrics: {
        type: 'array',
        default: DEFAULT_METRICS,
        description: 'List of metrics to be logged.',
        elements: {
          type: 'record',
          fields: {
            name: { type: 'string', required: true, one_of: METRIC_NAMES, description: 'StatsD metric’s name.' },
            stat_type: { type: 'string', required: true, one_of: STAT_TYPES, description: 'Determines what sort of event a metric represents.' },
            sample_rate: { type: 'number', gt: 0, description: 'Sampling rate' },
            consumer_identifier: { type: 'string', one_of: CONSUMER_IDENTIFIERS, description: 'Authenticated user detail.' },
            service_identifier: { type: 'string', one_of: SERVICE_IDENTIFIERS, description: 'Service detail.' },
            workspace_identifier: { type: 'string', one_of: WORKSPACE_IDENTIFIERS, description: 'Workspace detail.' },
          },
          entity_checks: [
            { conditional: { if_field: 'stat_type', if_match: { one_of: ['counter', 'gauge'] }, then_field: 'sample_rate', then_match: { required: true } } },
          ],
        },
      },
      allow_status_codes: {
        type: 'array',
        elements: { type: 'string', match: '^[0-9]+-[0-9]+$' },
        description: 'List of status code ranges that are allowed to be logged in metrics.',
      },
      udp_packet_size: { type: 'number', between: [0, 65507], default: 0, description: "Combine UDP packets up to this size; 0 doesn't combine." },
      use_tcp: { type: 'boolean', default: false },
      hostname_in_prefix: { type: 'boolean', default: false },
      consumer_identifier_default: { type: 'string', required: true, default: 'custom_id', one_of: CONSUMER_IDENTIFIERS },
      service_identifier_default: { type: 'string', required: true, default: 'service_name_or_host', one_of: SERVICE_IDENTIFIERS },
      workspace_identifier_default: { type: 'string', required: true, default: 'workspace_id', one_of: WORKSPACE_IDENTIFIERS },
      retry_count: { type: 'integer', description: 'Deprecated (no effect): use config.queue.max_retry_time.' },
      queue_size: { type: 'integer', description: 'Deprecated: use config.queue.max_batch_size.' },
      flush_timeout: { type: 'number', description: 'Deprecated: use config.queue.max_coalescing_delay.' },
      tag_style: { type: 'string', required: false, one_of: TAG_STYLES },
      queue: queueField,
    },
  },
});

export type StatsdConfig = PluginConfig<typeof statsdSchema>;
