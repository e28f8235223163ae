/** request-size-limiting configuration, with Kong's fields and defaults. */
import { definePluginSchema, type PluginConfig } from '../../schema/index.ts';

/** Size units, as Kong lists them (the first is the default). */
export const SIZE_UNITS = ['megabytes', 'kilobytes', 'bytes'] as const;

export const requestSizeLimitingSchema = definePluginSchema({
  name: 'request-size-limiting',
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'record',
    fields: {
      allowed_payload_size: { type: 'integer', default: 128, description: 'Largest request body allowed, in size_unit.' },
      size_unit: {
        type: 'string',
        required: true,
        default: 'megabytes',
        one_of: SIZE_UNITS,
        description: 'Unit of allowed_payload_size: megabytes (2^20 bytes), kilobytes (2^10 bytes) or bytes.',
      },
      require_content_length: {
        type: 'boolean',
        required: true,
        default: false,
        description: 'Refuse requests that have neither a valid Content-Length nor a chunked body (411).',
      },
    },
  },
});

/** request-size-limiting's validated configuration. */
export type RequestSizeLimitingConfig = PluginConfig<typeof requestSizeLimitingSchema>;
