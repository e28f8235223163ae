/**
 * Reading a tracing context from request headers, one reader per format, accepting and refusing what Kong's
 * extractors do. A reader returns null when its headers are absent or unusable (the next format is tried),
 * else a context that may lack ids (a bare sampling decision counts as found, as in Kong).
 */
import { fromDecimal, fromHex, isAllZero, toIdSize } from '../ids.ts';
import type { ExtractFormat, IncomingHeaders, PropagationWarn, TracingContext } from './context.ts';

const HEX = /^[0-9a-fA-F]+$/;

function one(headers: IncomingHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function anyOf(headers: IncomingHeaders, names: readonly string[]): boolean {
  for (const n of names) if (headers[n] !== undefined) return true;
  return false;
}

function hexIsZero(hex: string): boolean {
  return /^0+$/.test(hex);
}

function baggageFrom(headers: IncomingHeaders, prefix: string): Record<string, string> | undefined {
  let baggage: Record<string, string> | undefined;
  for (const name in headers) {
    if (!name.startsWith(prefix)) continue;
    const value = one(headers, name);
    if (value === undefined) continue;
    let decoded = value;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      // Kong's unescape leaves a malformed escape as it is.
    }
    (baggage ??= Object.create(null) as Record<string, string>)[name.slice(prefix.length)] = decoded;
  }
  return baggage;
}

type Extractor = (headers: IncomingHeaders, warn: PropagationWarn) => TracingContext | null;

const W3C = /^([0-9a-fA-F]+)-([0-9a-fA-F]+)-([0-9a-fA-F]+)-([0-9a-fA-F]+)$/;

const w3c: Extractor = (headers, warn) => {
  const tp = one(headers, 'traceparent');
  if (tp === undefined || tp === '') return null;
  const m = W3C.exec(tp);
  if (m === null) return warned(warn, 'invalid W3C traceparent header; ignoring.');
  const [, version, traceId, parentId, flags] = m;
  if (version !== '00') return warned(warn, 'invalid W3C Trace Context version; ignoring.');
  if (traceId.length !== 32 || hexIsZero(traceId)) return warned(warn, 'invalid W3C trace context trace ID; ignoring.');
  if (parentId.length !== 16 || hexIsZero(parentId)) return warned(warn, 'invalid W3C trace context parent ID; ignoring.');
  if (flags.length !== 2) return warned(warn, 'invalid W3C trace context flags; ignoring.');
  const flagBits = parseInt(flags, 16);
  return { traceId: fromHex(traceId), spanId: fromHex(parentId), shouldSample: (flagBits & 1) === 1, w3cFlags: flagBits };
};

function warned(warn: PropagationWarn, message: string): null {
  warn(message);
  return null;
}

const B3_SINGLE = /^([0-9a-fA-F]+)-([0-9a-fA-F]{16})-?([01d]?)-?([0-9a-fA-F]*)$/;
const B3_HEADERS = ['b3', 'tracestate', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags'];

interface B3Read {
  traceId?: string;
  spanId?: string;
  parentId?: string;
  shouldSample?: boolean;
  flags?: string;
  invalid: boolean;
}

function b3SingleValue(headers: IncomingHeaders): string | undefined {
  const b3 = one(headers, 'b3');
  if (b3 !== undefined) return b3;
  const ts = headers.tracestate;
  for (const v of Array.isArray(ts) ? ts : ts === undefined ? [] : [ts]) {
    const m = /^b3=(.+)$/.exec(v);
    if (m !== null) return m[1];
  }
  return undefined;
}

function readB3Single(value: string, warn: PropagationWarn): B3Read {
  if (value === '1' || value === 'd') return { shouldSample: true, flags: value === 'd' ? '1' : undefined, invalid: false };
  if (value === '0') return { shouldSample: false, invalid: false };
  const m = B3_SINGLE.exec(value);
  if (m === null || (m[1].length !== 16 && m[1].length !== 32) || (m[4] !== '' && m[4].length !== 16)) {
    warn('b3 single header invalid; ignoring.');
    return { invalid: true };
  }
  const sampled = m[3];
  return {
    traceId: m[1],
    spanId: m[2],
    parentId: m[4] === '' ? undefined : m[4],
    shouldSample: sampled === '1' || sampled === 'd' ? true : sampled === '0' ? false : undefined,
    flags: sampled === 'd' ? '1' : undefined,
    invalid: false,
  };
}

function readB3Multi(headers: IncomingHeaders, warn: PropagationWarn): B3Read {
  const sampledHeader = one(headers, 'x-b3-sampled');
  let shouldSample: boolean | undefined;
  if (sampledHeader === '1' || sampledHeader === 'true') shouldSample = true;
  else if (sampledHeader === '0' || sampledHeader === 'false') shouldSample = false;
  else if (sampledHeader !== undefined) warn('x-b3-sampled header invalid; ignoring.');
  const flags = one(headers, 'x-b3-flags');
  if (flags === '1') shouldSample = true;
  else if (flags !== undefined) warn('x-b3-flags header invalid; ignoring.');
  let invalid = false;
  const id = (name: string, lengths: readonly number[]): string | undefined => {
    const v = one(headers, name);
    if (v === undefined) return undefined;
    if (!lengths.includes(v.length) || !HEX.test(v)) {
      warn(`${name} header invalid; ignoring.`);
      invalid = true;
      return undefined;
    }
    return v;
  };
  const traceId = id('x-b3-traceid', [16, 32]);
  const spanId = id('x-b3-spanid', [16]);
  const parentId = id('x-b3-parentspanid', [16]);
  return { traceId, spanId, parentId, shouldSample, flags, invalid };
}

const b3: Extractor = (headers, warn) => {
  if (!anyOf(headers, B3_HEADERS)) return null;
  let traceId: string | undefined;
  let spanId: string | undefined;
  let parentId: string | undefined;
  let shouldSample: boolean | undefined;
  let flags: string | undefined;
  let singleHeader: boolean | undefined;
  const singleValue = b3SingleValue(headers);
  if (singleValue !== undefined) {
    const s = readB3Single(singleValue, warn);
    singleHeader = true;
    shouldSample = s.shouldSample;
    flags = s.flags;
    if (!s.invalid) ({ traceId, spanId, parentId } = s);
  }
  const m = readB3Multi(headers, warn);
  shouldSample ??= m.shouldSample;
  flags ??= m.flags;
  if (!m.invalid) {
    traceId ??= m.traceId;
    spanId ??= m.spanId;
    parentId ??= m.parentId;
  }
  const ctx: TracingContext = { shouldSample, flags, singleHeader, reuseSpanId: true };
  if (traceId !== undefined) {
    ctx.traceId = fromHex(traceId);
    if (spanId !== undefined) ctx.spanId = fromHex(spanId);
    if (parentId !== undefined) ctx.parentId = fromHex(parentId);
  }
  return ctx;
};

const JAEGER = /^([0-9a-fA-F]+):([0-9a-fA-F]+):([0-9a-fA-F]+):([0-9a-fA-F]+)$/;

const jaeger: Extractor = (headers, warn) => {
  const v = one(headers, 'uber-trace-id');
  if (v === undefined || v === '') return null;
  const m = JAEGER.exec(v);
  if (m === null) return warned(warn, 'invalid jaeger uber-trace-id header; ignoring.');
  const [, traceId, spanId, parentId, flags] = m;
  if (traceId.length > 32 || hexIsZero(traceId)) return warned(warn, 'invalid jaeger trace ID; ignoring.');
  if (parentId.length !== 16 && !hexIsZero(parentId)) warn('invalid jaeger parent ID; ignoring.');
  if (spanId.length > 16 || hexIsZero(spanId)) return warned(warn, 'invalid jaeger span ID; ignoring.');
  if (flags.length !== 1 && flags.length !== 2) return warned(warn, 'invalid jaeger flags; ignoring.');
  return {
    traceId: fromHex(traceId),
    spanId: fromHex(spanId),
    parentId: fromHex(parentId),
    reuseSpanId: true,
    shouldSample: (parseInt(flags, 16) & 1) === 1,
    baggage: baggageFrom(headers, 'uberctx-'),
  };
};

const ot: Extractor = (headers, warn) => {
  if (!anyOf(headers, ['ot-tracer-sampled', 'ot-tracer-traceid', 'ot-tracer-spanid'])) return null;
  const sampled = one(headers, 'ot-tracer-sampled');
  let shouldSample: boolean | undefined;
  if (sampled === '1' || sampled === 'true') shouldSample = true;
  else if (sampled === '0' || sampled === 'false') shouldSample = false;
  else if (sampled !== undefined) warn('ot-tracer-sampled header invalid; ignoring.');
  let invalid = false;
  let traceId = one(headers, 'ot-tracer-traceid');
  if (traceId !== undefined && ((traceId.length !== 16 && traceId.length !== 32) || !HEX.test(traceId))) {
    warn('ot-tracer-traceid header invalid; ignoring.');
    invalid = true;
    traceId = undefined;
  }
  let spanId = one(headers, 'ot-tracer-spanid');
  if (spanId !== undefined && (spanId.length !== 16 || !HEX.test(spanId))) {
    warn('ot-tracer-spanid header invalid; ignoring.');
    invalid = true;
    spanId = undefined;
  }
  const ctx: TracingContext = { shouldSample, baggage: baggageFrom(headers, 'ot-baggage-') };
  if (traceId !== undefined && !invalid) {
    ctx.traceId = fromHex(traceId);
    if (spanId !== undefined) ctx.spanId = fromHex(spanId);
  }
  return ctx;
};

const DIGITS = /^\s*(\d+)\s*$/;

const datadog: Extractor = (headers, warn) => {
  if (!anyOf(headers, ['x-datadog-trace-id', 'x-datadog-parent-id', 'x-datadog-sampling-priority'])) return null;
  const priority = one(headers, 'x-datadog-sampling-priority');
  let shouldSample: boolean | undefined;
  if (priority === '1' || priority === '2') shouldSample = true;
  else if (priority === '0' || priority === '-1') shouldSample = false;
  else if (priority !== undefined) return warned(warn, 'x-datadog-sampling-priority header invalid; ignoring.');
  const rawTrace = one(headers, 'x-datadog-trace-id');
  const traceId = rawTrace === undefined ? undefined : DIGITS.exec(rawTrace)?.[1];
  if (rawTrace !== undefined && traceId === undefined) warn('x-datadog-trace-id header invalid; ignoring.');
  const rawParent = one(headers, 'x-datadog-parent-id');
  const parentId = rawParent === undefined ? undefined : DIGITS.exec(rawParent)?.[1];
  if (rawParent !== undefined && parentId === undefined) warn('x-datadog-parent-id header invalid; ignoring.');
  const ctx: TracingContext = { shouldSample };
  if (traceId !== undefined) {
    ctx.traceId = fromDecimal(traceId);
    if (parentId !== undefined) ctx.spanId = fromDecimal(parentId);
  }
  return ctx;
};

const AWS_ROOT = /^([0-9a-fA-F]+)-([0-9a-fA-F]+)-([0-9a-fA-F]+)$/;

const aws: Extractor = (headers, warn) => {
  const v = one(headers, 'x-amzn-trace-id');
  if (v === undefined) return null;
  const ctx: TracingContext = {};
  for (const pair of v.split(';')) {
    const eq = pair.indexOf('=');
    const key = (eq === -1 ? pair : pair.slice(0, eq)).trim();
    const value = (eq === -1 ? '' : pair.slice(eq + 1)).trim();
    if (key === 'Root') {
      const m = AWS_ROOT.exec(value);
      if (value.length !== 35 || m === null || m[1] !== '1' || m[2].length !== 8 || m[3].length !== 24) {
        return warned(warn, 'invalid aws header trace id; ignoring.');
      }
      ctx.traceId = fromHex(m[2] + m[3]);
    } else if (key === 'Parent') {
      if (value.length !== 16 || !HEX.test(value)) return warned(warn, 'invalid aws header parent id; ignoring.');
      ctx.spanId = fromHex(value);
    } else if (key === 'Sampled') {
      if (value !== '0' && value !== '1') return warned(warn, 'invalid aws header sampled flag; ignoring.');
      ctx.shouldSample = value === '1';
    }
  }
  return ctx;
};

const GCP = /^([0-9a-f]{32})\/([0-9]{1,20})(;o=([0-9]))?$/;

const gcp: Extractor = (headers, warn) => {
  const v = one(headers, 'x-cloud-trace-context');
  if (v === undefined) return null;
  const m = GCP.exec(v);
  if (m === null) return warned(warn, 'invalid GCP header; ignoring.');
  return { traceId: fromHex(m[1]), spanId: fromDecimal(m[2]), shouldSample: m[4] === '1' };
};

const instana: Extractor = (headers, warn) => {
  const t = one(headers, 'x-instana-t');
  if (t === undefined) return null;
  const traceHex = /^[0-9a-fA-F]+/.exec(t)?.[0];
  if (traceHex === undefined || (traceHex.length !== 16 && traceHex.length !== 32)) warn('x-instana-t header invalid; ignoring.');
  const s = one(headers, 'x-instana-s');
  if (s === undefined) return null;
  const spanHex = /^[0-9a-fA-F]+/.exec(s)?.[0];
  if (spanHex === undefined) warn('x-instana-s header invalid; ignoring.');
  const level = one(headers, 'x-instana-l');
  const ctx: TracingContext = { shouldSample: level !== undefined && level.charAt(0) === '1' };
  if (traceHex !== undefined) ctx.traceId = fromHex(traceHex);
  if (spanHex !== undefined) ctx.spanId = fromHex(spanHex);
  return ctx;
};

const EXTRACTOR_BY_FORMAT: Readonly<Record<ExtractFormat, Extractor>> = { w3c, b3, jaeger, ot, datadog, aws, gcp, instana };

/** Reads one format; ids are brought to Kong's sizes (16-byte trace ids, 8-byte span ids). */
export function extractFormat(format: ExtractFormat, headers: IncomingHeaders, warn: PropagationWarn): TracingContext | null {
  const ctx = EXTRACTOR_BY_FORMAT[format](headers, warn);
  if (ctx === null) return null;
  if (ctx.traceId !== undefined) {
    ctx.traceIdOriginalSize = ctx.traceId.length;
    ctx.traceId = toIdSize(ctx.traceId, 16);
    if (isAllZero(ctx.traceId)) delete ctx.traceId;
  }
  if (ctx.spanId !== undefined) ctx.spanId = toIdSize(ctx.spanId, 8);
  if (ctx.parentId !== undefined) ctx.parentId = toIdSize(ctx.parentId, 8);
  return ctx;
}
