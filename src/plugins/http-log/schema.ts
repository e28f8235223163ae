/**
 * http-log configuration: Kong 3.x's fields and defaults, the `queue` record with the deprecated flat fields
 * it replaced, and Tollgate's `custom_fields` next to Kong's refused `custom_fields_by_lua`.
 */
import { definePluginSchema, typedefs, type PluginConfig } from '../../schema/index.ts';
import { validateUrl } from '../../schema/typedefs.ts';
import { queueField } from '../shared/log-queue/schema.ts';
import { customFieldsByLuaField, customFieldsField } from '../shared/custom-fields.ts';

function checkUserinfoAndAuthorization(config: Readonly<Record<string, unknown>>): string | null {
  const endpoint = config.http_endpoint;
  const headers = config.headers as Readonly<Record<string, string>> | null | undefined;
  if (typeof endpoint !== 'string' || headers == null) return null;
  let userinfo = false;
  try {
    const u = new URL(endpoint);
    userinfo = u.username !== '' || u.password !== '';
  } catch {
    return null;
  }
  if (userinfo && Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
    return "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed";
  }
  return null;
}

function checkEndpoint(value: string): string | null {
  const invalid = validateUrl(value);
  if (invalid !== null) return invalid;
  if (!/^https?:\/\//i.test(value)) return "http_endpoint must use the 'http' or 'https' scheme";
  return null;
}

export const httpLogSchema = definePluginSchema({
  name: 'http-log',
  config: {
    type: 'record',
    custom_validator: checkUserinfoAndAuthorization,
    fields: {
      http_endpoint: {
        ...typedefs.url,
        required: true,
        encrypted: true,
        referenceable: true,
        custom_validator: checkEndpoint,
        description: 'The HTTP URL endpoint (including the protocol to use) to which the data is sent. User info becomes Basic authentication.',
      },
      method: { type: 'string', default: 'POST', one_of: ['POST', 'PUT', 'PATCH'], description: 'An optional method used to send data to the HTTP server.' },
      content_type: {
        type: 'string',
        default: 'application/json',
        one_of: ['application/json', 'application/json; charset=utf-8'],
        description: 'Indicates the type of data sent.',
      },
      timeout: { type: 'number', default: 10000, description: 'An optional timeout in milliseconds when sending data to the upstream server.' },
      keepalive: { type: 'number', default: 60000, description: 'An optional value in milliseconds that defines how long an idle connection will live before being closed.' },
      retry_count: { type: 'integer', description: 'Deprecated (no effect): use config.queue.max_retry_time.' },
      queue_size: { type: 'integer', description: 'Deprecated: use config.queue.max_batch_size.' },
      flush_timeout: { type: 'number', description: 'Deprecated: use config.queue.max_coalescing_delay.' },
      headers: {
        type: 'map',
        keys: {
          ...typedefs.header_name,
          match_none: [
            { pattern: '^[Hh][Oo][Ss][Tt]$', err: "cannot contain 'Host' header" },
            { pattern: '^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Ll][Ee][Nn][Gg][Tt][Hh]$', err: "cannot contain 'Content-Length' header" },
            { pattern: '^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Tt][Yy][Pp][Ee]$', err: "cannot contain 'Content-Type' header" },
          ],
        },
        values: { type: 'string', referenceable: true },
        description: 'An optional table of headers included in the HTTP message to the upstream server.',
      },
      queue: queueField,
      custom_fields_by_lua: customFieldsByLuaField,
      custom_fields: customFieldsField,
    },
  },
});

export type HttpLogConfig = PluginConfig<typeof httpLogSchema>;
