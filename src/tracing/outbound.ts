/**
 * Spans for what a request's code does outside the proxy path, found through Node's diagnostics channels and
 * attributed to the request through its scope (see request-scope.ts):
 * - `http_client`: `kong.internal.request` (client) per outgoing HTTP call, from `fetch`/undici or node:http,
 *   with Kong's `http.url`, `http.method`, `http.flavor`, `http.user_agent` and, once answered,
 *   `http.status_code`; a failed call records the error as an `exception` event, as Kong does.
 * - `dns_query`: `kong.dns` (client) per resolver lookup a new connection makes (an upstream named by host, a
 *   plugin's call), with `dns.record.domain`, `dns.record.ip` and `dns.record.port`; a failed lookup records
 *   the error and an error status.
 * Subscribed once per worker, only when one of the two is on.
 */
import { nowMs } from './clock.ts';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { INSTRUMENT } from './instrumentations.ts';
import { scopedTrace } from './request-scope.ts';
import { SPAN_KIND, STATUS_ERROR, type Span } from './span.ts';
import type { RequestTrace } from './trace.ts';

/** The parts of undici's diagnostics request the span reads. */
interface UndiciRequest {
  readonly origin?: string | URL;
  readonly method?: string;
  readonly path?: string;
  /** `[name, value, ...]` (undici 6+), or a raw `name: value\r\n` block (older versions). */
  readonly headers?: readonly (string | Buffer)[] | string;
}

/** A call's span and the trace it belongs to, by the object the channels hand over. */
const calls = new WeakMap<object, { trace: RequestTrace; span: Span }>();

function undiciUserAgent(headers: UndiciRequest['headers']): string | undefined {
  if (typeof headers === 'string') return /^user-agent:\s*(.*?)\r?$/im.exec(headers)?.[1];
  if (headers === undefined) return undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'user-agent') return String(headers[i + 1]);
  return undefined;
}

function startCall(key: object, url: string, method: string, userAgent: string | undefined): void {
  const trace = scopedTrace(INSTRUMENT.http_client);
  if (trace === null) return;
  const span = trace.startSpan('kong.internal.request', SPAN_KIND.CLIENT);
  span.setAttribute('http.url', url);
  span.setAttribute('http.method', method);
  span.setAttribute('http.flavor', '1.1');
  span.setAttribute('http.user_agent', userAgent);
  calls.set(key, { trace, span });
}

function answered(key: object, status: number | undefined): void {
  const call = calls.get(key);
  if (call === undefined) return;
  call.span.setAttribute('http.status_code', status);
}

function ended(key: object, error: unknown): void {
  const call = calls.get(key);
  if (call === undefined) return;
  calls.delete(key);
  if (error !== undefined) call.span.recordError(error instanceof Error ? error.message : String(error));
  call.trace.endSpan(call.span);
}

function onUndiciCreate(message: unknown): void {
  const request = (message as { request: UndiciRequest }).request;
  const origin = request.origin === undefined ? '' : String(request.origin).replace(/\/$/, '');
  startCall(request, `${origin}${request.path ?? ''}`, request.method ?? 'GET', undiciUserAgent(request.headers));
}

function onNodeRequestStart(message: unknown): void {
  const request = (message as { request: ClientRequest }).request;
  const host = request.getHeader('host') ?? request.host;
  const userAgent = request.getHeader('user-agent');
  startCall(request, `${request.protocol}//${String(host)}${request.path}`, request.method, userAgent === undefined ? undefined : String(userAgent));
}

/**
 * A lookup a new connection makes: its span starts now and ends when the resolver answered. A connection to an
 * address makes none; its first connection attempt removes the listener, so that no pooled socket keeps the
 * request's trace alive.
 */
function onClientSocket(message: unknown): void {
  const trace = scopedTrace(INSTRUMENT.dns_query);
  if (trace === null) return;
  const socket = (message as { socket: Socket }).socket;
  const startMs = nowMs();
  let span: Span | null = null;
  const onLookup = (err: Error | null, address: string, _family: unknown, host: string): void => {
    span = trace.startSpan('kong.dns', SPAN_KIND.CLIENT, startMs);
    span.setAttribute('dns.record.domain', host);
    if (err === null) span.setAttribute('dns.record.ip', address);
    else {
      span.recordError(err.message);
      span.setStatus(STATUS_ERROR, err.message);
    }
    trace.endSpan(span);
  };
  socket.once('lookup', onLookup);
  // The port is known once the socket tries the address (before the request's spans are exported).
  socket.once('connectionAttempt', (_ip: string, port: number) => {
    socket.off('lookup', onLookup);
    if (span !== null) span.setAttribute('dns.record.port', port);
  });
}

let subscribed = 0;

/** Subscribes to the channels the instrumentations in `mask` need (once per worker; later calls add only what is new). */
export function traceOutboundCalls(mask: number): void {
  const wanted = mask & (INSTRUMENT.http_client | INSTRUMENT.dns_query) & ~subscribed;
  if ((wanted & INSTRUMENT.http_client) !== 0) {
    subscribe('undici:request:create', onUndiciCreate);
    subscribe('undici:request:headers', (m) => answered((m as { request: object }).request, (m as { response: { statusCode?: number } }).response.statusCode));
    subscribe('undici:request:trailers', (m) => ended((m as { request: object }).request, undefined));
    subscribe('undici:request:error', (m) => ended((m as { request: object }).request, (m as { error: unknown }).error));
    subscribe('http.client.request.start', onNodeRequestStart);
    subscribe('http.client.response.finish', (m) => {
      const { request, response } = m as { request: object; response: IncomingMessage };
      answered(request, response.statusCode);
      ended(request, undefined);
    });
    subscribe('http.client.request.error', (m) => ended((m as { request: object }).request, (m as { error: unknown }).error));
  }
  if ((wanted & INSTRUMENT.dns_query) !== 0) subscribe('net.client.socket', onClientSocket);
  subscribed |= wanted;
}
