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

function anyValue(w: ProtoWriter, field: number, value: OtlpValue): void {
  w.fork(field);
  if (value !== null) {
    switch (typeof value) {
      case 'string':
        w.stringAlways(1, value);
        break;
      case 'boolean':
        w.boolAlways(2, value);
        break;
      case 'number':
        if (Number.isSafeInteger(value)) w.int64Always(3, value);
        else w.double(4, value);
        break;
      default:
        if (Array.isArray(value)) {
          w.fork(5);
          for (const v of value as readonly OtlpValue[]) anyValue(w, 1, v);
          w.ldelim();
        } else {
          w.fork(6);
          const record = value as Readonly<Record<string, OtlpValue>>;
          for (const k in record) keyValue(w, 1, k, record[k]);
          w.ldelim();
        }
    }
  }
  w.ldelim();
}

function keyValue(w: ProtoWriter, field: number, key: string, value: OtlpValue): void {
  w.fork(field).string(1, key);
  anyValue(w, 2, value);
  w.ldelim();
}

function attributes(w: ProtoWriter, field: number, attrs: Attributes | null): void {
  if (attrs === null) return;
  for (const key in attrs) {
    const v = attrs[key];
    if (v !== undefined) keyValue(w, field, key, v);
  }
}

function resource(w: ProtoWriter, attrs: Attributes): void {
  w.fork(1);
  attributes(w, 1, attrs);
  w.ldelim();
}

function scope(w: ProtoWriter, s: InstrumentationScope): void {
  w.fork(1).string(1, s.name).string(2, s.version).ldelim();
}

function span(w: ProtoWriter, s: ExportSpan): void {
  w.fork(2).bytes(1, s.traceId).bytes(2, s.spanId).string(3, s.traceState);
  if (s.parentSpanId !== null) w.bytes(4, s.parentSpanId);
  w.string(5, s.name).uint(6, s.kind).fixed64(7, s.startNs).fixed64(8, s.endNs);
  attributes(w, 9, s.attributes);
  for (const e of s.events) {
    w.fork(11).fixed64(1, e.timeNs).string(2, e.name);
    attributes(w, 3, e.attributes);
    w.ldelim();
  }
  if (s.statusCode !== 0 || s.statusMessage !== '') w.fork(15).string(2, s.statusMessage).uint(3, s.statusCode).ldelim();
  w.ldelim();
}

/** ExportTraceServiceRequest with one resource and one scope. */
export function encodeTraces(spans: readonly ExportSpan[], resourceAttributes: Attributes, instrumentationScope: InstrumentationScope): Buffer {
  const w = new ProtoWriter();
  w.fork(1);
  resource(w, resourceAttributes);
  w.fork(2);
  scope(w, instrumentationScope);
  for (const s of spans) span(w, s);
  w.ldelim();
  w.ldelim();
  return w.finish();
}

function logRecord(w: ProtoWriter, r: ExportLogRecord): void {
  w.fork(2).fixed64(1, r.timeNs).uint(2, r.severityNumber).string(3, r.severityText);
  anyValue(w, 5, r.body);
  attributes(w, 6, r.attributes);
  w.fixed32(8, r.flags);
  if (r.traceId !== null) w.bytes(9, r.traceId);
  if (r.spanId !== null) w.bytes(10, r.spanId);
  w.fixed64(11, r.observedTimeNs);
  w.ldelim();
}

/** ExportLogsServiceRequest with one resource and one scope. */
export function encodeLogs(records: readonly ExportLogRecord[], resourceAttributes: Attributes, instrumentationScope: InstrumentationScope): Buffer {
  const w = new ProtoWriter();
  w.fork(1);
  resource(w, resourceAttributes);
  w.fork(2);
  scope(w, instrumentationScope);
  for (const r of records) logRecord(w, r);
  w.ldelim();
  w.ldelim();
  return w.finish();
}
