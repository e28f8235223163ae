/**
 * Zipkin's span model as Kong's zipkin plugin keeps it (times in microseconds), and its Zipkin v2 JSON form.
 */
import { newSpanId } from '../../tracing/ids.ts';

export type ZipkinKind = 'SERVER' | 'CLIENT';

export class ZipkinSpan {
  readonly kind: ZipkinKind;
  readonly name: string;
  readonly traceId: Buffer;
  readonly spanId: Buffer;
  readonly parentId: Buffer | null;
  readonly timestamp: number;
  duration: number | null = null;
  shouldSample: boolean;
  readonly baggage: Readonly<Record<string, string>> | undefined;
  readonly tags: Record<string, string> = {};
  annotations: { value: string; timestamp: number }[] | null = null;
  serviceName: string | null = null;
  ip: string | null = null;
  port: number | null = null;

  constructor(
    kind: ZipkinKind,
    name: string,
    startUs: number,
    shouldSample: boolean,
    traceId: Buffer,
    spanId: Buffer | null = null,
    parentId: Buffer | null = null,
    baggage?: Readonly<Record<string, string>>,
  ) {
    this.kind = kind;
    this.name = name;
    this.timestamp = Math.floor(startUs);
    this.shouldSample = shouldSample;
    this.traceId = traceId;
    this.spanId = spanId ?? newSpanId();
    this.parentId = parentId;
    this.baggage = baggage;
  }

  child(kind: ZipkinKind, name: string, startUs: number): ZipkinSpan {
    return new ZipkinSpan(kind, name, startUs, this.shouldSample, this.traceId, newSpanId(), this.spanId, this.baggage);
  }

  setTag(name: string, value: string | number | boolean | null | undefined): void {
    if (value === null || value === undefined) delete this.tags[name];
    else this.tags[name] = String(value);
  }

  annotate(value: string, timestampUs: number): void {
    (this.annotations ??= []).push({ value, timestamp: Math.floor(timestampUs) });
  }

  finish(endUs: number): void {
    if (this.duration === null) this.duration = Math.max(0, Math.floor(endUs) - this.timestamp);
  }
}

/** A span in Zipkin's v2 JSON model. */
export interface ZipkinJsonSpan {
  traceId: string;
  name: string;
  parentId?: string;
  id: string;
  kind: ZipkinKind;
  timestamp: number;
  duration: number | null;
  localEndpoint: { serviceName: string };
  remoteEndpoint: { serviceName?: string; port?: number; ipv4?: string; ipv6?: string } | null;
  tags?: Record<string, string>;
  annotations?: { value: string; timestamp: number }[];
}

/** Kong's reporter: empty tags left out; a remote endpoint only with a port or a service name. */
export function toZipkinJson(span: ZipkinSpan, localServiceName: string, defaultServiceName: string | null): ZipkinJsonSpan {
  const tags: Record<string, string> = {};
  let anyTag = false;
  for (const k in span.tags) {
    if (span.tags[k] !== '') {
      tags[k] = span.tags[k];
      anyTag = true;
    }
  }
  const serviceName = span.serviceName ?? defaultServiceName;
  let remote: ZipkinJsonSpan['remoteEndpoint'] = null;
  if (span.port !== null || serviceName !== null) {
    remote = {};
    if (serviceName !== null) remote.serviceName = serviceName;
    if (span.port !== null) remote.port = span.port;
    if (span.ip !== null) remote[span.ip.includes(':') ? 'ipv6' : 'ipv4'] = span.ip;
  }
  const out: ZipkinJsonSpan = {
    traceId: span.traceId.toString('hex'),
    name: span.name,
    id: span.spanId.toString('hex'),
    kind: span.kind,
    timestamp: span.timestamp,
    duration: span.duration,
    localEndpoint: { serviceName: localServiceName },
    remoteEndpoint: remote,
  };
  if (span.parentId !== null) out.parentId = span.parentId.toString('hex');
  if (anyTag) out.tags = tags;
  if (span.annotations !== null) out.annotations = span.annotations;
  return out;
}

/** Kong's `Zipkin-Tags` header: `name=value` pairs separated by `;`. Returns the tags and the unparsable items. */
export function parseTagsHeader(values: readonly string[]): { tags: Record<string, string>; errors: string[] } {
  const tags: Record<string, string> = {};
  const errors: string[] = [];
  for (const value of values) {
    for (const item of value.split(';')) {
      if (item === '') continue;
      const m = /^\s*(\S+)\s*=\s*(.*\S)\s*$/.exec(item);
      if (m === null) errors.push(item);
      else tags[m[1]] = m[2];
    }
  }
  return { tags, errors };
}
