/**
 * A span as Kong's tracer keeps it: ids as bytes, times in ms since the epoch (fractional; converted to ns
 * when exported), attributes, status and the sampling flag. The trace id lives on the request's trace, so a
 * trace id taken from an incoming header applies to every span at once.
 */
import { nowMs } from './clock.ts';

/** OpenTelemetry's span kinds, as numbered in OTLP. */
export const SPAN_KIND = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

/** OTLP status codes: 0 unset, 1 ok, 2 error. */
export const STATUS_ERROR = 2;

export type AttributeValue = string | number | boolean;

export interface SpanEvent {
  readonly name: string;
  readonly timeMs: number;
  readonly attributes: Readonly<Record<string, AttributeValue>> | null;
}

export class Span {
  readonly name: string;
  readonly kind: number;
  spanId: Buffer;
  parentId: Buffer | null;
  startMs: number;
  endMs = 0;
  readonly attributes: Record<string, AttributeValue> = {};
  statusCode = 0;
  statusMessage = '';
  shouldSample = true;
  events: SpanEvent[] | null = null;

  constructor(name: string, kind: number, spanId: Buffer, parentId: Buffer | null, startMs: number) {
    this.name = name;
    this.kind = kind;
    this.spanId = spanId;
    this.parentId = parentId;
    this.startMs = startMs;
  }

  setAttribute(key: string, value: AttributeValue | null | undefined): void {
    if (value === null || value === undefined) delete this.attributes[key];
    else this.attributes[key] = value;
  }

  setStatus(code: number, message = ''): void {
    this.statusCode = code;
    this.statusMessage = message;
  }

  addEvent(name: string, attributes: Readonly<Record<string, AttributeValue>> | null = null, timeMs = nowMs()): void {
    (this.events ??= []).push({ name, timeMs, attributes });
  }

  /** Kong's `record_error`: an `exception` event with the message. */
  recordError(message: string): void {
    this.addEvent('exception', { 'exception.message': message });
  }

  /** Ends the span once; later calls keep the first end. */
  finish(endMs = nowMs()): void {
    if (this.endMs === 0) this.endMs = endMs;
  }
}
