/** correlation-id configuration, with Kong's fields and defaults. */
import { definePluginSchema, HTTP_PROTOCOLS, type PluginConfig } from '../../schema/index.ts';

export const correlationIdSchema = definePluginSchema({
  name: 'correlation-id',
  protocols: HTTP_PROTOCOLS,
  config: {
    type: 'record',
    fields: {
      header_name: { type: 'string', default: 'Kong-Request-ID', description: 'The header carrying the correlation id.' },
      generator: {
        type: 'string',
        required: true,
        default: 'uuid#counter',
        one_of: ['uuid', 'uuid#counter', 'tracker'],
        description: 'How a missing id is made: `uuid`, `uuid#counter` (a per-worker UUID and a counter) or `tracker`.',
      },
      echo_downstream: { type: 'boolean', required: true, default: false, description: 'Send the id back to the client too.' },
    },
  },
});

/** correlation-id's validated configuration. */
export type CorrelationIdConfig = PluginConfig<typeof correlationIdSchema>;
