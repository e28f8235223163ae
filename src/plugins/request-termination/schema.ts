/** request-termination configuration, with Kong's fields, defaults and cross-field rules. */
import { definePluginSchema, typedefs, HTTP_PROTOCOLS, type PluginConfig } from '../../schema/index.ts';

function present(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

/** Kong's rules across fields: `message` or `body`, a `content_type` only with a `body`, `echo` alone. */
function checkCombination(config: Readonly<Record<string, unknown>>): string | null {
  if (present(config.message) && (present(config.content_type) || present(config.body))) return 'message cannot be used with content_type or body';
  if (present(config.content_type) && !present(config.body)) return 'content_type requires a body';
  if (config.echo === true && (present(config.content_type) || present(config.body))) return 'echo cannot be used with content_type and body';
  return null;
}

export const requestTerminationSchema = definePluginSchema({
  name: 'request-termination',
  protocols: HTTP_PROTOCOLS,
  config: {
    type: 'record',
    custom_validator: checkCombination,
    fields: {
      status_code: { type: 'integer', required: true, default: 503, between: [100, 599], description: 'The response code to send.' },
      message: { type: 'string', description: 'The message of the default JSON body ({"message": ...}).' },
      content_type: { type: 'string', description: 'Content-Type of the raw `body`.' },
      body: { type: 'string', description: 'The raw body to send (instead of `message`).' },
      echo: { type: 'boolean', required: true, default: false, description: 'Answer with a JSON copy of the request, the matched route and service, for debugging.' },
      trigger: { ...typedefs.header_name, description: 'Act only when a header or query argument of this name is present.' },
    },
  },
});

/** request-termination's validated configuration. */
export type RequestTerminationConfig = PluginConfig<typeof requestTerminationSchema>;
