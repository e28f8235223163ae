/** hmac-auth configuration, with Kong's fields, defaults and validation. */
import { definePluginSchema, type PluginConfig } from '../../schema/index.ts';

/** The digest algorithms Kong's hmac-auth knows, in Kong's order (also the default `algorithms`). */
export const HMAC_ALGORITHMS = ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const;
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];

export const hmacAuthSchema = definePluginSchema({
  name: 'hmac-auth',
  // Authentication decides who the consumer is, so it cannot itself be scoped to one.
  noConsumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'record',
    fields: {
      hide_credentials: { type: 'boolean', required: true, default: false, description: 'Strip the Authorization (or Proxy-Authorization) header before proxying.' },
      clock_skew: { type: 'number', default: 300, gt: 0, description: 'Seconds the Date or X-Date header may differ from the node\'s clock (replay protection).' },
      anonymous: { type: 'string', description: 'Consumer id or username to use when authentication fails (instead of a 401).' },
      validate_request_body: { type: 'boolean', required: true, default: false, description: 'Check the body against the Digest header (SHA-256).' },
      enforce_headers: {
        type: 'array',
        elements: { type: 'string' },
        default: [],
        description: 'Headers the client must include in the signature.',
      },
      algorithms: {
        type: 'array',
        elements: { type: 'string', one_of: HMAC_ALGORITHMS },
        default: [...HMAC_ALGORITHMS],
        description: 'The HMAC algorithms accepted.',
      },
      realm: { type: 'string', required: false, description: 'Realm sent in the WWW-Authenticate header of a 401.' },
    },
  },
});

/** hmac-auth's validated configuration. */
export type HmacAuthConfig = PluginConfig<typeof hmacAuthSchema>;
