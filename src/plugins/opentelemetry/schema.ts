/** opentelemetry configuration: Kong 3.x's fields, defaults, deprecated fields and the `endpoint` shorthand. */
import { definePluginSchema, HTTP_PROTOCOLS, typedefs, type PluginConfig } from '../../schema/index.ts';
import { validateHeaderName } from '../../schema/typedefs.ts';
import { propagationField } from '../../tracing/schema-fields.ts';
import { queueField } from '../shared/log-queue/schema.ts';

/** Kong's `queue` record with opentelemetry's own default of 200 entries per batch. */
const queueField200 = {
  ...queueField,
  fields: { ...queueField.fields, max_batch_size: { ...queueField.fields.max_batch_size, default: 200 } },
} as const;

const HEADER_TYPES = ['preserve', 'ignore', 'b3', 'b3-single', 'w3c', 'jaeger', 'ot', 'aws', 'gcp', 'datadog', 'instana'] as const;

export const opentelemetrySchema = definePluginSchema({
  name: 'opentelemetry',
  protocols: HTTP_PROTOCOLS,
  config: {
    type: 'record',
    fields: {
      traces_endpoint: { ...typedefs.url, referenceable: true, description: 'The full HTTP(S) endpoint to which OTLP spans are sent (OTLP/HTTP, protobuf).' },
      logs_endpoint: { ...typedefs.url, referenceable: true, description: 'The full HTTP(S) endpoint to which OTLP log records are sent.' },
      headers: {
        type: 'map',
        keys: { type: 'string', custom_validator: validateHeaderName },
        values: { type: 'string', referenceable: true },
        description: 'Headers added to the requests sent to the OTLP server, such as an authentication token.',
      },
      resource_attributes: {
        type: 'map',
        keys: { type: 'string', required: true },
        values: { type: 'string', required: true },
        description:
          'Attributes added to the OpenTelemetry resource; `service.name` (default `kong`), `service.version` and `service.instance.id` are set automatically and can be overridden here.',
      },
      queue: queueField200,
      batch_span_count: { type: 'integer', description: 'Deprecated: use config.queue.max_batch_size.' },
      batch_flush_delay: { type: 'integer', description: 'Deprecated: use config.queue.max_coalescing_delay.' },
      connect_timeout: { ...typedefs.timeout, default: 1000 },
      send_timeout: { ...typedefs.timeout, default: 5000 },
      read_timeout: { ...typedefs.timeout, default: 5000 },
      http_response_header_for_traceid: { type: 'string', description: 'A response header set to the trace id (hex) when given.' },
      header_type: {
        type: 'string',
        required: false,
        default: 'preserve',
        one_of: HEADER_TYPES,
        description: 'Deprecated: use config.propagation. The tracing header format expected on incoming requests.',
      },
      sampling_rate: {
        type: 'number',
        between: [0, 1],
        required: false,
        description: 'Sampling rate of the probability sampler; supersedes the node\'s `tracing_sampling_rate`.',
      },
      propagation: propagationField('w3c'),
      encoding: {
        type: 'string',
        required: true,
        default: 'protobuf',
        one_of: ['protobuf', 'json'],
        description:
          'Tollgate addition: how OTLP/HTTP payloads are encoded, `protobuf` (`application/x-protobuf`, what Kong sends) or `json` (`application/json`, the OTLP JSON encoding).',
      },
    },
    entity_checks: [{ at_least_one_of: ['traces_endpoint', 'logs_endpoint'] }],
    shorthand_fields: {
      endpoint: {
        ...typedefs.url,
        referenceable: true,
        description: 'Deprecated: use config.traces_endpoint.',
        func: (value: string) => ({ traces_endpoint: value }),
      },
    },
  },
});

export type OpentelemetryConfig = PluginConfig<typeof opentelemetrySchema>;
