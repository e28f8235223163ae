/** cors configuration, with Kong's fields and defaults. */
import { definePluginSchema, type PluginConfig } from '../../schema/index.ts';
import { compileHeaderRegex } from '../../core/regex.ts';

/** Methods Kong allows in `methods`, and its default. */
export const CORS_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

/** An origin is `*`, a plain value or a regular expression (PCRE syntax), so it must compile. */
export function validateOrigin(value: string): string | null {
  if (value === '*') return null;
  try {
    compileHeaderRegex(value);
    return null;
  } catch {
    return `'${value}' is not a valid regex`;
  }
}

export const corsSchema = definePluginSchema({
  name: 'cors',
  noConsumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'record',
    fields: {
      origins: {
        type: 'array',
        elements: { type: 'string', custom_validator: validateOrigin },
        description: 'Allowed origins for Access-Control-Allow-Origin: exact values, regular expressions, or `*`. None: all origins.',
      },
      headers: { type: 'array', elements: { type: 'string' }, description: 'Value of Access-Control-Allow-Headers (default: the request\'s Access-Control-Request-Headers).' },
      exposed_headers: { type: 'array', elements: { type: 'string' }, description: 'Value of Access-Control-Expose-Headers.' },
      methods: {
        type: 'array',
        default: [...CORS_METHODS],
        elements: { type: 'string', one_of: CORS_METHODS },
        description: 'Value of Access-Control-Allow-Methods.',
      },
      max_age: { type: 'number', description: 'Seconds a preflight answer may be cached (Access-Control-Max-Age).' },
      credentials: { type: 'boolean', required: true, default: false, description: 'Send Access-Control-Allow-Credentials: true.' },
      private_network: {
        type: 'boolean',
        required: true,
        default: false,
        description: 'Answer Access-Control-Request-Private-Network preflights with Access-Control-Allow-Private-Network: true.',
      },
      preflight_continue: { type: 'boolean', required: true, default: false, description: 'Proxy preflight requests to the upstream instead of answering them.' },
      allow_origin_absent: {
        type: 'boolean',
        required: true,
        default: true,
        description: 'Add the CORS response headers to requests without an Origin header too.',
      },
    },
  },
});

/** cors's validated configuration. */
export type CorsConfig = PluginConfig<typeof corsSchema>;
