/**
 * request-transformer configuration, with Kong's fields and defaults. Values are templates
 * (`template.ts`), compiled here to refuse what cannot be evaluated, and again in `prepare`.
 */
import { definePluginSchema, typedefs, type PluginConfig } from '../../schema/index.ts';
import { checkHeaderRename, entryList, HEADER_NAME, NAME_VALUE, splitPair } from '../shared/transformer-config.ts';
import { compileTemplate, TemplateError } from './template.ts';

function templateProblem(value: string): string | null {
  try {
    compileTemplate(value);
    return null;
  } catch (err) {
    if (err instanceof TemplateError) return `value '${value}' is not in supported format, error: ${err.message}`;
    throw err;
  }
}

/** A `name:value` entry whose value is a template. */
function checkValue(entry: string): string | null {
  const pair = splitPair(entry);
  if (pair === null) return `'${entry}' is not in the form name:value`;
  if (pair[1] === '') return `key '${pair[0]}' has no value`;
  return templateProblem(pair[1]);
}

/** A header name (`remove.headers`). */
function checkHeaderName(entry: string): string | null {
  const name = splitPair(entry)?.[0] ?? entry;
  return HEADER_NAME.test(name) ? null : `'${name}' is not a valid header`;
}

/** A `header:value` entry whose value is a template. */
function checkHeaderValue(entry: string): string | null {
  const pair = splitPair(entry);
  if (pair === null || !HEADER_NAME.test(pair[0])) return `'${pair?.[0] ?? entry}' is not a valid header`;
  return pair[1] === '' ? null : templateProblem(pair[1]);
}

const names = entryList({ type: 'string' });
const headerNames = entryList({ type: 'string', custom_validator: checkHeaderName });
const values = entryList({ type: 'string', custom_validator: checkValue });
const headerValues = entryList({ type: 'string', match: NAME_VALUE, custom_validator: checkHeaderValue });
const headerRenames = entryList({ type: 'string', match: NAME_VALUE, custom_validator: checkHeaderRename });

export const requestTransformerSchema = definePluginSchema({
  name: 'request-transformer',
  config: {
    type: 'record',
    fields: {
      http_method: { ...typedefs.http_method, description: 'The method the upstream request is sent with.' },
      remove: {
        type: 'record',
        required: true,
        fields: { body: names, headers: headerNames, querystring: names },
        description: 'Names removed from the body, headers and query string.',
      },
      rename: {
        type: 'record',
        required: true,
        fields: { body: values, headers: headerRenames, querystring: values },
        description: '`old:new` renames in the body, headers and query string.',
      },
      replace: {
        type: 'record',
        required: true,
        fields: {
          body: values,
          headers: headerValues,
          querystring: values,
          uri: { type: 'string', custom_validator: templateProblem, description: 'The upstream path (a template).' },
        },
        description: '`name:value` replacing values that are present; `uri` replaces the upstream path.',
      },
      add: {
        type: 'record',
        required: true,
        fields: { body: values, headers: headerValues, querystring: values },
        description: '`name:value` added where the name is absent.',
      },
      append: {
        type: 'record',
        required: true,
        fields: { body: values, headers: headerValues, querystring: values },
        description: '`name:value` added as one more value.',
      },
    },
  },
});

/** request-transformer's validated configuration. */
export type RequestTransformerConfig = PluginConfig<typeof requestTransformerSchema>;
