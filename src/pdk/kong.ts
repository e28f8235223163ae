/**
 * The PDK's shape, namespaced as Kong's (`kong.request`, `kong.response`, `kong.service.request`, ...), with
 * Kong's JavaScript PDK names (camelCase). Every call is checked against the phase it is made in: a call Kong
 * forbids in that phase throws an error naming the call and the phase.
 *
 * Calls that may wait (request bodies, shared state) return promises; the rest return values directly, so
 * `await` works on every call, as Kong's JavaScript plugins write them.
 */
import type { PluginConsumer, PluginConsumerGroup, PluginCredential, PluginPhase } from './plugin-handler.ts';
import type { NodeServices } from './shared-state.ts';
import type { QueryValue } from './query.ts';
import type { LogRecord } from './log-record.ts';
import type { PluginDb } from './plugin-db.ts';
import type { TracingApi } from './tracing-api.ts';

/** Headers by lower-cased name; a header sent several times gives an array. */
export type HeaderMap = Record<string, string | string[]>;

/** A parsed request or response body (`getBody`): JSON value, form fields or multipart parts. */
export type ParsedBody = Record<string, unknown> | unknown[];

/** Body MIME types `getBody` understands. */
export type BodyMimeType = 'application/json' | 'application/x-www-form-urlencoded' | 'multipart/form-data';

export interface KongRequest {
  getScheme(): string;
  getHost(): string;
  getPort(): number;
  getForwardedScheme(): string;
  getForwardedHost(): string;
  getForwardedPort(): number;
  getForwardedPath(): string;
  getForwardedPrefix(): string | undefined;
  getHttpVersion(): number;
  getMethod(): string;
  /** The normalized path, without the query. */
  getPath(): string;
  /** The path as received, without the query. */
  getRawPath(): string;
  getPathWithQuery(): string;
  getRawQuery(): string;
  getQueryArg(name: string): QueryValue | undefined;
  getQuery(maxArgs?: number): Record<string, QueryValue>;
  getHeader(name: string): string | undefined;
  getHeaders(maxHeaders?: number): HeaderMap;
  /** Every value of one header, in order (Tollgate addition). */
  getHeaderValues(name: string): string[];
  /** The whole request body as text (read once, then kept); Kong's 413-style error past the size limit. */
  getRawBody(): Promise<string>;
  /** The whole request body as bytes (Tollgate addition). */
  getRawBodyBytes(): Promise<Buffer>;
  /** The body parsed by its Content-Type (or `mimetype`): JSON, form or multipart. */
  getBody(mimetype?: BodyMimeType, maxArgs?: number): Promise<ParsedBody>;
  getUriCaptures(): { unnamed: string[]; named: Record<string, string> };
  /**
   * Bounds the client's request body at `maxBytes` (Tollgate addition; rewrite and access). A body past it is
   * answered with `status` and `message` (Kong's error body) and never reaches the upstream complete: a
   * Content-Length over the bound is refused before proxying, a body read by a plugin is refused when read,
   * and a streamed (chunked) body is counted as it is forwarded, without being buffered, and the upstream
   * call is cut when the count passes the bound. Called twice, the smaller bound wins.
   */
  limitBodySize(maxBytes: number, status: number, message: string): void;
  /** When the request started, in ms since the epoch. */
  getStartTime(): number;
  /** Kong's request id (`X-Kong-Request-Id`, nginx's `$kong_request_id`) (Tollgate addition). */
  getRequestId(): string;
}

export interface KongResponse {
  getStatus(): number;
  getHeader(name: string): string | undefined;
  getHeaders(maxHeaders?: number): HeaderMap;
  /** `service` (the upstream answered), `exit` (a plugin answered) or `error` (the gateway failed). */
  getSource(): 'service' | 'exit' | 'error';
  setStatus(status: number): void;
  setHeader(name: string, value: string | number | readonly string[]): void;
  addHeader(name: string, value: string | number): void;
  clearHeader(name: string): void;
  setHeaders(headers: Readonly<Record<string, string | number | readonly string[]>>): void;
  /**
   * Answers the request with `status` and `body` instead of proxying it: an object body is sent as JSON.
   * Later access handlers do not run; header_filter, body_filter and log do.
   */
  exit(status: number, body?: string | Uint8Array | Readonly<Record<string, unknown>> | null, headers?: Readonly<Record<string, string | number | readonly string[]>>): void;
  /**
   * Like `exit`, with a body produced chunk by chunk (Tollgate addition): each chunk is written as it comes, with
   * backpressure from the client, so a large body is never held whole. A chunk source that fails cuts the
   * response short (the connection is closed).
   */
  exitStream(status: number, chunks: AsyncIterable<Uint8Array>, headers?: Readonly<Record<string, string | number | readonly string[]>>): void;
  /** Answers with Kong's error body (`{"message"}`, or HTML/XML/text by `Accept`). */
  error(status: number, message?: string, headers?: Readonly<Record<string, string | number | readonly string[]>>): void;
  /** body_filter: the current chunk of the response body. */
  getChunk(): Buffer;
  /** body_filter: replaces the current chunk (null or '' drops it). */
  setChunk(chunk: string | Uint8Array | null): void;
  /** body_filter: whether the current chunk is the last. */
  isLastChunk(): boolean;
  /**
   * response phase: the body that will be sent (the upstream's, or what an earlier `setRawBody` put there);
   * body_filter: the whole body, available with the last chunk (earlier chunks are collected for it).
   */
  getRawBody(): string;
  /** response and body_filter (last chunk): replaces the whole body sent to the client. */
  setRawBody(body: string | Uint8Array): void;
}

export interface KongServiceRequest {
  /** Turns response buffering on for this request, so `kong.service.response.getRawBody` works. */
  enableBuffering(): void;
  setScheme(scheme: 'http' | 'https'): void;
  setPath(path: string): void;
  setRawQuery(query: string): void;
  setMethod(method: string): void;
  setQuery(args: Readonly<Record<string, QueryValue | number | boolean>>): void;
  clearQueryArg(name: string): void;
  setHeader(name: string, value: string | number | boolean): void;
  addHeader(name: string, value: string | number | boolean): void;
  clearHeader(name: string): void;
  setHeaders(headers: Readonly<Record<string, string | number | boolean | readonly string[]>>): void;
  setRawBody(body: string | Uint8Array): void;
  setBody(args: ParsedBody, mimetype?: BodyMimeType): void;
}

export interface KongServiceResponse {
  getStatus(): number | undefined;
  getHeader(name: string): string | undefined;
  getHeaders(maxHeaders?: number): HeaderMap;
  /** response phase (or with buffering): the upstream's whole body as text. */
  getRawBody(): string;
  getBody(mimetype?: BodyMimeType): ParsedBody | undefined;
}

export interface KongService {
  readonly request: KongServiceRequest;
  readonly response: KongServiceResponse;
  /** Sends this request to another target than the balancer's pick (`host`, `port`). */
  setTarget(host: string, port: number): void;
}

export interface KongClient {
  getIp(): string;
  getForwardedIp(): string;
  getPort(): number;
  getForwardedPort(): number;
  getProtocol(allowTerminated?: boolean): string;
  getConsumer(): PluginConsumer | null;
  /** The consumer groups of the authenticated consumer, ordered by name (Kong's `get_consumer_groups`); empty without one. */
  getConsumerGroups(): readonly PluginConsumerGroup[];
  getCredential(): PluginCredential | null;
  /** Records who the request is authenticated as; at least one of the two is required. */
  authenticate(consumer: PluginConsumer | null, credential: PluginCredential | null): void;
  /** A consumer of the current configuration by id (or by username when `byUsername`). */
  loadConsumer(idOrUsername: string, byUsername?: boolean): PluginConsumer | null;
  /** The client connection's TLS facts as Kong's log record has them, or null over plain HTTP (Tollgate addition). */
  getTlsInfo(): ClientTlsInfo | null;
  /** The client's certificate and the chain it sent, PEM, or null without one (Tollgate addition). */
  getClientCertificateChain(): string | null;
}

/** `request.tls` of Kong's log record: protocol version, cipher and the client certificate's verification. */
export interface ClientTlsInfo {
  readonly version: string;
  readonly cipher: string;
  readonly client_verify: 'SUCCESS' | 'FAILED' | 'NONE';
}

export interface KongRouter {
  getRoute(): Readonly<Record<string, unknown>> | null;
  getService(): Readonly<Record<string, unknown>> | null;
}

export interface KongCtx {
  /** Data plugins pass to each other during one request. */
  readonly shared: Record<string, unknown>;
  /** Data private to the running plugin for this request, shared across its phases. */
  readonly plugin: Record<string, unknown>;
}

export interface KongLog {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  notice(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  err(...args: unknown[]): void;
  crit(...args: unknown[]): void;
  alert(...args: unknown[]): void;
  emerg(...args: unknown[]): void;
  /** Kong's log record of this request (log phase, or later phases for what is known then). */
  serialize(): LogRecord;
  /** Sets (or with `undefined` removes) a field of this request's log record, by dotted path. */
  setSerializeValue(key: string, value: unknown): void;
}

export interface KongIp {
  /** Whether an address is in `trusted_ips`. */
  isTrusted(address: string): boolean;
}

export interface KongNode {
  getId(): string;
  getHostname(): string;
  getMemoryStats(): Record<string, unknown>;
  /**
   * A writer to this worker's error log that outlives the request (Tollgate addition): for work a plugin does
   * in the background, such as a log queue's deliveries, whose lines belong to no request.
   */
  /** The local syslog daemon's Unix socket, from the node setting `syslog_socket` (Tollgate addition). */
  getSyslogSocket(): string;
  getErrorLog(): (level: 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit', message: string) => void;
}

/** The PDK one phase of one plugin receives. */
/** `kong.tracing`: spans, the active span and the sampling decision of the request. */
export type KongTracing = TracingApi;

export interface Kong extends NodeServices {
  readonly request: KongRequest;
  readonly response: KongResponse;
  readonly service: KongService;
  readonly client: KongClient;
  readonly router: KongRouter;
  readonly ctx: KongCtx;
  readonly log: KongLog;
  readonly ip: KongIp;
  readonly node: KongNode;
  /** The request's tracing spans (see docs/tracing.md). */
  readonly tracing: KongTracing;
  /** The phase now running (Kong's `ngx.get_phase()` in Kong's names). */
  readonly phase: PluginPhase;
  /** Plugin-owned entities in the node's database (without one, reads find nothing and writes reject). */
  readonly db: PluginDb;
}
