/**
 * Writing a tracing context as outgoing headers, one writer per format, with the header names, value shapes
 * and id sizes of Kong's injectors. Each returns the headers to set and the trace id as that format writes
 * it (for the log record's `trace_id`), or an error when the context lacks what the format needs.
 */
import { toDecimal, toIdSize } from '../ids.ts';
import type { PropagationFormat, TracingContext } from './context.ts';

export interface Injection {
  readonly headers: readonly (readonly [name: string, value: string])[];
  /** The trace id as this format writes it, keyed by format name (`{ w3c: "..." }`). */
  readonly formattedTraceId: Readonly<Record<string, string>>;
}

interface InjectorSpec {
  /** Context fields every one of which must be present. */
  readonly requires: readonly ('traceId' | 'spanId')[];
  /** Trace id sizes in bytes; the first is used unless the incoming size is one of them. */
  readonly traceIdSizes: readonly number[];
  readonly write: (ctx: SizedContext) => [string, string][];
  readonly format: (traceId: Buffer | undefined) => Record<string, string>;
}

interface SizedContext extends TracingContext {
  readonly traceId?: Buffer;
  readonly spanId?: Buffer;
  readonly parentId?: Buffer;
}

const hex = (b: Buffer): string => b.toString('hex');

function escapeBaggage(value: string): string {
  return encodeURIComponent(value);
}

const INJECTORS: Readonly<Record<PropagationFormat, InjectorSpec>> = {
  w3c: {
    requires: ['traceId', 'spanId'],
    traceIdSizes: [16],
    write: (c) => [['traceparent', `00-${hex(c.traceId!)}-${hex(c.spanId!)}-${c.shouldSample === true ? '01' : '00'}`]],
    format: (t) => ({ w3c: hex(t!) }),
  },
  b3: {
    requires: [],
    traceIdSizes: [16, 8],
    write: (c) => {
      const out: [string, string][] = [];
      if (c.traceId !== undefined && c.spanId !== undefined) {
        out.push(['x-b3-traceid', hex(c.traceId)], ['x-b3-spanid', hex(c.spanId)]);
        if (c.parentId !== undefined) out.push(['x-b3-parentspanid', hex(c.parentId)]);
      }
      if (c.flags !== undefined) out.push(['x-b3-flags', c.flags]);
      else out.push(['x-b3-sampled', c.shouldSample === true ? '1' : '0']);
      return out;
    },
    format: (t) => ({ b3: t === undefined ? '' : hex(t) }),
  },
  'b3-single': {
    requires: [],
    traceIdSizes: [16, 8],
    write: (c) => {
      const sampled = c.flags === '1' ? 'd' : c.shouldSample === true ? '1' : c.shouldSample === false ? '0' : undefined;
      if (c.traceId === undefined || c.spanId === undefined) return [['b3', sampled ?? '0']];
      return [
        ['b3', `${hex(c.traceId)}-${hex(c.spanId)}${sampled === undefined ? '' : `-${sampled}`}${c.parentId === undefined ? '' : `-${hex(c.parentId)}`}`],
      ];
    },
    format: (t) => ({ b3: t === undefined ? '' : hex(t) }),
  },
  jaeger: {
    requires: ['traceId', 'spanId'],
    traceIdSizes: [16, 8],
    write: (c) => {
      const out: [string, string][] = [
        ['uber-trace-id', `${hex(c.traceId!)}:${hex(c.spanId!)}:${c.parentId === undefined ? '0' : hex(c.parentId)}:${c.shouldSample === true ? '01' : '00'}`],
      ];
      if (c.baggage !== undefined) for (const k in c.baggage) out.push([`uberctx-${k}`, escapeBaggage(c.baggage[k])]);
      return out;
    },
    format: (t) => ({ jaeger: hex(t!) }),
  },
  ot: {
    requires: ['traceId', 'spanId'],
    traceIdSizes: [8, 16],
    write: (c) => {
      const out: [string, string][] = [
        ['ot-tracer-traceid', hex(c.traceId!)],
        ['ot-tracer-spanid', hex(c.spanId!)],
      ];
      if (c.shouldSample !== undefined) out.push(['ot-tracer-sampled', c.shouldSample ? '1' : '0']);
      if (c.baggage !== undefined) for (const k in c.baggage) out.push([`ot-baggage-${k}`, escapeBaggage(c.baggage[k])]);
      return out;
    },
    format: (t) => ({ ot: hex(t!) }),
  },
  aws: {
    requires: ['traceId', 'spanId'],
    traceIdSizes: [16],
    write: (c) => {
      const t = hex(c.traceId!);
      return [['x-amzn-trace-id', `Root=1-${t.slice(0, 8)}-${t.slice(8)};Parent=${hex(c.spanId!)};Sampled=${c.shouldSample === true ? '1' : '0'}`]];
    },
    format: (t) => ({ aws: hex(t!) }),
  },
  gcp: {
    requires: ['traceId', 'spanId'],
    traceIdSizes: [16],
    write: (c) => [['x-cloud-trace-context', `${hex(c.traceId!)}/${toDecimal(c.spanId!)};o=${c.shouldSample === true ? '1' : '0'}`]],
    format: (t) => ({ gcp: hex(t!) }),
  },
  datadog: {
    requires: [],
    traceIdSizes: [8],
    write: (c) => {
      const out: [string, string][] = [];
      if (c.traceId !== undefined) out.push(['x-datadog-trace-id', toDecimal(c.traceId)]);
      if (c.spanId !== undefined) out.push(['x-datadog-parent-id', toDecimal(c.spanId)]);
      if (c.shouldSample !== undefined) out.push(['x-datadog-sampling-priority', c.shouldSample ? '1' : '0']);
      return out;
    },
    format: (t): Record<string, string> => (t === undefined ? {} : { datadog: toDecimal(t) }),
  },
  instana: {
    requires: [],
    traceIdSizes: [16, 8],
    write: (c) => {
      const out: [string, string][] = [];
      if (c.traceId !== undefined) out.push(['x-instana-t', hex(c.traceId)]);
      if (c.spanId !== undefined) out.push(['x-instana-s', hex(c.spanId)]);
      if (c.shouldSample !== undefined) out.push(['x-instana-l', c.shouldSample ? '1' : '0']);
      return out;
    },
    format: (t): Record<string, string> => (t === undefined ? {} : { instana: hex(t) }),
  },
};

/** The headers `format` writes for `ctx`, or an error message naming what is missing (Kong's wording). */
export function injectFormat(format: PropagationFormat, ctx: TracingContext): Injection | string {
  const spec = INJECTORS[format];
  const missing = spec.requires.find((f) => ctx[f] === undefined);
  if (missing !== undefined) return `${format} injector context is invalid: field ${missing === 'traceId' ? 'trace_id' : 'span_id'} not found in context`;
  const original = ctx.traceIdOriginalSize;
  const size = original !== undefined && spec.traceIdSizes.includes(original) ? original : spec.traceIdSizes[0];
  const sized: SizedContext = {
    ...ctx,
    traceId: ctx.traceId === undefined ? undefined : toIdSize(ctx.traceId, size),
    spanId: ctx.spanId === undefined ? undefined : toIdSize(ctx.spanId, 8),
    parentId: ctx.parentId === undefined ? undefined : toIdSize(ctx.parentId, 8),
  };
  return { headers: spec.write(sized), formattedTraceId: spec.format(sized.traceId) };
}
