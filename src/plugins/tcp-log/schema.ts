/** tcp-log configuration: Kong's fields and defaults, and the custom fields. */
import { definePluginSchema, typedefs, type PluginConfig } from '../../schema/index.ts';
import { customFieldsByLuaField, customFieldsField } from '../shared/custom-fields.ts';

export const tcpLogSchema = definePluginSchema({
  name: 'tcp-log',
  config: {
    type: 'record',
    fields: {
      host: { ...typedefs.host, required: true, description: 'The IP address or host name to send data to.' },
      port: { ...typedefs.port, required: true, description: 'The port to send data to on the upstream server.' },
      timeout: { type: 'number', default: 10000, description: 'An optional timeout in milliseconds when sending data to the upstream server.' },
      keepalive: { type: 'number', default: 60000, description: 'An optional value in milliseconds that defines how long an idle connection lives before being closed.' },
      tls: { type: 'boolean', required: true, default: false, description: 'Indicates whether to perform a TLS handshake against the remote server.' },
      tls_sni: { type: 'string', description: 'An optional string that defines the SNI (Server Name Indication) hostname to send in the TLS handshake.' },
      custom_fields_by_lua: customFieldsByLuaField,
      custom_fields: customFieldsField,
    },
  },
});

export type TcpLogConfig = PluginConfig<typeof tcpLogSchema>;
