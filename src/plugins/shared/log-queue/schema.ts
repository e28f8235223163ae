/**
 * Kong 3.x's `queue` record (kong/tools/queue_schema.lua), shared by the plugins that batch their deliveries
 * (http-log, statsd): the same field names, defaults and bounds, so a Kong configuration validates unchanged.
 */
import type { FieldDef } from '../../../schema/index.ts';

export const queueField = {
  type: 'record',
  required: true,
  description: 'How entries are batched, bounded and retried on their way to the collector.',
  fields: {
    max_batch_size: { type: 'integer', default: 1, between: [1, 1000000], description: 'Maximum number of entries that can be processed at a time.' },
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

/** The validated `queue` record. */
export interface QueueSettings {
  readonly max_batch_size: number;
  readonly max_coalescing_delay: number;
  readonly max_entries: number;
  readonly max_bytes?: number | null;
  readonly max_retry_time: number;
  readonly initial_retry_delay: number;
  readonly max_retry_delay: number;
  readonly concurrency_limit: number;
}

/** The legacy flat fields Kong 3.x still maps onto `queue` (removal in 4.0), with their old defaults. */
export interface LegacyQueueFields {
  readonly retry_count?: number | null;
  readonly queue_size?: number | null;
  readonly flush_timeout?: number | null;
}

/**
 * Kong's `Queue.get_plugin_params`: a `queue_size` other than its old default 1 becomes `max_batch_size`, a
 * `flush_timeout` other than 2 becomes `max_coalescing_delay`; `retry_count` no longer does anything. Returns
 * the settings and the deprecation warnings to log.
 */
export function effectiveQueueSettings(plugin: string, queue: QueueSettings, legacy: LegacyQueueFields): { settings: QueueSettings; warnings: string[] } {
  const warnings: string[] = [];
  let settings = queue;
  if (legacy.retry_count != null && legacy.retry_count !== 10) {
    warnings.push(`${plugin}: the retry_count parameter no longer works, please update your configuration to use initial_retry_delay and max_retry_time instead`);
  }
  if (legacy.queue_size != null && legacy.queue_size !== 1) {
    settings = { ...settings, max_batch_size: legacy.queue_size };
    warnings.push(`${plugin}: the queue_size parameter is deprecated, please update your configuration to use queue.max_batch_size instead`);
  }
  if (legacy.flush_timeout != null && legacy.flush_timeout !== 2) {
    settings = { ...settings, max_coalescing_delay: legacy.flush_timeout };
    warnings.push(`${plugin}: the flush_timeout parameter is deprecated, please update your configuration to use queue.max_coalescing_delay instead`);
  }
  return { settings, warnings };
}
