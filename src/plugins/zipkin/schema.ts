/** zipkin configuration: Kong 3.x's fields, defaults and checks. */
import { definePluginSchema, PROTOCOLS, typedefs, type PluginConfig } from '../../schema/index.ts';
import { queueField } from '../shared/log-queue/schema.ts';
import { propagationField } from '../../tracing/schema-fields.ts';

/** Tags the plugin sets itself; static tags may not use them. */
const PROTECTED_TAGS = [
  'error', 'http.method', 'http.path', 'http.status_code', 'kong.balancer.state', 'kong.balancer.try', 'kong.consumer',
  'kong.credential', 'kong.node.id', 'kong.route', 'kong.service', 'lc', 'peer.hostname',
];

const HEADER_FORMATS = ['b3', 'b3-single', 'w3c', 'jaeger', 'ot', 'aws', 'datadog', 'gcp', 'instana'] as const;

function uniqueTagNames(tags: readonly { readonly name: string }[]): string | null {
  const seen = new Set<string>();
  for (const tag of tags) {
    if (seen.has(tag.name)) return `repeated tags are not allowed: ${tag.name}`;
    seen.add(tag.name);
  }
  return null;
}

export const zipkinSchema = definePluginSchema({
  name: 'zipkin',
  protocols: PROTOCOLS,
  config: {
    type: 'record',
    fields: {
      local_service_name: { type: 'string', required: true, default: 'kong', description: 'The name of the service as displayed in Zipkin.' },
      http_endpoint: { ...typedefs.url, description: 'The Zipkin v2 spans endpoint (`/api/v2/spans`); unset sends nothing.' },
      sample_ratio: {
        type: 'number',
        default: 0.001,
        between: [0, 1],
        description: 'How often to sample requests that do not contain trace IDs: 0 turns sampling off, 1 samples all requests.',
      },
      default_service_name: { type: 'string', description: 'A default service name to override `unknown-service-name` in the Zipkin spans.' },
      include_credential: { type: 'boolean', required: true, default: true, description: "Include the authenticated consumer's credential id in the spans." },
      traceid_byte_count: { type: 'integer', required: true, default: 16, one_of: [8, 16], description: 'The length in bytes of each request\'s trace id.' },
      header_type: {
        type: 'string',
        required: true,
        default: 'preserve',
        one_of: ['preserve', 'ignore', ...HEADER_FORMATS],
        description: 'Deprecated: use config.propagation. The tracing header format expected on incoming requests.',
      },
      default_header_type: {
        type: 'string',
        required: true,
        default: 'b3',
        one_of: HEADER_FORMATS,
        description: 'Deprecated: use config.propagation.default_format. The format injected when no tracing header came in.',
      },
      tags_header: { type: 'string', required: true, default: 'Zipkin-Tags', description: 'A request header whose `name=value;...` pairs become tags of the request span.' },
      static_tags: {
        type: 'array',
        elements: {
          type: 'record',
          fields: {
            name: { type: 'string', required: true, not_one_of: PROTECTED_TAGS },
            value: { type: 'string', required: true },
          },
        },
        custom_validator: uniqueTagNames,
        description: 'Tags added to every request span.',
      },
      http_span_name: { type: 'string', required: true, default: 'method', one_of: ['method', 'method_path'], description: 'Whether the span name includes the HTTP path.' },
      connect_timeout: { ...typedefs.timeout, default: 2000 },
      send_timeout: { ...typedefs.timeout, default: 5000 },
      read_timeout: { ...typedefs.timeout, default: 5000 },
      http_response_header_for_traceid: { type: 'string', description: 'A response header set to the trace id (hex) when given.' },
      phase_duration_flavor: {
        type: 'string',
        required: true,
        default: 'annotations',
        one_of: ['annotations', 'tags'],
        description: 'Whether phase timings are reported as annotations or as tags.',
      },
      queue: queueField,
      propagation: propagationField('b3'),
    },
  },
});

export type ZipkinConfig = PluginConfig<typeof zipkinSchema>;
