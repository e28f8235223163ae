/**
 * request-transformer configuration, with Kong's fields and defaults. Values are templates
 * (`template.ts`), compiled here to refuse what cannot be evaluated, and again in `prepare`.
 */
import { definePluginSchema, typedefs, type FieldDef, type PluginConfig } from '../../schema/index.ts';
import { compileTemplate, TemplateError } from './template.ts';

/** `name:value` as Kong splits it: the name up to the first colon, then every colon skipped. */
export function splitPair(entry: string): [name: string, value: string] | null {
  const m = /^([^:]+):*([\s\S]*)$/.exec(entry);
  return m === null ? null : [m[1], m[2]];
}

const HEADER_NAME = /^[A-Za-z0-9_-]+$/;

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

/** An `old:new` header rename: both names valid. */
function checkHeaderRename(entry: string): string | null {
  const pair = splitPair(entry);
  if (pair === null || !HEADER_NAME.test(pair[0])) return `'${pair?.[0] ?? entry}' is not a valid header`;
  if (!HEADER_NAME.test(pair[1])) return `'${pair[1]}' is not a valid header`;
  return null;
}

function list<const E extends FieldDef & { readonly type: 'string' }>(element: E) {
  return { type: 'array', required: true, default: [], elements: element } as const;
}

const names = list({ type: 'string' });
const headerNames = list({ type: 'string', custom_validator: checkHeaderName });
const values = list({ type: 'string', custom_validator: checkValue });
const headerValues = list({ type: 'string', match: '^[^:]+:[\\s\\S]*$', custom_validator: checkHeaderValue });
const headerRenames = list({ type: 'string', match: '^[^:]+:[\\s\\S]*$', custom_validator: checkHeaderRename });

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
