/** response-transformer configuration, with Kong's fields and defaults. */
import { definePluginSchema, HTTP_PROTOCOLS, type PluginConfig } from '../../schema/index.ts';
import { checkHeaderRename, entryList, NAME_VALUE } from '../shared/transformer-config.ts';

const names = entryList({ type: 'string' });
const pairs = entryList({ type: 'string', match: NAME_VALUE });
const jsonTypes = entryList({ type: 'string', one_of: ['boolean', 'number', 'string'] });
const valueRecord = (what: string) =>
  ({
    type: 'record',
    required: true,
    fields: { json: pairs, json_types: { ...jsonTypes, description: 'The JSON type of each `json` value, by position: boolean, number or string.' }, headers: pairs },
    description: what,
  }) as const;

export const responseTransformerSchema = definePluginSchema({
  name: 'response-transformer',
  protocols: HTTP_PROTOCOLS,
  config: {
    type: 'record',
    fields: {
      remove: { type: 'record', required: true, fields: { json: names, headers: names }, description: 'JSON fields and headers removed.' },
      rename: {
        type: 'record',
        required: true,
        fields: { json: pairs, headers: entryList({ type: 'string', match: NAME_VALUE, custom_validator: checkHeaderRename }) },
        description: '`old:new` renames of JSON fields and headers.',
      },
      replace: valueRecord('`name:value` replacing JSON fields and headers that are present.'),
      add: valueRecord('`name:value` added where the JSON field or header is absent.'),
      append: valueRecord('`name:value` added as one more value.'),
    },
  },
});

/** response-transformer's validated configuration. */
export type ResponseTransformerConfig = PluginConfig<typeof responseTransformerSchema>;
