import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { UPSTREAM_ERRORS, type UpstreamController, type UpstreamHandler } from '../balancer/upstream-pool.ts';
import { SERVER_TOKEN } from '../core/version.ts';
import type { ProxyEntry, UpstreamPeer } from '../snapshot/types.ts';
import {
  HEADER_PROXY_LATENCY,
  HEADER_REQUEST_ID,
  HEADER_UPSTREAM_LATENCY,
  HEADER_UPSTREAM_STATUS,
  type DownstreamHeaders,
} from './options.ts';
import { addDebugHeaders, sendGatewayError } from './respond.ts';
import type { ProxyResponse } from './proxy-response.ts';
import type { ProxyCore } from './handler.ts';
import type { PluginContext } from '../pdk/context.ts';
import type { PluginChain } from '../snapshot/plugin-chains.ts';
import { PluginResponseWriter } from './plugin-response.ts';
import { applyPendingResponse, runLogPhase } from './plugin-phases.ts';
import { hashCookieHeader, type RequestHashInputs } from './balancer-request.ts';
import { statusOutcome } from '../health/settings.ts';
import { asksForTrailers } from './upstream-headers.ts';

/** How `onResponseStart` treats an upstream response header. */
const PASS = 0;
/** Belongs to the upstream connection, not to the client's. */
const HOP_BY_HOP = 1;
const VIA = 2;
const SERVER = 3;
const CONTENT_LENGTH = 4;
/** Names the upstream's hop-by-hop headers, itself one of them. */
const CONNECTION = 5;
/** Announces trailers: hop-by-hop for Kong unless the client asked for trailers (TE: trailers). */
const TRAILER = 6;

/**
 * Classifies a response header name by its length first, so that most names are passed on without being
 * lower-cased.
 */
function classifyResponseHeader(name: string): number {
  switch (name.length) {
    case 2:
      return name.toLowerCase() === 'te' ? HOP_BY_HOP : PASS;
    case 3:
      return name.toLowerCase() === 'via' ? VIA : PASS;
    case 6:
      return name.toLowerCase() === 'server' ? SERVER : PASS;
    case 7: {
      const lower = name.toLowerCase();
      return lower === 'trailer' ? TRAILER : lower === 'upgrade' ? HOP_BY_HOP : PASS;
    }
    case 10: {
      const lower = name.toLowerCase();
      return lower === 'connection' ? CONNECTION : lower === 'keep-alive' ? HOP_BY_HOP : PASS;
    }
    case 14:
      return name.toLowerCase() === 'content-length' ? CONTENT_LENGTH : PASS;
    case 16:
      return name.toLowerCase() === 'proxy-connection' ? HOP_BY_HOP : PASS;
    case 17:
      return name.toLowerCase() === 'transfer-encoding' ? HOP_BY_HOP : PASS;
    default:
      return PASS;
  }
}

/**
 * Whether a response must go through the plugin writer: a phase runs between the upstream and the client, or
 * rewrite/access left a status or framing edits for the response. Routes whose plugins only act before
 * proxying (and log) stream the response exactly as routes without plugins do, with the header edits of
 * rewrite/access (say rate-limiting's headers) applied to the head.
 */
function needsResponsePhases(chain: PluginChain, ctx: PluginContext): boolean {
  return (
    chain.response !== null ||
    chain.header_filter !== null ||
    chain.body_filter !== null ||
    ctx.buffered ||
    ctx.pendingStatus !== 0 ||
    (ctx.pendingResponseHeaders !== null && editsFraming(ctx.pendingResponseHeaders))
  );
}

/** Whether header edits touch the body's framing, which the plain path takes from the upstream's head. */
function editsFraming(edits: readonly (readonly [string, string, string])[]): boolean {
  for (let i = 0; i < edits.length; i++) {
    const name = edits[i][1];
    // The lengths first: most edits (rate-limiting's seven headers) are rejected without a lower-case copy.
    if (name.length === 14 && name.toLowerCase() === 'content-length') return true;
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return true;
  }
  return false;
}

/** Connection header values that name no header, as upstreams spell them. */
const CONNECTION_STATES: ReadonlySet<string> = new Set(['keep-alive', 'Keep-Alive', 'close', 'Close']);

/**
 * Removes the response headers the upstream named in its Connection header (meant for its hop only), as Kong
 * does; `close`, `keep-alive` and `upgrade` name the connection's state, not headers.
 */
function removeConnectionListed(out: string[], tokens: string): void {
  // Nearly every upstream says only `keep-alive` (or `close`): nothing to remove, and nothing to allocate.
  if (tokens.length <= 10 && CONNECTION_STATES.has(tokens)) return;
  let names: Set<string> | null = null;
  for (const t of tokens.split(',')) {
    const n = t.trim().toLowerCase();
    if (n !== '' && n !== 'close' && n !== 'keep-alive' && n !== 'upgrade') (names ??= new Set()).add(n);
  }
  if (names === null) return;
  for (let i = out.length - 2; i >= 0; i -= 2) {
    if (names.has(out[i].toLowerCase())) out.splice(i, 2);
  }
}

/** Decimal strings of small numbers, so that latency headers do not convert a number per request. */
const SMALL_NUMBERS: readonly string[] = Array.from({ length: 1024 }, (_, n) => String(n));

function decimal(n: number): string {
  return n >= 0 && n < 1024 ? SMALL_NUMBERS[n] : String(n);
}

const VIA_HOP = `1.1 ${SERVER_TOKEN}`;
const VIA_APPEND = `, 1.1 ${SERVER_TOKEN}`;

/** Errors that mean the request never reached the upstream, so trying another peer is safe for any method. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', UPSTREAM_ERRORS.connectTimeout]);

/**
 * Errors after which the upstream may have received, even processed, the request, a read timeout included:
 * another try is made only for methods that may be repeated, as Kong documents for its services.
 */
const MAYBE_SENT = new Set(['ECONNRESET', 'EPIPE', UPSTREAM_ERRORS.closed, UPSTREAM_ERRORS.headersTimeout]);
const NON_IDEMPOTENT = new Set(['POST', 'PATCH', 'LOCK', 'UNLOCK', 'PROPPATCH', 'MKCOL', 'MOVE', 'COPY']);

const TIMEOUTS = new Set([
  UPSTREAM_ERRORS.connectTimeout,
  UPSTREAM_ERRORS.headersTimeout,
  UPSTREAM_ERRORS.bodyTimeout,
  'ETIMEDOUT',
  'TOLLGATE_WRITE_TIMEOUT',
]);

/** The client's body passed a plugin's bound (`kong.request.limitBodySize`) while it was being forwarded. */
const BODY_LIMIT_EXCEEDED = 'TOLLGATE_BODY_LIMIT_EXCEEDED';

/** Failures that say nothing about the target's health (passive checks do not count them). */
const NOT_THE_TARGETS_FAULT = new Set<string>([UPSTREAM_ERRORS.badRequest, UPSTREAM_ERRORS.tlsVerifyDepth, BODY_LIMIT_EXCEEDED]);

/**
 * The upstream client checks its deadlines every 100 ms, fine for the 60 s default but coarse for a service
 * with a read_timeout of a few hundred milliseconds; below this bound Tollgate times the wait for response
 * headers with a timer of its own.
 */
const PRECISE_TIMEOUT_BELOW = 2000;

/** The upstream stopped taking the request body for write_timeout ms (nginx's proxy_send_timeout). */
function onWriteTimeout(handler: ForwardHandler): void {
  handler.writeTimer = null;
  const err = Object.assign(new Error('upstream write timeout'), { code: 'TOLLGATE_WRITE_TIMEOUT' });
  if (handler.controller !== null) handler.controller.abort(err);
  else handler.pendingAbort = err;
}

function onHeadersTimeout(handler: ForwardHandler): void {
  handler.timer = null;
  const err = Object.assign(new Error('upstream read timeout'), { code: UPSTREAM_ERRORS.headersTimeout });
  if (handler.controller !== null) handler.controller.abort(err);
  else handler.pendingAbort = err;
}

/**
 * One upstream call: the upstream client's handler object for a proxied request. All state lives in fields
 * so the hot path allocates one object per request, not a closure per callback (undici's handler pattern).
 */
export class ForwardHandler implements UpstreamHandler {
  readonly core: ProxyCore;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly entry: ProxyEntry;
  readonly downstream: DownstreamHeaders;
  readonly headers: string[];
  readonly path: string;
  readonly body: Readable | null;
  readonly requestId: string;
  readonly start: number;
  readonly clientHost: string;
  /** The request's plugin context when its route has plugins, else null. */
  readonly plugins: PluginContext | null;
  /** The plugins that run on this request after access (the route's, or its consumer's), or null. */
  readonly chain: PluginChain | null;
  /** Runs the response-side phases when the request has plugins. */
  writer: PluginResponseWriter | null = null;
  /** What a hashing balancer reads from the request; null unless the upstream hashes. */
  readonly hashInputs: RequestHashInputs | null;
  attempt = 0;
  /** Targets this request failed on, for balancers that avoid them on retries. */
  tried: number[] | null = null;
  /** The peer of the current try while its balancer counts it (least-connections, latency). */
  held: UpstreamPeer | null = null;
  dispatchedAt = 0;
  /** When the upstream's response headers arrived (0: they did not). */
  headersAt = 0;
  controller: UpstreamController | null = null;
  /** The response's Content-Length when it has a single valid one, else -1: the chunk that completes it ends the response. */
  expectedBytes = -1;
  done = false;
  resumeOnDrain: (() => void) | null = null;
  peer: UpstreamPeer | null = null;
  timer: NodeJS.Timeout | null = null;
  bodyBytes = 0;
  /** A timeout that fired before the upstream client handed over the controller. */
  pendingAbort: Error | null = null;
  /** Whether this handler times the wait for response headers itself (short read timeouts). */
  precise = false;
  /** Runs while a request body is being sent; each chunk the upstream takes restarts it. */
  writeTimer: NodeJS.Timeout | null = null;
  /** A protocol upgrade (WebSocket handshake): a 101 reaches `onUpgrade` (see UpgradeHandler). */
  upgrade = false;

  constructor(
    core: ProxyCore,
    req: IncomingMessage,
    res: ServerResponse,
    entry: ProxyEntry,
    downstream: DownstreamHeaders,
    headers: string[],
    path: string,
    body: Readable | null,
    requestId: string,
    start: number,
    clientHost: string,
    plugins: PluginContext | null = null,
    hashInputs: RequestHashInputs | null = null,
    chain: PluginChain | null = null,
  ) {
    this.core = core;
    this.req = req;
    this.res = res;
    this.entry = entry;
    this.downstream = downstream;
    this.headers = headers;
    this.path = path;
    this.body = body;
    this.requestId = requestId;
    this.start = start;
    this.clientHost = clientHost;
    this.plugins = plugins;
    this.hashInputs = hashInputs;
    this.chain = chain;
  }

  /** Picks a peer for this try and dispatches; answers 503 when there is none. */
  send(): void {
    const entry = this.entry;
    const plugins = this.plugins;
    let peer = entry.peers === null ? undefined : entry.peers.pick(this.hashInputs, this.tried);
    const chosen = plugins !== null && (plugins.targetOverride !== null || plugins.schemeOverride !== null);
    if (chosen) peer = this.core.overridePeer(entry, plugins, peer);
    if (peer === undefined) {
      sendGatewayError(this.req, this.res, this.downstream, 503, entry.peers?.unavailableMessage ?? null, this.requestId, this.start);
      this.bodyBytes = (this.res as ProxyResponse).bodyBytes ?? 0;
      this.finish();
      return;
    }
    this.peer = peer;
    if (entry.peers!.release !== null && !chosen) this.held = peer;
    this.headers[1] = plugins?.upstreamHost ?? (entry.preserveHost && this.clientHost !== '' ? this.clientHost : peer.hostHeader);
    this.dispatchedAt = performance.now();
    if (plugins !== null) {
      plugins.upstreamDispatchedAt = this.dispatchedAt;
      plugins.tries.push({ ip: peer.host, port: peer.port, balancer_start: Date.now(), balancer_latency: 0 });
      const trace = plugins.trace;
      if (trace !== null) trace.tryStarted(peer.host, peer.port);
    }
    const precise = entry.readTimeout < PRECISE_TIMEOUT_BELOW;
    this.precise = precise;
    // With a body, the wait for the answer starts once the body has been sent (onRequestSent).
    if (precise && this.body === null) this.timer = setTimeout(onHeadersTimeout, entry.readTimeout, this);
    if (this.body !== null) this.writeTimer = setTimeout(onWriteTimeout, entry.writeTimeout, this);
    peer.pool.dispatch(
      {
        path: this.path,
        method: plugins?.upstreamMethod ?? this.req.method ?? 'GET',
        headers: this.headers,
        body: this.body,
        // Headers built from what Node's HTTP/1.1 parser accepted need no second check; plugins' and HTTP/2's do.
        // Plugins change headers, path, query and method only through the PDK, which checks them as it goes.
        trusted: this.req.httpVersionMajor !== 2,
        headersTimeout: precise ? 0 : entry.readTimeout,
        bodyTimeout: entry.readTimeout,
        upgrade: this.upgrade,
      },
      this,
    );
  }

  /** Tells a counting balancer that the current try ended: `ms` to a complete response, or -1. */
  releaseTry(ms: number): void {
    const peer = this.held;
    if (peer === null) return;
    this.held = null;
    this.entry.peers!.release!(peer, ms);
  }

  /** Marks the request answered (or abandoned) once, for the counters and the access log. */
  finish(): void {
    this.done = true;
    this.releaseTry(-1);
    (this.res as ProxyResponse).bodyBytes = this.bodyBytes;
    const traffic = this.core.traffic;
    if (traffic !== null) {
      const status = this.sentStatus();
      const upstreamMs = this.headersAt === 0 ? 0 : this.headersAt - this.dispatchedAt;
      traffic.record(this.entry.service?.id ?? '', status, performance.now() - this.start, upstreamMs, this.headersAt === 0 && status >= 500);
    }
    const plugins = this.plugins;
    if (plugins !== null) {
      plugins.endedAt = performance.now();
      if (plugins.downstream === null) plugins.downstream = { status: this.sentStatus(), headers: [], source: 'error', size: this.bodyBytes };
      else if (this.writer === null) plugins.downstream.size = this.bodyBytes;
      const log = this.chain!.log;
      if (log !== null) runLogPhase(plugins, log, this.core.options.logPluginError, this.entry.readTimeout);
    }
    this.core.completed(this.res);
  }

  /** The status the client got, or 499 when it got none. */
  sentStatus(): number {
    return this.res.headersSent ? this.res.statusCode : 499;
  }

  /** Passive health checks: what the upstream's status says about the target. */
  reportStatus(statusCode: number): void {
    const passive = this.entry.peers!.passive;
    if (passive !== null && passive.check.type === 'http' && this.peer !== null && this.peer.target >= 0) {
      const outcome = statusOutcome(statusCode, passive.check.healthyStatuses, passive.check.unhealthyStatuses);
      if (outcome !== null) this.core.options.reportHealth(passive.upstreamId, this.peer.address, outcome);
    }
  }

  /** The plugin writer sent the whole answer. */
  finishWriter(): void {
    if (this.done) return;
    this.bodyBytes = this.writer!.bodyBytes;
    this.finish();
  }

  /** The client went away: stop the upstream call too. */
  clientClosed(): void {
    this.clearTimers();
    if (this.done) return;
    this.finish();
    this.controller?.abort(new Error('client closed the connection'));
  }

  onRequestStart(controller: UpstreamController): void {
    this.controller = controller;
    if (this.done) controller.abort(new Error('client closed the connection'));
    else if (this.pendingAbort !== null) controller.abort(this.pendingAbort);
  }

  onBodySent(): void {
    this.writeTimer?.refresh();
  }

  onRequestSent(): void {
    this.stopWriteTimer();
    if (this.precise && this.body !== null && !this.done && this.timer === null && this.headersAt === 0) {
      this.timer = setTimeout(onHeadersTimeout, this.entry.readTimeout, this);
    }
  }

  stopWriteTimer(): void {
    if (this.writeTimer !== null) {
      clearTimeout(this.writeTimer);
      this.writeTimer = null;
    }
  }

  clearTimers(): void {
    this.stopWriteTimer();
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  onResponseStart(controller: UpstreamController, statusCode: number, raw: string[], statusMessage: string): void {
    // 1xx interim responses (100 Continue is answered by Node itself) are not relayed.
    if (statusCode < 200) return;
    this.clearTimers();
    const res = this.res;
    if (res.destroyed) {
      controller.abort(new Error('client closed the connection'));
      return;
    }
    const now = performance.now();
    this.headersAt = now;
    this.reportStatus(statusCode);
    const out: string[] = [];
    let via: string | null = null;
    let hasServer = false;
    let lengths = 0;
    let length = -1;
    let connection: string | null = null;
    let trailer: string | null = null;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      const value = raw[i + 1];
      switch (classifyResponseHeader(name)) {
        case HOP_BY_HOP:
          continue;
        case CONNECTION:
          connection = connection === null ? value : `${connection}, ${value}`;
          continue;
        case TRAILER:
          trailer = trailer === null ? value : `${trailer}, ${value}`;
          continue;
        case VIA:
          via = via === null ? value : `${via}, ${value}`;
          continue;
        case SERVER:
          hasServer = true;
          break;
        case CONTENT_LENGTH:
          lengths++;
          length = /^\d{1,15}$/.test(value) ? Number(value) : -1;
          break;
      }
      out.push(name, value);
    }
    if (lengths === 1 && length > 0 && this.req.method !== 'HEAD') this.expectedBytes = length;
    if (connection !== null) removeConnectionListed(out, connection);
    if (trailer !== null && lengths === 0 && this.clientTakesTrailers(statusCode)) out.push('Trailer', trailer);
    const d = this.downstream;
    if (d.via) out.push('Via', via === null ? VIA_HOP : via + VIA_APPEND);
    else if (via !== null) out.push('Via', via);
    if (d.server && !hasServer) out.push('Server', SERVER_TOKEN);
    if (d.upstreamLatency) out.push(HEADER_UPSTREAM_LATENCY, decimal(Math.round(now - this.dispatchedAt)));
    if (d.proxyLatency) out.push(HEADER_PROXY_LATENCY, decimal(Math.round(this.dispatchedAt - this.start)));
    if (d.upstreamStatus) out.push(HEADER_UPSTREAM_STATUS, decimal(statusCode));
    if (d.requestId) out.push(HEADER_REQUEST_ID, this.requestId);
    if (this.core.options.allowDebugHeader && this.req.headers['kong-debug'] !== undefined) addDebugHeaders(out, this.entry.route, this.entry.service);
    const cookie = this.hashInputs?.hashCookie;
    if (cookie != null) out.push('Set-Cookie', hashCookieHeader(cookie));
    const plugins = this.plugins;
    if (plugins !== null) {
      plugins.upstream = { status: statusCode, headers: raw, body: null };
      plugins.upstreamHeadersAt = now;
      if (!needsResponsePhases(this.chain!, plugins)) {
        // Nothing runs between the upstream and the client (say, only access and log): the plain path below.
        plugins.downstream = { status: statusCode, headers: out, source: 'service', size: 0 };
        if (plugins.pendingResponseHeaders !== null) applyPendingResponse(plugins, out);
        if (statusMessage && this.req.httpVersionMajor !== 2) res.writeHead(statusCode, statusMessage, out);
        else res.writeHead(statusCode, out);
        return;
      }
      this.expectedBytes = -1;
      const writer = new PluginResponseWriter(this.req, res, plugins, this.chain!, this.core.options.logPluginError, this.entry.readTimeout, () => this.finishWriter());
      writer.source = controller;
      writer.gatewayHeaders = this.downstream;
      writer.proxied = true;
      this.writer = writer;
      writer.head(statusCode, statusMessage, out, 'service');
      return;
    }
    if (statusMessage && this.req.httpVersionMajor !== 2) res.writeHead(statusCode, statusMessage, out);
    else res.writeHead(statusCode, out);
  }

  /**
   * Whether the client asked for trailers (TE: trailers), so that the upstream's Trailer header is relayed as
   * Kong relays it, and the response can carry one: Node refuses a Trailer header on an HTTP/1.1 response
   * that is not chunked (one without a body, or an HTTP/1.0 client's).
   */
  clientTakesTrailers(statusCode: number): boolean {
    const req = this.req;
    const te = req.headers.te;
    if (te === undefined || !asksForTrailers(Array.isArray(te) ? te.join(',') : te)) return false;
    if (req.httpVersionMajor === 2) return true;
    return req.httpVersion === '1.1' && req.method !== 'HEAD' && statusCode !== 204 && statusCode !== 304;
  }

  onResponseData(controller: UpstreamController, chunk: Buffer): void {
    if (this.writer !== null) {
      this.writer.data(chunk);
      return;
    }
    const bytes = this.bodyBytes + chunk.length;
    this.bodyBytes = bytes;
    // The chunk that completes a known length ends the response in the same call: Node then sends head,
    // body and end in one write without waiting for the next tick.
    if (bytes === this.expectedBytes) {
      this.res.end(chunk);
      return;
    }
    if (!this.res.write(chunk)) {
      controller.pause();
      if (this.resumeOnDrain === null) {
        this.resumeOnDrain = () => this.controller?.resume();
      }
      this.res.once('drain', this.resumeOnDrain);
    }
  }

  onResponseEnd(): void {
    if (this.held !== null) this.releaseTry(performance.now() - this.dispatchedAt);
    if (this.writer !== null) {
      // The writer finishes the request once its phases have sent the last byte.
      this.writer.end();
      return;
    }
    if (this.bodyBytes !== this.expectedBytes) this.res.end();
    this.finish();
  }

  /** The streamed body passed the plugin's bound (BodySizeGuard): cut the upstream call; see onResponseError. */
  bodyLimitExceeded(): void {
    if (this.done) return;
    const err = Object.assign(new Error('the request body exceeded the limit a plugin set'), { code: BODY_LIMIT_EXCEEDED });
    if (this.controller !== null) this.controller.abort(err);
    else this.pendingAbort = err;
  }

  onResponseError(_controller: UpstreamController, error: Error): void {
    this.clearTimers();
    if (this.done) return;
    this.releaseTry(-1);
    const res = this.res;
    const code = (error as { code?: string }).code ?? '';
    const midResponse = res.headersSent;
    const plugins = this.plugins;
    if (code === BODY_LIMIT_EXCEEDED && !midResponse && plugins !== null && plugins.bodyLimit !== null) {
      // Answered as the limiting plugin would have in access, through the response phases and log.
      this.done = true;
      const limit = plugins.bodyLimit;
      plugins.exited = { status: limit.status, kind: 'error', body: limit.message, headers: [] };
      this.core.answerFromPlugin(this.req, res as ProxyResponse, this.entry, plugins, this.chain!);
      return;
    }
    const passive = this.entry.peers?.passive ?? null;
    if (passive !== null && this.peer !== null && this.peer.target >= 0 && !midResponse && !NOT_THE_TARGETS_FAULT.has(code)) {
      this.core.options.reportHealth(passive.upstreamId, this.peer.address, TIMEOUTS.has(code) ? 'timeout' : 'tcp_failure');
    }
    const retry =
      !midResponse &&
      this.body === null &&
      this.attempt < this.entry.retries &&
      (NOT_SENT.has(code) || (MAYBE_SENT.has(code) && !NON_IDEMPOTENT.has(this.req.method ?? 'GET')));
    plugins?.trace?.tryFailed(TIMEOUTS.has(code) ? 504 : 502, error.message);
    this.core.options.logUpstreamError(
      `upstream ${this.peer?.address ?? '-'} failed${midResponse ? ' mid-response' : ''}: ${error.message}` +
        `${code === '' ? '' : ` (${code})`}${retry ? ', trying again' : ''}; request id ${this.requestId}`,
    );
    if (midResponse) {
      this.finish();
      res.destroy(error);
      return;
    }
    if (retry) {
      if (this.peer !== null && this.peer.target >= 0) (this.tried ??= []).push(this.peer.target);
      this.attempt++;
      this.controller = null;
      this.pendingAbort = null;
      this.send();
      return;
    }
    const status = TIMEOUTS.has(code) ? 504 : 502;
    const times = { proxyMs: this.dispatchedAt - this.start, upstreamMs: performance.now() - this.dispatchedAt };
    sendGatewayError(this.req, res, this.downstream, status, null, this.requestId, this.start, times, this.core.options.errorDefaultType);
    this.bodyBytes = (res as ProxyResponse).bodyBytes ?? 0;
    this.finish();
  }
}
