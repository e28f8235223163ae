/** basic-auth configuration, with Kong's fields and defaults. */
import { definePluginSchema, type PluginConfig } from '../../schema/index.ts';

export const basicAuthSchema = definePluginSchema({
  name: 'basic-auth',
  // Authentication decides who the consumer is, so it cannot itself be scoped to one.
  noConsumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'record',
    fields: {
      anonymous: { type: 'string', description: 'Consumer id or username to use when authentication fails (instead of a 401).' },
      hide_credentials: { type: 'boolean', required: true, default: false, description: 'Strip the Authorization header before proxying.' },
      realm: { type: 'string', required: true, default: 'service', description: 'Realm sent in the WWW-Authenticate header of a 401.' },
    },
  },
});

/** basic-auth's validated configuration. */
export type BasicAuthConfig = PluginConfig<typeof basicAuthSchema>;
