import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { SERVER_TOKEN } from '../core/version.ts';
import type { ProxyEntry, UpstreamPeer } from '../snapshot/types.ts';
import {
  HEADER_PROXY_LATENCY,
  HEADER_REQUEST_ID,
  HEADER_UPSTREAM_LATENCY,
  HEADER_UPSTREAM_STATUS,
  type DownstreamHeaders,
} from './options.ts';
import { sendGatewayError } from './respond.ts';
import type { ProxyResponse } from './proxy-response.ts';
import type { ProxyCore } from './handler.ts';
import type { PluginContext } from '../pdk/context.ts';
import { runHeaderFilterPhase, runLogPhase } from './plugin-phases.ts';

type IncomingHttpHeaders = Record<string, string | string[] | undefined>;

/** Response headers that belong to the upstream connection, not to the client's. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'te', 'trailer', 'upgrade']);

/** Errors that mean the request never reached the upstream, so trying another peer is safe. */
const RETRYABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'TOLLGATE_WRITE_TIMEOUT']);

/**
 * undici's own timeouts run on a coarse clock (about half a second), fine for the 60 s default but not
 * for a service with a read_timeout of a few hundred milliseconds; below this bound Tollgate times the
 * wait for response headers itself.
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
  const err = Object.assign(new Error('upstream read timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
  if (handler.controller !== null) handler.controller.abort(err);
  else handler.pendingAbort = err;
}

/**
 * One upstream call: undici's handler object for a proxied request. All state lives in fields so the hot
 * path allocates one object per request, not a closure per callback (undici's handler pattern).
 */
export class ForwardHandler implements Dispatcher.DispatchHandler {
  readonly core: ProxyCore;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly entry: ProxyEntry;
  readonly downstream: DownstreamHeaders;
  readonly headers: string[];
  readonly path: string;
  readonly body: IncomingMessage | null;
  readonly requestId: string;
  readonly start: number;
  readonly clientHost: string;
  /** The request's plugin context when its route has plugins, else null. */
  readonly plugins: PluginContext | null;
  attempt = 0;
  dispatchedAt = 0;
  /** When the upstream's response headers arrived (0: they did not). */
  headersAt = 0;
  controller: Dispatcher.DispatchController | null = null;
  done = false;
  resumeOnDrain: (() => void) | null = null;
  peer: UpstreamPeer | null = null;
  timer: NodeJS.Timeout | null = null;
  bodyBytes = 0;
  /** A timeout that fired before undici handed over the controller. */
  pendingAbort: Error | null = null;
  /** Runs while a request body is being sent; each chunk the upstream takes restarts it. */
  writeTimer: NodeJS.Timeout | null = null;

  constructor(
    core: ProxyCore,
    req: IncomingMessage,
    res: ServerResponse,
    entry: ProxyEntry,
    downstream: DownstreamHeaders,
    headers: string[],
    path: string,
    body: IncomingMessage | null,
    requestId: string,
    start: number,
    clientHost: string,
    plugins: PluginContext | null = null,
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
  }

  /** Picks a peer for this try and dispatches; answers 503 when there is none. */
  send(): void {
    const entry = this.entry;
    const peer = entry.peers === null ? undefined : entry.peers.pick(this.attempt);
    if (peer === undefined) {
      sendGatewayError(this.req, this.res, this.downstream, 503, entry.peers?.unavailableMessage ?? null, this.requestId, this.start);
      this.bodyBytes = (this.res as ProxyResponse).bodyBytes ?? 0;
      this.finish();
      return;
    }
    this.peer = peer;
    this.headers[1] = entry.preserveHost && this.clientHost !== '' ? this.clientHost : peer.hostHeader;
    this.dispatchedAt = performance.now();
    const precise = entry.readTimeout < PRECISE_TIMEOUT_BELOW;
    if (precise) this.timer = setTimeout(onHeadersTimeout, entry.readTimeout, this);
    if (this.body !== null) this.writeTimer = setTimeout(onWriteTimeout, entry.writeTimeout, this);
    peer.pool.dispatch(
      {
        path: this.path,
        method: this.req.method as Dispatcher.HttpMethod,
        headers: this.headers,
        body: this.body,
        headersTimeout: precise ? 0 : entry.readTimeout,
        bodyTimeout: entry.readTimeout,
      },
      this,
    );
  }

  /** Marks the request answered (or abandoned) once, for the counters and the access log. */
  finish(): void {
    this.done = true;
    (this.res as ProxyResponse).bodyBytes = this.bodyBytes;
    const traffic = this.core.traffic;
    if (traffic !== null) {
      const status = this.res.headersSent ? this.res.statusCode : 499;
      const upstreamMs = this.headersAt === 0 ? 0 : this.headersAt - this.dispatchedAt;
      traffic.record(this.entry.service?.id ?? '', status, performance.now() - this.start, upstreamMs, this.headersAt === 0 && status >= 500);
    }
    if (this.plugins !== null) {
      const log = this.entry.plugins!.log;
      if (log !== null) runLogPhase(this.plugins, log);
    }
    this.core.completed(this.res);
  }

  /** The client went away: stop the upstream call too. */
  clientClosed(): void {
    this.clearTimers();
    if (this.done) return;
    this.finish();
    this.controller?.abort(new Error('client closed the connection'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(new Error('client closed the connection'));
    else if (this.pendingAbort !== null) controller.abort(this.pendingAbort);
  }

  onBodySent(): void {
    this.writeTimer?.refresh();
  }

  onRequestSent(): void {
    if (this.writeTimer !== null) {
      clearTimeout(this.writeTimer);
      this.writeTimer = null;
    }
  }

  clearTimers(): void {
    this.onRequestSent();
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
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
    const out: string[] = [];
    let via: string | null = null;
    let hasServer = false;
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      if (name === 'via') {
        via = Array.isArray(value) ? value.join(', ') : value;
        continue;
      }
      if (name === 'server') hasServer = true;
      if (Array.isArray(value)) for (const v of value) out.push(name, v);
      else out.push(name, value);
    }
    const d = this.downstream;
    if (d.via) out.push('Via', via === null ? `1.1 ${SERVER_TOKEN}` : `${via}, 1.1 ${SERVER_TOKEN}`);
    else if (via !== null) out.push('Via', via);
    if (d.server && !hasServer) out.push('Server', SERVER_TOKEN);
    if (d.upstreamLatency) out.push(HEADER_UPSTREAM_LATENCY, String(Math.round(now - this.dispatchedAt)));
    if (d.proxyLatency) out.push(HEADER_PROXY_LATENCY, String(Math.round(this.dispatchedAt - this.start)));
    if (d.upstreamStatus) out.push(HEADER_UPSTREAM_STATUS, String(statusCode));
    if (d.requestId) out.push(HEADER_REQUEST_ID, this.requestId);
    if (this.plugins !== null) {
      const headerFilter = this.entry.plugins!.header_filter;
      if (headerFilter !== null) runHeaderFilterPhase(this.plugins, headerFilter, out);
    }
    if (statusMessage && this.req.httpVersionMajor !== 2) res.writeHead(statusCode, statusMessage, out);
    else res.writeHead(statusCode, out);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bodyBytes += chunk.length;
    if (!this.res.write(chunk)) {
      controller.pause();
      if (this.resumeOnDrain === null) {
        this.resumeOnDrain = () => this.controller?.resume();
      }
      this.res.once('drain', this.resumeOnDrain);
    }
  }

  onResponseEnd(): void {
    this.res.end();
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.clearTimers();
    if (this.done) return;
    const res = this.res;
    if (res.headersSent) {
      this.finish();
      res.destroy(error);
      return;
    }
    const code = (error as { code?: string }).code ?? '';
    if (this.body === null && this.attempt < this.entry.retries && RETRYABLE.has(code)) {
      this.attempt++;
      this.controller = null;
      this.pendingAbort = null;
      this.send();
      return;
    }
    const status = TIMEOUTS.has(code) ? 504 : 502;
    sendGatewayError(this.req, res, this.downstream, status, null, this.requestId, this.start);
    this.bodyBytes = (res as ProxyResponse).bodyBytes ?? 0;
    this.finish();
  }
}
