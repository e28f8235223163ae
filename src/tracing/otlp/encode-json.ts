/**
 * The OTLP/HTTP JSON encoding of the same requests (`application/json`): field names in lowerCamelCase, trace
 * and span ids as hex, 64-bit integers as decimal strings, enums as numbers — the OTLP JSON rules. Kong sends
 * protobuf only; JSON is a Tollgate addition for collectors that take only JSON.
 */
import type { Attributes, ExportLogRecord, ExportSpan, InstrumentationScope, OtlpValue } from './encode.ts';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function anyValue(value: OtlpValue): Json {
  if (value === null) return {};
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'number':
      return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  }
  if (Array.isArray(value)) return { arrayValue: { values: (value as readonly OtlpValue[]).map(anyValue) } };
  return { kvlistValue: { values: attributes(value as Attributes) } };
}

function attributes(attrs: Attributes | null): Json[] {
  const out: Json[] = [];
  if (attrs === null) return out;
  for (const key in attrs) {
    const v = attrs[key];
    if (v !== undefined) out.push({ key, value: anyValue(v) });
  }
  return out;
}

function span(s: ExportSpan): Json {
  const out: { [key: string]: Json } = {
    traceId: s.traceId.toString('hex'),
    spanId: s.spanId.toString('hex'),
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: String(s.startNs),
    endTimeUnixNano: String(s.endNs),
    attributes: attributes(s.attributes),
  };
  if (s.parentSpanId !== null) out.parentSpanId = s.parentSpanId.toString('hex');
  if (s.traceState !== '') out.traceState = s.traceState;
  if (s.events.length > 0) out.events = s.events.map((e) => ({ timeUnixNano: String(e.timeNs), name: e.name, attributes: attributes(e.attributes) }));
  if (s.statusCode !== 0 || s.statusMessage !== '') out.status = { code: s.statusCode, message: s.statusMessage };
  return out;
}

function scope(s: InstrumentationScope): Json {
  return { name: s.name, version: s.version };
}

export function encodeTracesJson(spans: readonly ExportSpan[], resourceAttributes: Attributes, instrumentationScope: InstrumentationScope): string {
  return JSON.stringify({
    resourceSpans: [{ resource: { attributes: attributes(resourceAttributes) }, scopeSpans: [{ scope: scope(instrumentationScope), spans: spans.map(span) }] }],
  });
}

function logRecord(r: ExportLogRecord): Json {
  const out: { [key: string]: Json } = {
    timeUnixNano: String(r.timeNs),
    observedTimeUnixNano: String(r.observedTimeNs),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: anyValue(r.body),
    attributes: attributes(r.attributes),
    flags: r.flags,
  };
  if (r.traceId !== null) out.traceId = r.traceId.toString('hex');
  if (r.spanId !== null) out.spanId = r.spanId.toString('hex');
  return out;
}

export function encodeLogsJson(records: readonly ExportLogRecord[], resourceAttributes: Attributes, instrumentationScope: InstrumentationScope): string {
  return JSON.stringify({
    resourceLogs: [{ resource: { attributes: attributes(resourceAttributes) }, scopeLogs: [{ scope: scope(instrumentationScope), logRecords: records.map(logRecord) }] }],
  });
}
