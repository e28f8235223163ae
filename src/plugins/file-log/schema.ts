/** file-log configuration: Kong's `path` (with its filename check), `reopen`, and the custom fields. */
import { definePluginSchema, type PluginConfig } from '../../schema/index.ts';
import { customFieldsByLuaField, customFieldsField } from '../shared/custom-fields.ts';

export const fileLogSchema = definePluginSchema({
  name: 'file-log',
  config: {
    type: 'record',
    fields: {
      path: {
        type: 'string',
        required: true,
        // Kong's pattern: no space at either end, and none of * & % \ ` anywhere.
        match: String.raw`^[^\s*&%\\\x60][^*&%\\\x60]*[^\s*&%\\\x60]$`,
        err: 'not a valid filename',
        description: "The file path of the output log file. The plugin creates the log file if it doesn't exist yet.",
      },
      reopen: { type: 'boolean', required: true, default: false, description: 'Determines whether the log file is closed and reopened on every write (for rotation).' },
      custom_fields_by_lua: customFieldsByLuaField,
      custom_fields: customFieldsField,
    },
  },
});

export type FileLogConfig = PluginConfig<typeof fileLogSchema>;
