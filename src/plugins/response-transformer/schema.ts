/** response-transformer configuration, with Kong's fields and defaults. */
import { definePluginSchema, HTTP_PROTOCOLS, type FieldDef, type PluginConfig } from '../../schema/index.ts';

const HEADER_NAME = /^[A-Za-z0-9_-]+$/;

/** An `old:new` header rename: both names valid. */
function checkHeaderRename(entry: string): string | null {
  const m = /^([^:]+):*([\s\S]*)$/.exec(entry);
  if (m === null || !HEADER_NAME.test(m[1])) return `'${m?.[1] ?? entry}' is not a valid header`;
  if (!HEADER_NAME.test(m[2])) return `'${m[2]}' is not a valid header`;
  return null;
}

function list<const E extends FieldDef & { readonly type: 'string' }>(element: E) {
  return { type: 'array', required: true, default: [], elements: element } as const;
}

const names = list({ type: 'string' });
const pairs = list({ type: 'string', match: '^[^:]+:[\\s\\S]*$' });
const jsonTypes = list({ type: 'string', one_of: ['boolean', 'number', 'string'] });
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
        fields: { json: pairs, headers: list({ type: 'string', match: '^[^:]+:[\\s\\S]*$', custom_validator: checkHeaderRename }) },
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
