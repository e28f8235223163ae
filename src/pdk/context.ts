/**
 * The per-request object plugin phases receive (Kong's `kong.*` PDK, flattened into one object so a request
 * with plugins allocates one PDK object, and a request without plugins none).
 */
import type { IncomingMessage } from 'node:http';
import type { PluginConsumer, PluginCredential } from './plugin-handler.ts';
import { parseQuery, withoutQueryArg, type QueryValue } from './query.ts';
import { clearHeader, getHeader, setHeader } from './header-list.ts';

/** The upstream header list starts with the Host slot, which the proxy fills per try; plugins never edit it. */
const HOST_SLOT_END = 2;

/** How a plugin answered the request instead of the upstream. */
export interface PluginExit {
  readonly status: number;
  /** `error`: Kong's negotiated error body with the request id; `exit`: the given body as is. */
  readonly kind: 'error' | 'exit';
  /** The message (`error`) or the body (`exit`; objects are sent as JSON). */
  readonly body: string | Readonly<Record<string, unknown>> | null;
  /** Extra response headers, flat `[name, value, ...]`. */
  readonly headers: readonly string[];
}

function flattenHeaders(headers: Readonly<Record<string, string>> | undefined): string[] {
  const out: string[] = [];
  if (headers !== undefined) for (const name in headers) out.push(name, headers[name]);
  return out;
}

export class PluginContext {
  readonly req: IncomingMessage;
  readonly requestId: string;
  /** The request path as received, without the query. */
  readonly rawPath: string;
  readonly rawQuery: string;
  /** Headers to send upstream (flat list; slot 0/1 is Host). */
  readonly upstreamHeaders: string[];
  /** Path and query to send upstream. */
  upstreamTarget: string;
  /** Response headers while `header_filter` runs (flat list), else null. */
  responseHeaders: string[] | null = null;
  /** Set by `exit`/`error`; the remaining access handlers are skipped. */
  exited: PluginExit | null = null;
  consumer: PluginConsumer | null = null;
  credential: PluginCredential | null = null;
  /** Kong's `kong.ctx.shared`: data plugins pass to each other during one request. */
  readonly shared: Record<string, unknown> = {};
  /** The plugin whose phase is running (the runner sets it), for `pluginCtx`. */
  currentPlugin = '';
  #query: Map<string, QueryValue> | null = null;
  #pluginCtx: Map<string, Record<string, unknown>> | null = null;

  constructor(req: IncomingMessage, requestId: string, upstreamHeaders: string[], upstreamTarget: string) {
    this.req = req;
    this.requestId = requestId;
    this.upstreamHeaders = upstreamHeaders;
    this.upstreamTarget = upstreamTarget;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.rawPath = q === -1 ? url : url.slice(0, q);
    this.rawQuery = q === -1 ? '' : url.slice(q + 1);
  }

  /** The request method (`GET`, `OPTIONS`, ...). */
  getMethod(): string {
    return this.req.method ?? 'GET';
  }

  /** The request path as received, without the query string. */
  getPath(): string {
    return this.rawPath;
  }

  /** Every value of a request header, in order (empty when absent); names are case-insensitive. */
  getHeaders(name: string): string[] {
    const raw = this.req.rawHeaders;
    const lower = name.toLowerCase();
    const values: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === lower) values.push(raw[i + 1]);
    return values;
  }

  /** The first value of a request header, or undefined. */
  getHeader(name: string): string | undefined {
    const raw = this.req.rawHeaders;
    const lower = name.toLowerCase();
    for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === lower) return raw[i + 1];
    return undefined;
  }

  /** A query argument: a string, `true` for a bare name, an array when repeated, undefined when absent. */
  getQueryArg(name: string): QueryValue | undefined {
    this.#query ??= parseQuery(this.rawQuery);
    return this.#query.get(name);
  }

  /** Sets a header sent upstream, replacing any the client sent under that name. */
  setUpstreamHeader(name: string, value: string): void {
    setHeader(this.upstreamHeaders, name, value, HOST_SLOT_END);
  }

  /** Removes a header from the upstream request. */
  clearUpstreamHeader(name: string): void {
    clearHeader(this.upstreamHeaders, name, HOST_SLOT_END);
  }

  /** Removes a query argument from the upstream request. */
  clearUpstreamQueryArg(name: string): void {
    this.upstreamTarget = withoutQueryArg(this.upstreamTarget, name);
  }

  /** A response header during `header_filter` (first value), else undefined. */
  getResponseHeader(name: string): string | undefined {
    return this.responseHeaders === null ? undefined : getHeader(this.responseHeaders, name);
  }

  /** Sets a response header during `header_filter`, replacing existing ones; ignored in other phases. */
  setResponseHeader(name: string, value: string): void {
    if (this.responseHeaders !== null) setHeader(this.responseHeaders, name, value);
  }

  /** Removes a response header during `header_filter`; ignored in other phases. */
  clearResponseHeader(name: string): void {
    if (this.responseHeaders !== null) clearHeader(this.responseHeaders, name);
  }

  /**
   * Answers the request with `status` and `body` instead of proxying it (Kong's `kong.response.exit`):
   * an object body is sent as JSON, without request id. Later access handlers do not run.
   */
  exit(status: number, body?: string | Readonly<Record<string, unknown>>, headers?: Readonly<Record<string, string>>): void {
    this.exited = { status, kind: 'exit', body: body ?? null, headers: flattenHeaders(headers) };
  }

  /**
   * Answers the request with Kong's error body (`{"message", "request_id"}`, or HTML/XML/text by `Accept`)
   * (Kong's `kong.response.error`); without a message, the status's default one.
   */
  error(status: number, message?: string, headers?: Readonly<Record<string, string>>): void {
    this.exited = { status, kind: 'error', body: message ?? null, headers: flattenHeaders(headers) };
  }

  /** Records who the request is authenticated as (Kong's `kong.client.authenticate`). */
  authenticate(consumer: PluginConsumer | null, credential: PluginCredential | null): void {
    this.consumer = consumer;
    this.credential = credential;
  }

  /** The credential an earlier auth plugin accepted, or null (Kong's `kong.client.get_credential`). */
  getCredential(): PluginCredential | null {
    return this.credential;
  }

  /** The authenticated consumer, or null (Kong's `kong.client.get_consumer`). */
  getConsumer(): PluginConsumer | null {
    return this.consumer;
  }

  /** Data private to the running plugin for this request, shared across its phases (Kong's `kong.ctx.plugin`). */
  pluginCtx(): Record<string, unknown> {
    this.#pluginCtx ??= new Map();
    let ctx = this.#pluginCtx.get(this.currentPlugin);
    if (ctx === undefined) {
      ctx = {};
      this.#pluginCtx.set(this.currentPlugin, ctx);
    }
    return ctx;
  }
}
