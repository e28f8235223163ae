/**
 * Turning a request's spans and log lines into queued OTLP entries, and batches of them into OTLP/HTTP
 * protobuf requests.
 */
import type { CapturedLogLine } from '../../pdk/context.ts';
import type { Span } from '../../tracing/span.ts';
import type { RequestTrace } from '../../tracing/trace.ts';
import { msToNs, type Attributes, type ExportLogRecord, type ExportSpan } from '../../tracing/otlp/encode.ts';

const NO_EVENTS: ExportSpan['events'] = [];

export function exportSpan(span: Span, trace: RequestTrace): ExportSpan {
  return {
    traceId: trace.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentId,
    traceState: '',
    name: span.name,
    kind: span.kind,
    startNs: msToNs(span.startMs),
    endNs: msToNs(span.endMs),
    // The request is over: its spans are not changed again, so the queue may hold them as they are.
    attributes: span.attributes,
    events: span.events === null ? NO_EVENTS : span.events.map((e) => ({ name: e.name, timeNs: msToNs(e.timeMs), attributes: e.attributes })),
    statusCode: span.statusCode,
    statusMessage: span.statusMessage,
  };
}

/** OpenTelemetry severity numbers for nginx's levels (Kong's mapping). */
const SEVERITY: Readonly<Record<string, number>> = {
  debug: 5,
  info: 9,
  notice: 10,
  warn: 13,
  error: 17,
  crit: 18,
  alert: 19,
  emerg: 21,
};

export function exportLogLine(line: CapturedLogLine, requestId: string, trace: RequestTrace | null): ExportLogRecord {
  const attributes: Attributes = { ...line.attributes, 'request.id': requestId, 'introspection.source': line.plugin === '' ? 'kong' : `kong.plugins.${line.plugin}` };
  const ns = msToNs(line.timeMs);
  return {
    timeNs: ns,
    observedTimeNs: ns,
    severityNumber: SEVERITY[line.level] ?? 0,
    severityText: line.level,
    body: line.message,
    attributes,
    traceId: trace?.traceId ?? null,
    spanId: null,
    flags: trace === null ? 0 : trace.flags,
  };
}
