/** redirect configuration, with Kong's fields and defaults (Kong 3.9+). */
import { definePluginSchema, typedefs, HTTP_PROTOCOLS, type PluginConfig } from '../../schema/index.ts';

export const redirectSchema = definePluginSchema({
  name: 'redirect',
  protocols: HTTP_PROTOCOLS,
  config: {
    type: 'record',
    fields: {
      status_code: { type: 'integer', required: true, default: 301, between: [100, 599], description: 'The response code to send.' },
      location: { ...typedefs.url, required: true, description: 'The URL to redirect to.' },
      keep_incoming_path: { type: 'boolean', default: false, description: "Use the request's path and query string in the redirect URL." },
    },
  },
});

/** redirect's validated configuration. */
export type RedirectConfig = PluginConfig<typeof redirectSchema>;
