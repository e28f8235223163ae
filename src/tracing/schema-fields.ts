/**
 * Kong's shared config records of the tracing plugins: `queue` (the log plugins' record, with opentelemetry's
 * default batch size) and `propagation` (the extract/inject/clear/default_format record).
 */
import type { FieldDef } from '../schema/index.ts';
import { queueField } from '../plugins/shared/log-queue/schema.ts';
import { validateHeaderName } from '../schema/typedefs.ts';
import { EXTRACTORS, FORMATS } from './propagation/context.ts';

/** Kong's `queue` record (the log plugins' shared one) with opentelemetry's own default of 200 entries per batch. */
export const queueField200 = {
  ...queueField,
  fields: { ...queueField.fields, max_batch_size: { ...queueField.fields.max_batch_size, default: 200 } },
} as const satisfies FieldDef;

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
