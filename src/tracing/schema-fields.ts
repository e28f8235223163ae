/**
 * Kong's shared config records of the tracing plugins: `queue` (kong/tools/queue_schema.lua, with a plugin's
 * own defaults) and `propagation` (the extract/inject/clear/default_format record).
 */
import type { FieldDef } from '../schema/index.ts';
import { validateHeaderName } from '../schema/typedefs.ts';
import { EXTRACTORS, FORMATS } from './propagation/context.ts';

/** The `queue` record with Kong's fields; `defaults` replaces some of its defaults (opentelemetry: max_batch_size 200). */
export function queueField<const D extends { readonly max_batch_size?: number }>(defaults: D) {
  return {
    type: 'record',
    required: true,
    description: 'How spans are batched, bounded and retried on their way to the collector.',
    fields: {
      max_batch_size: { type: 'integer', default: defaults.max_batch_size ?? 1, between: [1, 1000000], description: 'Maximum number of entries that can be processed at a time.' },
      max_coalescing_delay: {
        type: 'number',
        default: 1,
        between: [0, 3600],
        description: 'Maximum number of (fractional) seconds to elapse after the first entry was queued before the queue starts calling the handler.',
      },
      max_entries: { type: 'integer', default: 10000, between: [1, 1000000], description: 'Maximum number of entries that can be waiting on the queue.' },
      max_bytes: { type: 'integer', description: 'Maximum number of bytes that can be waiting on a queue, requires string content.' },
      max_retry_time: { type: 'number', default: 60, description: 'Time in seconds before the queue gives up calling a failed handler for a batch.' },
      initial_retry_delay: {
        type: 'number',
        default: 0.01,
        between: [0.001, 1000000],
        description: 'Time in seconds before the initial retry is made for a failing batch.',
      },
      max_retry_delay: { type: 'number', default: 60, between: [0.001, 1000000], description: 'Maximum time in seconds between retries, caps exponential backoff.' },
      concurrency_limit: { type: 'integer', default: 1, one_of: [-1, 1], description: 'The number of of queue delivery timers. -1 indicates unlimited.' },
    },
  } as const satisfies FieldDef;
}

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
