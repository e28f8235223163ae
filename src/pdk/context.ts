/**
 * The per-request state behind the PDK, and the `kong` object plugins receive. One PluginContext is created
 * per request on routes with plugins (none otherwise); the namespaces (`kong.request`, ...) are created on
 * first use, so a plugin that reads one header allocates one small object.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Kong, KongClient, KongCtx, KongIp, KongLog, KongNode, KongRequest, KongResponse, KongRouter, KongService, KongTracing } from './kong.ts';
import type { PluginConfigData, PluginConsumer, PluginCredential, PluginPhase } from './plugin-handler.ts';
import type { MetricsRegistry, NodeServices, SharedCache, SharedCounters } from './shared-state.ts';
import { parseQuery, type QueryValue } from './query.ts';
import { NO_PLUGIN_DB, type PluginDb } from './plugin-db.ts';
import { sameName } from './header-list.ts';
import { phaseName, PHASE } from './phase-rules.ts';
import { RequestApi } from './request-api.ts';
import { ResponseApi } from './response-api.ts';
import { ServiceApi } from './service-api.ts';
import { TracingApi } from './tracing-api.ts';
import type { RequestTrace } from '../tracing/trace.ts';
import { ClientApi, CtxApi, IpApi, LogApi, NodeApi, RouterApi } from './client-api.ts';

/** Where the PDK's node-wide parts come from: one per worker. */
export interface PdkEnvironment {
  /** Node-wide counters, cache and metrics; null where the process has none (then their calls throw). */
  readonly services: NodeServices | null;
  readonly nodeId: string;
  readonly hostname: string;
  /** The local syslog daemon's socket (node setting `syslog_socket`); unset: `/dev/log`. */
  readonly syslogSocket?: string;
  isTrusted(ip: string): boolean;
  /** `port_maps`: listening port → host port (`kong.request.get_forwarded_port`). */
  readonly hostPorts?: Readonly<Record<number, number>>;
  /** Writes a line to the error log at `level` (Kong's log levels). */
  log(level: string, message: string): void;
  /** Most bytes of a request body a plugin may read (`getRawBody`). */
  readonly maxBodyBytes: number;
  /** The database plugins write to while serving (`kong.db`); absent or null on a node without one. */
  readonly db?: PluginDb | null;
  /** `tracing_sampling_rate` (Kong's default 0.01 when absent). */
  readonly tracingSamplingRate?: number;
}

/** A `kong.log` line of the request, as a tracing plugin exports it. */
export interface CapturedLogLine {
  readonly level: string;
  readonly message: string;
  /** The plugin that logged it. */
  readonly plugin: string;
  readonly timeMs: number;
  /** Attributes of a structured line (`kong.telemetry.log`), exported beside the request's. */
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
}

/** A plugin's bound on the request body (`kong.request.limitBodySize`). */
export interface BodyLimit {
  readonly maxBytes: number;
  readonly status: number;
  readonly message: string;
}

/** How a plugin answered the request instead of the upstream. */
export interface PluginExit {
  readonly status: number;
  /** `error`: Kong's negotiated error body with the request id; `exit`: the given body as is. */
  readonly kind: 'error' | 'exit';
  /** The message (`error`) or the body (`exit`; objects are sent as JSON). */
  readonly body: string | Uint8Array | Readonly<Record<string, unknown>> | null;
  /** Extra response headers, flat `[name, value, ...]`. */
  readonly headers: readonly string[];
  /** `exitStream`: the body, sent chunk by chunk as it is produced (then `body` is null). */
  readonly stream?: AsyncIterable<Uint8Array>;
}

/** The route, service and upstream facts the PDK reads, set when the request has been routed. */
export interface RoutedFacts {
  readonly route: Readonly<Record<string, unknown>> | null;
  readonly service: Readonly<Record<string, unknown>> | null;
  /** The router's captures of a regex path: numbered (`0` is the whole match) and named. */
  readonly uriCaptures: Readonly<Record<string, string>> | null;
}

/** One try at an upstream target, for `kong.log.serialize()`'s `tries`. */
export interface TryRecord {
  ip: string;
  port: number;
  balancer_start: number;
  balancer_latency: number;
}

/** The upstream response, as `kong.service.response` reads it. */
export interface UpstreamResponseState {
  status: number;
  /** Raw header list from the upstream, flat. */
  headers: readonly string[];
  /** The whole body, when it was buffered (response phase or `enableBuffering`). */
  body: Buffer | null;
}

/** The response on its way to the client, as header_filter, body_filter and log see it. */
export interface DownstreamResponseState {
  status: number;
  /** Flat header list, edited in place during header_filter. */
  headers: string[];
  source: 'service' | 'exit' | 'error';
  /** Bytes of body sent (log phase). */
  size: number;
}

/** body_filter state: the chunk being filtered. */
export interface ChunkState {
  chunk: Buffer;
  last: boolean;
  /** Chunks seen so far, kept only when a filter asked for the whole body. */
  collected: Buffer[] | null;
  /** A replacement of the whole body set with the last chunk. */
  replacement: Buffer | null;
}

export class PluginContext implements Kong {
  readonly req: IncomingMessage;
  readonly requestId: string;
  readonly env: PdkEnvironment;
  readonly configData: PluginConfigData;
  /** performance.now() and Date.now() when the request arrived. */
  readonly start: number;
  /** When the request arrived, in ms since the epoch (from the monotonic start, no clock read per request). */
  get startedAt(): number {
    return performance.timeOrigin + this.start;
  }
  readonly clientIp: string;
  /** The request path as received, without the query. */
  readonly rawPath: string;
  readonly rawQuery: string;
  /** Headers to send upstream (flat list; slot 0/1 is Host, which the proxy fills per try). */
  readonly upstreamHeaders: string[];
  /** Path and query to send upstream. */
  upstreamTarget: string;
  /** A method other than the client's to send upstream, or null. */
  upstreamMethod: string | null = null;
  /** A body to send upstream instead of the client's, or null (the client's, streamed). */
  upstreamBody: Buffer | null = null;
  /** `kong.service.setTarget`, or null (the balancer picks). */
  upstreamTargetOverride: { host: string; port: number } | null = null;
  /** The request body once a plugin read it. */
  requestBody: Buffer | null = null;
  requestBodyRead: Promise<Buffer> | null = null;
  /** `kong.request.limitBodySize`: the bound on the client's body and how to answer past it, or null. */
  bodyLimit: BodyLimit | null = null;
  routed: RoutedFacts | null = null;
  /** The phase running, as a PHASE bit. */
  phaseBit: number = PHASE.access;
  /** The plugin whose phase is running (the runner sets it). */
  currentPlugin = '';
  currentPluginId = '';
  /** A plugin failed and the request was answered with Kong's 500 (`kong.response.get_source()` is `error`). */
  unexpected = false;
  /** Set by `exit`/`error`; the remaining access handlers are skipped. */
  exited: PluginExit | null = null;
  consumer: PluginConsumer | null = null;
  credential: PluginCredential | null = null;
  /** Response header edits made before the response exists (rewrite/access), applied to it when it does. */
  pendingResponseHeaders: [op: 'set' | 'add' | 'clear', name: string, value: string][] | null = null;
  /** `kong.response.set_status` before a response existed: the status the answer gets. */
  pendingStatus = 0;
  /** A Host header set by a plugin for the upstream request, or null (the route's rules decide). */
  upstreamHost: string | null = null;
  /** The peer a plugin chose (`kong.service.set_target`), bypassing the balancer; null: the balancer picks. */
  targetOverride: { host: string; port: number } | null = null;
  /** The scheme a plugin chose (`kong.service.request.set_scheme`); null: the service's. */
  schemeOverride: 'http' | 'https' | null = null;
  /** Whether the upstream response is buffered whole before it is sent (response phase, `enableBuffering`). */
  buffered = false;
  upstream: UpstreamResponseState | null = null;
  downstream: DownstreamResponseState | null = null;
  chunk: ChunkState | null = null;
  /** The whole body to send in the response phase (after `setRawBody`), or null (the upstream's). */
  responseBody: Buffer | null = null;
  tries: TryRecord[] = [];
  /** When the upstream answered (headers) and when the answer ended, performance.now(); 0 when not. */
  upstreamHeadersAt = 0;
  upstreamDispatchedAt = 0;
  endedAt = 0;
  /** `kong.log.setSerializeValue` edits. */
  serializeEdits: [path: string, value: unknown][] | null = null;
  /** Kong's `kong.ctx.shared`. */
  readonly sharedCtx: Record<string, unknown> = {};
  #query: Map<string, QueryValue> | null = null;
  /** Whether a plugin changed the upstream query (then `kong.request` reads that one). */
  queryEdited = false;
  /** Header edits made with `kong.service.request`: flat `[op, lower-case name, value, ...]`. */
  headerEdits: string[] | null = null;
  #pluginCtx: Map<string, Record<string, unknown>> | null = null;
  #request: RequestApi | null = null;
  #response: ResponseApi | null = null;
  #service: ServiceApi | null = null;
  #client: ClientApi | null = null;
  #router: RouterApi | null = null;
  #ctx: CtxApi | null = null;
  #log: LogApi | null = null;
  #ip: IpApi | null = null;
  #node: NodeApi | null = null;
  /** The request's `kong.log` lines, kept once a plugin asked for them (`kong.tracing.captureLogs`). */
  logLines: CapturedLogLine[] | null = null;
  /** The request's trace when tracing is on (or a tracing plugin started one to propagate headers). */
  trace: RequestTrace | null = null;
  #tracing: TracingApi | null = null;

  constructor(
    req: IncomingMessage,
    requestId: string,
    upstreamHeaders: string[],
    upstreamTarget: string,
    env: PdkEnvironment,
    configData: PluginConfigData,
    start: number,
    clientIp: string,
  ) {
    this.req = req;
    this.requestId = requestId;
    this.upstreamHeaders = upstreamHeaders;
    this.upstreamTarget = upstreamTarget;
    this.env = env;
    this.configData = configData;
    this.start = start;
    this.clientIp = clientIp;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.rawPath = q === -1 ? url : url.slice(0, q);
    this.rawQuery = q === -1 ? '' : url.slice(q + 1);
  }

  get phase(): PluginPhase {
    return phaseName(this.phaseBit);
  }

  get request(): KongRequest {
    return (this.#request ??= new RequestApi(this));
  }
  get response(): KongResponse {
    return (this.#response ??= new ResponseApi(this));
  }
  get service(): KongService {
    return (this.#service ??= new ServiceApi(this));
  }
  get client(): KongClient {
    return (this.#client ??= new ClientApi(this));
  }
  get router(): KongRouter {
    return (this.#router ??= new RouterApi(this));
  }
  get ctx(): KongCtx {
    return (this.#ctx ??= new CtxApi(this));
  }
  get log(): KongLog {
    return (this.#log ??= new LogApi(this));
  }
  get ip(): KongIp {
    return (this.#ip ??= new IpApi(this));
  }
  get node(): KongNode {
    return (this.#node ??= new NodeApi(this));
  }
  get tracing(): KongTracing {
    return (this.#tracing ??= new TracingApi(this));
  }
  get counters(): SharedCounters {
    return this.#services().counters;
  }
  get cache(): SharedCache {
    return this.#services().cache;
  }
  get metrics(): MetricsRegistry {
    return this.#services().metrics;
  }
  get db(): PluginDb {
    return this.env.db ?? NO_PLUGIN_DB;
  }

  #services(): NodeServices {
    const services = this.env.services;
    if (services === null) throw new Error('node-wide shared state is not available in this process');
    return services;
  }

  /** The query arguments, parsed once. */
  query(): Map<string, QueryValue> {
    return (this.#query ??= parseQuery(this.queryEdited ? this.upstreamQuery() : this.rawQuery));
  }

  /** The query of the request sent upstream (what `kong.service.request` made of the client's). */
  upstreamQuery(): string {
    const q = this.upstreamTarget.indexOf('?');
    return q === -1 ? '' : this.upstreamTarget.slice(q + 1);
  }

  /**
   * Records a query change made with `kong.service.request`: `kong.request` reads the changed query from then
   * on, as Kong's does (its setters change the request nginx holds, which its getters read).
   */
  queryChanged(): void {
    this.queryEdited = true;
    this.#query = null;
  }

  /**
   * Records a header change made with `kong.service.request` (`set`, `add` or `clear`), so that `kong.request`
   * reads the changed header, as Kong's does. Kept as a list of edits: writes are common, reads after them rare.
   */
  headerChanged(op: 'set' | 'add' | 'clear', lowerName: string, value: string): void {
    (this.headerEdits ??= []).push(op, lowerName, value);
  }

  /** A header's values with the plugins' edits applied; undefined when no edit touched it. */
  editedHeaderValues(lower: string): string[] | undefined {
    const edits = this.headerEdits;
    if (edits === null) return undefined;
    let values: string[] | undefined;
    for (let i = 0; i < edits.length; i += 3) {
      if (edits[i + 1] !== lower) continue;
      const op = edits[i];
      if (op === 'clear') values = [];
      else if (op === 'set') values = [edits[i + 2]];
      else (values ??= this.clientHeaderValues(lower)).push(edits[i + 2]);
    }
    return values;
  }

  /** Every value of a header as the client sent it (`lower` is lower case). */
  clientHeaderValues(lower: string): string[] {
    const raw = this.req.rawHeaders;
    const values: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (sameName(raw[i], lower)) values.push(raw[i + 1]);
    return values;
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

  /** The TLS socket of the request, or null on plain HTTP. */
  tlsSocket(): TLSSocket | null {
    const socket = this.req.socket as TLSSocket;
    return socket.encrypted === true ? socket : null;
  }
}

