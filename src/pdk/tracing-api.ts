/**
 * `kong.tracing`: the request's spans for plugins (Kong's tracing PDK, in the PDK's camelCase). Created on
 * first use only, so requests whose plugins never trace pay nothing for it. Without a trace (instrumentation
 * off), spans a plugin starts are detached and recorded nowhere, like Kong's noop tracer.
 */
import { nowMs } from '../tracing/clock.ts';
import { newSpanId } from '../tracing/ids.ts';
import { RequestTrace } from '../tracing/trace.ts';
import { SPAN_KIND, Span, type AttributeValue } from '../tracing/span.ts';
import { samplingDecision } from '../tracing/sampler.ts';
import type { CapturedLogLine, PluginContext } from './context.ts';

export interface StartSpanOptions {
  readonly kind?: number;
  /** Wall-clock ms; now by default. */
  readonly startMs?: number;
  /** The parent; the active span by default. */
  readonly parent?: Span | null;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/** Kong's default sampling rate, used when a worker was given none. */
const DEFAULT_SAMPLING_RATE = 0.01;

export class TracingApi {
  readonly #ctx: PluginContext;

  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }

  /** The request's trace, or null when nothing traces it. */
  get trace(): RequestTrace | null {
    return this.#ctx.trace;
  }

  /**
   * The request's trace, made now when instrumentation is off so that a tracing plugin can still propagate
   * headers: a propagation-only trace, never sampled (Kong's `kong.propagation_only` root).
   */
  ensureTrace(): RequestTrace {
    const ctx = this.#ctx;
    return (ctx.trace ??= new RequestTrace(0, ctx.startedAt, 0, true));
  }

  startSpan(name: string, options: StartSpanOptions = {}): Span {
    const trace = this.#ctx.trace;
    const kind = options.kind ?? SPAN_KIND.INTERNAL;
    const startMs = options.startMs ?? nowMs();
    let span: Span;
    if (trace === null) span = new Span(name, kind, newSpanId(), options.parent?.spanId ?? null, startMs);
    else span = trace.startSpan(name, kind, startMs, options.parent === undefined ? trace.active : options.parent);
    if (options.attributes !== undefined) for (const k in options.attributes) span.setAttribute(k, options.attributes[k]);
    return span;
  }

  /** Ends a span (and makes its parent active again when it was the active one). */
  endSpan(span: Span, endMs?: number): void {
    const trace = this.#ctx.trace;
    if (trace === null) span.finish(endMs);
    else trace.endSpan(span, endMs);
  }

  activeSpan(): Span | null {
    return this.#ctx.trace?.active ?? null;
  }

  setActiveSpan(span: Span): void {
    const trace = this.#ctx.trace;
    if (trace !== null) trace.active = span;
  }

  setShouldSample(sampled: boolean): void {
    this.#ctx.trace?.setShouldSample(sampled);
  }

  /**
   * Kong's `get_sampling_decision`: no sampling without a trace or for a propagation-only one, the parent's
   * decision when given, else the probability sampler at `samplingRate` or the node's `tracing_sampling_rate`.
   */
  getSamplingDecision(parentShouldSample?: boolean, samplingRate?: number | null): boolean {
    const trace = this.#ctx.trace;
    if (trace === null) return false;
    const nodeRate = this.#ctx.env.tracingSamplingRate ?? DEFAULT_SAMPLING_RATE;
    return samplingDecision(trace.traceId, parentShouldSample, samplingRate, nodeRate, trace.propagationOnly);
  }

  /** The client's request headers by lower-case name, as received (what propagation extracts from). */
  incomingHeaders(): Readonly<Record<string, string | string[] | undefined>> {
    return this.#ctx.req.headers;
  }

  /** The request's id (the root span's `kong.request.id`). */
  requestId(): string {
    return this.#ctx.requestId;
  }

  /** Keeps the request's later `kong.log` lines (for exporting them); idempotent. */
  captureLogs(): void {
    this.#ctx.logLines ??= [];
  }

  /**
   * Adds a structured line to the request's exported log lines (Kong's `kong.telemetry.log`): false, and
   * nothing recorded, when no plugin captures them.
   */
  recordLog(level: string, message: string, attributes: Readonly<Record<string, string | number | boolean>>): boolean {
    const lines = this.#ctx.logLines;
    if (lines === null) return false;
    lines.push({ level, message, plugin: this.#ctx.currentPlugin, timeMs: nowMs(), attributes });
    return true;
  }

  /** The `kong.log` lines kept since `captureLogs`. */
  capturedLogs(): readonly CapturedLogLine[] {
    return this.#ctx.logLines ?? [];
  }

  /**
   * Calls `processor` with every span of the request, after ending them (log phase): the root with the
   * status the client got. Nothing happens without a trace.
   */
  processSpan(processor: (span: Span, trace: RequestTrace) => void): void {
    const ctx = this.#ctx;
    const trace = ctx.trace;
    if (trace === null) return;
    const route = ctx.routed?.route as { paths?: readonly string[] | null } | null | undefined;
    trace.finalize(ctx.endedAt === 0 ? nowMs() : ctx.startedAt + (ctx.endedAt - ctx.start), ctx.downstream?.status ?? 0, route?.paths?.[0] ?? '');
    for (const span of trace.spans) processor(span, trace);
  }
}
