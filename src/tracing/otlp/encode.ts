/**
 * OTLP/HTTP payloads: ExportTraceServiceRequest and ExportLogsServiceRequest as protobuf (what Kong sends,
 * `application/x-protobuf`), from spans and log records already turned into plain values when they were
 * queued (so a queued entry holds no reference to its request).
 */
import { ProtoWriter } from './protobuf.ts';
import type { AttributeValue } from '../span.ts';

/** A value an attribute, a log body or a resource attribute may hold. */
export type OtlpValue = AttributeValue | null | readonly OtlpValue[] | { readonly [key: string]: OtlpValue };

export type Attributes = Readonly<Record<string, OtlpValue>>;

/** A finished span as queued for export. */
export interface ExportSpan {
  readonly traceId: Buffer;
  readonly spanId: Buffer;
  readonly parentSpanId: Buffer | null;
  readonly traceState: string;
  readonly name: string;
  readonly kind: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Attributes;
  readonly events: readonly { readonly name: string; readonly timeNs: bigint; readonly attributes: Attributes | null }[];
  readonly statusCode: number;
  readonly statusMessage: string;
}

/** A log record as queued for export. */
export interface ExportLogRecord {
  readonly timeNs: bigint;
  readonly observedTimeNs: bigint;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: OtlpValue;
  readonly attributes: Attributes;
  readonly traceId: Buffer | null;
  readonly spanId: Buffer | null;
  readonly flags: number;
}

export interface InstrumentationScope {
  readonly name: string;
  readonly version: string;
}

/** Wall-clock ms (fractional) to ns, without losing the ns digits to float precision. */
export function msToNs(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

function anyValue(value: OtlpValue): ProtoWriter {
  const w = new ProtoWriter();
  if (value === null) return w;
  switch (typeof value) {
    case 'string':
      // An empty string is still a string value: written explicitly.
      return w.bytesAlways(1, Buffer.from(value, 'utf8'));
    case 'boolean':
      return w.varintAlways(2, value ? 1 : 0);
    case 'number':
      if (Number.isSafeInteger(value)) return w.varintAlways(3, BigInt(value));
      return w.double(4, value);
  }
  if (Array.isArray(value)) {
    const arr = new ProtoWriter();
    for (const v of value as readonly OtlpValue[]) arr.message(1, anyValue(v));
    return w.message(5, arr);
  }
  const list = new ProtoWriter();
  for (const [k, v] of Object.entries(value as Record<string, OtlpValue>)) list.message(1, keyValue(k, v));
  return w.message(6, list);
}

function keyValue(key: string, value: OtlpValue): ProtoWriter {
  return new ProtoWriter().string(1, key).message(2, anyValue(value));
}

function attributes(w: ProtoWriter, field: number, attrs: Attributes | null): void {
  if (attrs === null) return;
  for (const key in attrs) {
    const v = attrs[key];
    if (v !== undefined) w.message(field, keyValue(key, v));
  }
}

function resource(attrs: Attributes): ProtoWriter {
  const w = new ProtoWriter();
  attributes(w, 1, attrs);
  return w;
}

function scope(s: InstrumentationScope): ProtoWriter {
  return new ProtoWriter().string(1, s.name).string(2, s.version);
}

function span(s: ExportSpan): ProtoWriter {
  const w = new ProtoWriter().bytes(1, s.traceId).bytes(2, s.spanId).string(3, s.traceState);
  if (s.parentSpanId !== null) w.bytes(4, s.parentSpanId);
  w.string(5, s.name).uint(6, s.kind).fixed64(7, s.startNs).fixed64(8, s.endNs);
  attributes(w, 9, s.attributes);
  for (const e of s.events) {
    const ev = new ProtoWriter().fixed64(1, e.timeNs).string(2, e.name);
    attributes(ev, 3, e.attributes);
    w.message(11, ev);
  }
  if (s.statusCode !== 0 || s.statusMessage !== '') w.message(15, new ProtoWriter().string(2, s.statusMessage).uint(3, s.statusCode));
  return w;
}

/** ExportTraceServiceRequest with one resource and one scope. */
export function encodeTraces(spans: readonly ExportSpan[], resourceAttributes: Attributes, instrumentationScope: InstrumentationScope): Buffer {
  const scopeSpans = new ProtoWriter().message(1, scope(instrumentationScope));
  for (const s of spans) scopeSpans.message(2, span(s));
  const resourceSpans = new ProtoWriter().message(1, resource(resourceAttributes)).message(2, scopeSpans);
  return new ProtoWriter().message(1, resourceSpans).finish();
}

function logRecord(r: ExportLogRecord): ProtoWriter {
  const w = new ProtoWriter().fixed64(1, r.timeNs).uint(2, r.severityNumber).string(3, r.severityText);
  w.message(5, anyValue(r.body));
  attributes(w, 6, r.attributes);
  w.fixed32(8, r.flags);
  if (r.traceId !== null) w.bytes(9, r.traceId);
  if (r.spanId !== null) w.bytes(10, r.spanId);
  w.fixed64(11, r.observedTimeNs);
  return w;
}

/** ExportLogsServiceRequest with one resource and one scope. */
export function encodeLogs(records: readonly ExportLogRecord[], resourceAttributes: Attributes, instrumentationScope: InstrumentationScope): Buffer {
  const scopeLogs = new ProtoWriter().message(1, scope(instrumentationScope));
  for (const r of records) scopeLogs.message(2, logRecord(r));
  const resourceLogs = new ProtoWriter().message(1, resource(resourceAttributes)).message(2, scopeLogs);
  return new ProtoWriter().message(1, resourceLogs).finish();
}
