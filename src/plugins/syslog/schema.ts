/** syslog configuration: Kong's severities (by response class) and facility, and the custom fields. */
import { definePluginSchema, type PluginConfig } from '../../schema/index.ts';
import { customFieldsByLuaField, customFieldsField } from '../shared/custom-fields.ts';
import { severityField } from '../shared/severity.ts';

export const FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;

const severity = { ...severityField, required: true } as const;

export const syslogSchema = definePluginSchema({
  name: 'syslog',
  config: {
    type: 'record',
    fields: {
      log_level: severity,
      successful_severity: severity,
      client_errors_severity: severity,
      server_errors_severity: severity,
      custom_fields_by_lua: customFieldsByLuaField,
      custom_fields: customFieldsField,
      facility: {
        type: 'string',
        default: 'user',
        required: true,
        one_of: ['auth', 'authpriv', 'cron', 'daemon', 'ftp', 'kern', 'lpr', 'mail', 'news', 'syslog', 'user', 'uucp', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'],
        description: 'The facility is used by the operating system to decide how to handle each log message.',
      },
    },
  },
});

export type SyslogConfig = PluginConfig<typeof syslogSchema>;
