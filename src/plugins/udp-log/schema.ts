/** udp-log configuration: Kong's fields and defaults, and the custom fields. */
import { definePluginSchema, typedefs, type PluginConfig } from '../../schema/index.ts';
import { customFieldsByLuaField, customFieldsField } from '../shared/custom-fields.ts';

export const udpLogSchema = definePluginSchema({
  name: 'udp-log',
  config: {
    type: 'record',
    fields: {
      host: { ...typedefs.host, required: true },
      port: { ...typedefs.port, required: true },
      timeout: { type: 'number', default: 10000, description: 'An optional timeout in milliseconds when sending data to the upstream server.' },
      custom_fields_by_lua: customFieldsByLuaField,
      custom_fields: customFieldsField,
    },
  },
});

export type UdpLogConfig = PluginConfig<typeof udpLogSchema>;
