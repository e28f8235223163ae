/** jwt configuration, with Kong's fields, defaults and its maximum_expiration rule. */
import { definePluginSchema, type PluginConfig } from '../../schema/index.ts';

export const jwtSchema = definePluginSchema({
  name: 'jwt',
  // Authentication decides who the consumer is, so it cannot itself be scoped to one.
  noConsumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'record',
    fields: {
      uri_param_names: {
        type: 'set',
        elements: { type: 'string' },
        default: ['jwt'],
        description: 'Query string parameters a token is looked for under.',
      },
      cookie_names: {
        type: 'set',
        elements: { type: 'string' },
        default: [],
        description: 'Cookies a token is looked for under.',
      },
      key_claim_name: {
        type: 'string',
        default: 'iss',
        description: "The claim naming the credential's key; read from the payload, then from the header.",
      },
      secret_is_base64: {
        type: 'boolean',
        required: true,
        default: false,
        description: "The credentials' secrets are base64url-encoded: tokens are signed with the decoded bytes.",
      },
      claims_to_verify: {
        type: 'set',
        elements: { type: 'string', one_of: ['exp', 'nbf'] },
        description: 'Registered claims to check: `exp` (not expired), `nbf` (already valid).',
      },
      anonymous: { type: 'string', description: 'Consumer id or username to use when authentication fails (instead of a 401).' },
      run_on_preflight: { type: 'boolean', required: true, default: true, description: 'Authenticate OPTIONS requests too.' },
      maximum_expiration: {
        type: 'number',
        default: 0,
        between: [0, 31536000],
        description: 'Refuse tokens whose `exp` is more than this many seconds ahead (0: no limit); needs `exp` in claims_to_verify.',
      },
      header_names: {
        type: 'set',
        elements: { type: 'string' },
        default: ['authorization'],
        description: 'Request headers a `Bearer` token is looked for in.',
      },
      realm: { type: 'string', required: false, description: 'Realm sent in the WWW-Authenticate header of a 401.' },
    },
  },
  entityChecks: [
    {
      conditional: {
        if_field: 'config.maximum_expiration',
        if_match: { gt: 0 },
        then_field: 'config.claims_to_verify',
        then_match: { contains: 'exp' },
      },
    },
  ],
});

/** jwt's validated configuration. */
export type JwtConfig = PluginConfig<typeof jwtSchema>;
