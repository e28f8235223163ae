/** Kong's `propagation` config record of the tracing plugins (extract, clear, inject, default_format). */
import type { FieldDef } from '../schema/index.ts';
import { validateHeaderName } from '../schema/typedefs.ts';
import { EXTRACTORS, FORMATS } from './propagation/context.ts';

/** The `propagation` record; `defaultFormat` is the plugin's default for `default_format`. */
export function propagationField<const F extends string>(defaultFormat: F) {
  return {
    type: 'record',
    required: true,
    description: 'Which tracing headers are read from requests, cleared, and written to the upstream.',
    fields: {
      extract: {
        type: 'array',
        elements: { type: 'string', one_of: EXTRACTORS },
        description:
          'Header formats used to extract tracing context from incoming requests. If multiple values are specified, the first one found will be used for extraction. If left empty, no tracing context is extracted.',
      },
      clear: {
        type: 'array',
        elements: { type: 'string', custom_validator: validateHeaderName },
        description: 'Header names to clear after context extraction, so that they do not reach the upstream.',
      },
      inject: {
        type: 'array',
        elements: { type: 'string', one_of: ['preserve', ...FORMATS] },
        description:
          'Header formats used to inject tracing context. `preserve` uses the format of the incoming request. If multiple values are specified, all of them are used. If left empty, nothing is injected.',
      },
      default_format: {
        type: 'string',
        required: true,
        default: defaultFormat,
        one_of: FORMATS,
        description: 'The format `preserve` injects when nothing was extracted.',
      },
    },
  } as const satisfies FieldDef;
}
