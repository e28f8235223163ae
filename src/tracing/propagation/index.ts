/**
 * Kong's propagation: extract a context with the first configured format that finds one, let the tracing
 * plugin turn it into the context to send (its own span ids, the sampling decision), clear the configured
 * headers, and inject every configured format (`preserve`: the format the context came in, else the
 * default). Also the mapping of the deprecated `header_type`/`default_header_type` onto `propagation`.
 */
import { EXTRACTORS, FORMATS, type ExtractFormat, type IncomingHeaders, type PropagationConfig, type PropagationFormat, type PropagationWarn, type TracingContext } from './context.ts';
import { extractFormat } from './extractors.ts';
import { injectFormat } from './injectors.ts';

export * from './context.ts';
export { extractFormat } from './extractors.ts';
export { injectFormat, type Injection } from './injectors.ts';

/** The `propagation` record as configured (Kong's field names). */
export interface PropagationRecord {
  readonly extract?: readonly string[] | null;
  readonly inject?: readonly string[] | null;
  readonly clear?: readonly string[] | null;
  readonly default_format: string;
}

const LEGACY_EXTRACT: readonly ExtractFormat[] = ['b3', 'w3c', 'jaeger', 'ot', 'datadog', 'aws', 'gcp', 'instana'];

/**
 * Kong's `get_plugin_params`: the `propagation` record when any of extract/inject/clear is set; else one built
 * from the deprecated `header_type` (and zipkin's `default_header_type` as the default format).
 */
export function resolvePropagation(record: PropagationRecord, headerType?: string | null, defaultHeaderType?: string | null): PropagationConfig {
  const set = (v: readonly string[] | null | undefined): boolean => v !== null && v !== undefined;
  let defaultFormat = record.default_format as PropagationFormat;
  if (set(record.extract) || set(record.inject) || set(record.clear)) {
    return {
      extract: (record.extract ?? null) as readonly ExtractFormat[] | null,
      inject: (record.inject ?? null) as readonly (PropagationFormat | 'preserve')[] | null,
      clear: record.clear ?? null,
      defaultFormat,
    };
  }
  if (defaultHeaderType != null) defaultFormat = defaultHeaderType as PropagationFormat;
  if (headerType == null) return { extract: null, inject: null, clear: null, defaultFormat };
  if (headerType === 'preserve') return { extract: LEGACY_EXTRACT, inject: ['preserve'], clear: null, defaultFormat };
  if (headerType === 'ignore') return { extract: null, inject: [defaultFormat], clear: null, defaultFormat };
  return { extract: LEGACY_EXTRACT, inject: ['preserve', headerType as PropagationFormat], clear: null, defaultFormat };
}

export interface Extracted {
  readonly context: TracingContext;
  /** The format that found it, or null. */
  readonly format: ExtractFormat | null;
}

/** The first configured format that finds a context in `headers`. */
export function extract(config: PropagationConfig, headers: IncomingHeaders, warn: PropagationWarn): Extracted {
  const formats = config.extract;
  if (formats !== null) {
    for (const format of formats) {
      const ctx = extractFormat(format, headers, warn);
      if (ctx !== null && Object.values(ctx).some((v) => v !== undefined)) return { context: ctx, format };
    }
  }
  return { context: {}, format: null };
}

/** Where propagation writes: the upstream request's headers. */
export interface HeaderSink {
  set(name: string, value: string): void;
  clear(name: string): void;
}

/**
 * Clears the configured headers, then writes every injected format. Returns the trace id in each injected
 * format (merged, for the log record) and the injection errors.
 */
export function clearAndInject(config: PropagationConfig, extractedFrom: ExtractFormat | null, ctx: TracingContext, sink: HeaderSink): { traceIds: Record<string, string>; errors: string[] } {
  if (config.clear !== null) for (const name of config.clear) sink.clear(name);
  const traceIds: Record<string, string> = {};
  const errors: string[] = [];
  if (config.inject === null) return { traceIds, errors };
  for (const entry of config.inject) {
    let format: PropagationFormat = entry === 'preserve' ? (extractedFrom ?? config.defaultFormat ?? 'w3c') : entry;
    if (entry === 'preserve' && format === 'b3' && ctx.singleHeader === true) format = 'b3-single';
    const result = injectFormat(format, ctx);
    if (typeof result === 'string') {
      errors.push(result);
      continue;
    }
    for (const [name, value] of result.headers) sink.set(name, value);
    Object.assign(traceIds, result.formattedTraceId);
  }
  return { traceIds, errors };
}

/** Names accepted in `propagation.extract` and `inject` (for schemas). */
export const EXTRACT_VALUES: readonly string[] = EXTRACTORS;
export const INJECT_VALUES: readonly string[] = ['preserve', ...FORMATS];
