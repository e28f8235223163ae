/** loggly configuration: Kong's fields and defaults (host, port, key, tags, severities, timeout), and the custom fields. */
import { definePluginSchema, typedefs, type PluginConfig } from '../../schema/index.ts';
import { customFieldsByLuaField, customFieldsField } from '../shared/custom-fields.ts';
import { severityField } from '../shared/severity.ts';

export const logglySchema = definePluginSchema({
  name: 'loggly',
  config: {
    type: 'record',
    fields: {
      host: { ...typedefs.host, default: 'logs-01.loggly.com' },
      port: { ...typedefs.port, default: 514 },
      key: { type: 'string', required: true, encrypted: true, referenceable: true, description: 'Loggly customer token.' },
      tags: { type: 'set', default: ['kong'], elements: { type: 'string' }, description: 'Tags to filter the events in Loggly.' },
      log_level: severityField,
      successful_severity: severityField,
      client_errors_severity: severityField,
      server_errors_severity: severityField,
      timeout: { type: 'number', default: 10000 },
      custom_fields_by_lua: customFieldsByLuaField,
      custom_fields: customFieldsField,
    },
  },
});

export type LogglyConfig = PluginConfig<typeof logglySchema>;
