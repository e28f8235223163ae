/**
 * datadog configuration: Kong 3.x's fields and defaults — the DogStatsD agent's address, the metric prefix, the
 * tag names for service, status and consumer, the metrics list (six per-request metrics, each with its stat type,
 * tags, sample rate and consumer identifier), the `queue` record and the deprecated flat queue fields.
 */
import { definePluginSchema, typedefs, type PluginConfig } from '../../schema/index.ts';
import { queueField } from '../shared/log-queue/schema.ts';

export const DATADOG_METRIC_NAMES = ['kong_latency', 'latency', 'request_count', 'request_size', 'response_size', 'upstream_latency'] as const;
export const DATADOG_STAT_TYPES = ['counter', 'gauge', 'histogram', 'meter', 'set', 'timer', 'distribution'] as const;
export const DATADOG_CONSUMER_IDENTIFIERS = ['consumer_id', 'custom_id', 'username'] as const;

const APP_TAG = ['app:kong'];

/** Kong's default metrics, in Kong's order. */
export const DATADOG_DEFAULT_METRICS = [
  { name: 'request_count', stat_type: 'counter', sample_rate: 1, tags: APP_TAG, consumer_identifier: 'custom_id' },
  { name: 'latency', stat_type: 'timer', tags: APP_TAG, consumer_identifier: 'custom_id' },
  { name: 'request_size', stat_type: 'timer', tags: APP_TAG, consumer_identifier: 'custom_id' },
  { name: 'response_size', stat_type: 'timer', tags: APP_TAG, consumer_identifier: 'custom_id' },
  { name: 'upstream_latency', stat_type: 'timer', tags: APP_TAG, consumer_identifier: 'custom_id' },
  { name: 'kong_latency', stat_type: 'timer', tags: APP_TAG, consumer_identifier: 'custom_id' },
] as const;

export const datadogSchema = definePluginSchema({
  name: 'datadog',
  config: {
    type: 'record',
    fields: {
      host: { ...typedefs.host, referenceable: true, default: 'localhost', description: 'The IP address or hostname of the DogStatsD agent.' },
      port: { ...typedefs.port, default: 8125, description: 'The port of the DogStatsD agent.' },
      prefix: { type: 'string', default: 'kong', description: "String to be attached as a prefix to a metric's name." },
      service_name_tag: { type: 'string', default: 'name', description: 'String to be attached as the name of the service.' },
      status_tag: { type: 'string', default: 'status', description: 'String to be attached as the tag of the HTTP status.' },
      consumer_tag: { type: 'string', default: 'consumer', description: 'String to be attached as tag of the consumer.' },
      retry_count: { type: 'integer', description: 'Deprecated (no effect): use config.queue.max_retry_time.' },
      queue_size: { type: 'integer', description: 'Deprecated: use config.queue.max_batch_size.' },
      flush_timeout: { type: 'number', description: 'Deprecated: use config.queue.max_coalescing_delay.' },
      queue: queueField,
      metrics: {
        type: 'array',
        required: true,
        default: DATADOG_DEFAULT_METRICS,
        description: 'List of metrics to be logged.',
        elements: {
          type: 'record',
          fields: {
            name: { type: 'string', required: true, one_of: DATADOG_METRIC_NAMES, description: 'Datadog metric’s name' },
            stat_type: { type: 'string', required: true, one_of: DATADOG_STAT_TYPES, description: 'Determines what sort of event the metric represents' },
            tags: { type: 'array', elements: { type: 'string', match: '^.*[^:]$' }, description: 'List of tags' },
            sample_rate: { type: 'number', between: [0, 1], description: 'Sampling rate' },
            consumer_identifier: { type: 'string', one_of: DATADOG_CONSUMER_IDENTIFIERS, description: 'Authenticated user detail' },
          },
          entity_checks: [
            { conditional: { if_field: 'stat_type', if_match: { one_of: ['counter', 'gauge'] }, then_field: 'sample_rate', then_match: { required: true } } },
          ],
        },
      },
    },
  },
});

export type DatadogConfig = PluginConfig<typeof datadogSchema>;
