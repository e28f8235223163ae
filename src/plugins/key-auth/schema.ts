/** key-auth configuration, with Kong's fields and defaults. */
import { definePluginSchema, typedefs, type PluginConfig } from '../../schema/index.ts';

export const keyAuthSchema = definePluginSchema({
  name: 'key-auth',
  // Authentication decides who the consumer is, so it cannot itself be scoped to one.
  noConsumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'record',
    fields: {
      key_names: {
        type: 'array',
        required: true,
        elements: typedefs.header_name,
        default: ['apikey'],
        description: 'Header, query or body parameter names the key is looked for under, in order.',
      },
      hide_credentials: { type: 'boolean', required: true, default: false, description: 'Strip the key before proxying.' },
      anonymous: { type: 'string', description: 'Consumer id or username to use when authentication fails (instead of a 401).' },
      key_in_header: { type: 'boolean', required: true, default: true, description: 'Look for the key in request headers.' },
      key_in_query: { type: 'boolean', required: true, default: true, description: 'Look for the key in the query string.' },
      key_in_body: { type: 'boolean', required: true, default: false, description: 'Look for the key in the request body.' },
      run_on_preflight: { type: 'boolean', required: true, default: true, description: 'Authenticate OPTIONS requests too.' },
      realm: { type: 'string', required: false, description: 'Realm sent in the WWW-Authenticate header of a 401.' },
    },
  },
});

/** key-auth's validated configuration. */
export type KeyAuthConfig = PluginConfig<typeof keyAuthSchema>;
