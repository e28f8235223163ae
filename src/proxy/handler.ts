import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { MatchResult } from '../router/types.ts';
import type { ProxyEntry, Snapshot, UpstreamPeer } from '../snapshot/types.ts';
import type { ConnectionPools } from '../balancer/connection-pools.ts';
import { ForwardHandler } from './forward.ts';
import type { ProxyOptions, TrafficRecorder } from './options.ts';
import { RequestIds } from './request-id.ts';
import { buildUpstreamHeaders, hostWithoutPort } from './upstream-headers.ts';
import { plainIp, realClientIp } from './client-address.ts';
import { UpgradeHandler } from './upgrade.ts';
import type { ProxyResponse } from './proxy-response.ts';
import type { AccessLog } from '../log/access-log.ts';
import { PluginContext } from '../pdk/context.ts';
import { clearHeader, setHeader } from '../pdk/header-list.ts';
import type { PluginChain } from '../snapshot/plugin-chains.ts';
import { runBeforeProxy, runLogPhase, runRewrite } from './plugin-phases.ts';
import { PluginResponseWriter } from './plugin-response.ts';
import { addGatewayHeaders, sendGatewayError, sendGatewayResponse } from './respond.ts';
import { Readable } from 'node:stream';
import { hashInputsFor } from './balancer-request.ts';
import { BodySizeGuard } from './body-size-guard.ts';
import { startRequestTrace } from './request-trace.ts';
import { needsScope, runInScope } from '../tracing/request-scope.ts';

/** A client connection, with the upstream call of the request it is waiting on (HTTP/1.1: at most one). */
export interface ProxySocket extends Socket {
  forward?: ForwardHandler;
  proxyCore?: ProxyCore;
}

/**
 * One listener per connection rather than per request: when a client goes away, the upstream call of its
 * unanswered request is aborted.
 */
function onConnectionClose(this: ProxySocket): void {
  this.proxyCore!.connectionsActive--;
  const forward = this.forward;
  if (forward !== undefined && !forward.done) forward.clientClosed();
}

/**
 * HTTP/2 multiplexes requests on one connection, so a stream that is reset must abort its own upstream call:
 * those requests get a listener each (HTTP/1.1 requests share their connection's).
 */
function onStreamClose(this: ProxyResponse & { forward?: ForwardHandler }): void {
  const forward = this.forward;
  if (forward !== undefined && !forward.done) forward.clientClosed();
}

/** What `route` returns for a request it handed to the global plugins (no route matched): they answer it. */
const ANSWERED_BY_PLUGINS = Symbol('answered by global plugins');

/** A request that has been routed, with everything needed to forward it. */
export interface RoutedRequest {
  match: MatchResult<ProxyEntry>;
  requestId: string;
  headers: string[];
  path: string;
  host: string;
  /** When routing began and ended (performance.now()), for the router span; 0 when tracing is off. */
  routerStart: number;
  routerEnd: number;
}

/**
 * The proxy's request path. It holds one reference to the current snapshot; `swap` replaces it in one
 * assignment, and each request reads it once at its start and keeps it for its whole life.
 */
export class ProxyCore {
  snapshot: Snapshot;
  readonly options: ProxyOptions;
  readonly ids = new RequestIds();
  /** Requests received and not yet answered, and requests received in all (for the status counters). */
  inFlight = 0;
  requests = 0;
  connectionsAccepted = 0;
  connectionsActive = 0;

  readonly accessLog: AccessLog | null;
  /** Per-service traffic counts for hybrid-mode telemetry; null (nothing counted) on other nodes. */
  traffic: TrafficRecorder | null = null;
  /** The worker's connection pools, for peers plugins choose per request; null where none is set (tests). */
  pools: ConnectionPools | null = null;

  constructor(snapshot: Snapshot, options: ProxyOptions, accessLog: AccessLog | null = null) {
    this.snapshot = snapshot;
    this.options = options;
    this.accessLog = accessLog;
  }

  /** `net.Server` 'connection' (or 'secureConnection') listener. */
  readonly handleConnection = (socket: ProxySocket): void => {
    this.connectionsAccepted++;
    this.connectionsActive++;
    socket.proxyCore = this;
    socket.once('close', onConnectionClose);
  };

  /** Called exactly once per request, when its answer is complete or abandoned. */
  completed(res: ProxyResponse): void {
    this.inFlight--;
    if (this.accessLog !== null) this.logAccess(res);
  }

  logAccess(res: ProxyResponse): void {
    const req = res.req;
    this.accessLog!.write({
      clientIp: res.clientIp ?? plainIp(req.socket.remoteAddress),
      method: req.method ?? '-',
      url: req.url ?? '-',
      httpVersion: req.httpVersion,
      status: res.headersSent || res.upgraded === true ? res.statusCode : 499,
      bytesSent: res.bodyBytes ?? 0,
      referer: req.headers.referer,
      userAgent: req.headers['user-agent'],
      requestId: res.requestId ?? '-',
    });
  }

  /**
   * The peer a plugin named with `kong.service.set_target` and/or `kong.service.request.set_scheme`, reached
   * with the service's connection settings; the balancer and its health checks are bypassed, as in Kong.
   */
  overridePeer(entry: ProxyEntry, ctx: PluginContext, balanced: UpstreamPeer | undefined): UpstreamPeer | undefined {
    const origin = entry.origin;
    if (origin === null || this.pools === null) return balanced;
    const target = ctx.targetOverride;
    // Only the scheme changed: the balancer's peer, reached over the other scheme.
    if (target === null && balanced === undefined) return undefined;
    const host = target?.host ?? balanced!.host;
    const port = target?.port ?? balanced!.port;
    const scheme = ctx.schemeOverride ?? origin.scheme;
    const tls = scheme === 'https';
    const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const pool = this.pools.adHoc({
      origin: `${scheme}://${authority}`,
      connectTimeout: origin.connectTimeout,
      tlsVerify: origin.tlsVerify,
      servername: tls ? host : null,
      ca: tls ? origin.ca : null,
      clientCertificate: tls ? origin.clientCertificate : null,
      verifyDepth: tls ? origin.verifyDepth : null,
    });
    const defaultPort = tls ? 443 : 80;
    return {
      pool,
      host,
      port,
      tls,
      servername: tls ? host : null,
      hostHeader: target === null ? balanced!.hostHeader : port === defaultPort ? host : authority,
      address: authority,
      target: -1,
    };
  }

  swap(next: Snapshot): void {
    this.snapshot = next;
  }

  /** `http.Server` 'request' listener. */
  readonly handleRequest = (req: IncomingMessage, res: ProxyResponse): void => {
    const start = performance.now();
    this.requests++;
    this.inFlight++;
    this.handleRequestOn(req, res, start);
  };

  handleRequestOn(req: IncomingMessage, res: ProxyResponse, start: number): void {
    const routed = this.route(req, res, start, res.upgradeHead !== undefined);
    if (routed === null) {
      this.completed(res);
      return;
    }
    if (routed === ANSWERED_BY_PLUGINS) return;
    const entry = routed.match.payload;
    if (entry.plugins !== null) {
      this.withPlugins(req, res, routed, entry.plugins, start);
      return;
    }
    const forward = new (res.upgradeHead === undefined ? ForwardHandler : UpgradeHandler)(
      this,
      req,
      res,
      entry,
      this.options.downstream,
      routed.headers,
      routed.path,
      hasRequestBody(req) ? req : null,
      routed.requestId,
      start,
      routed.host,
      null,
      entry.peers?.hashes === true ? hashInputsFor(req, res, routed, null) : null,
    );
    this.dispatch(req, res, forward);
  }

  /** Sends a request upstream and ties the call to its client connection (or HTTP/2 stream). */
  dispatch(req: IncomingMessage, res: ProxyResponse, forward: ForwardHandler): void {
    if (req.httpVersionMajor === 2) {
      (res as ProxyResponse & { forward?: ForwardHandler }).forward = forward;
      res.once('close', onStreamClose);
    } else {
      (req.socket as ProxySocket).forward = forward;
    }
    forward.send();
  }

  /**
   * A request on a route with plugins: rewrite (global plugins) and access run first, and may answer it;
   * otherwise it goes upstream with what they changed, and the response-side phases run on the way back.
   * Each phase is synchronous unless a plugin returns a promise.
   */
  withPlugins(req: IncomingMessage, res: ProxyResponse, routed: RoutedRequest, chain: PluginChain, start: number): void {
    const ctx = this.pluginContext(req, res, routed, start);
    // The upstream call (its connection's resolver lookup) runs in the request's scope too.
    if (needsScope(ctx.trace)) runInScope(ctx.trace, () => this.runPlugins(req, res, routed, chain, ctx));
    else this.runPlugins(req, res, routed, chain, ctx);
  }

  runPlugins(req: IncomingMessage, res: ProxyResponse, routed: RoutedRequest, chain: PluginChain, ctx: PluginContext): void {
    const entry = routed.match.payload;
    const before = runBeforeProxy(ctx, chain, this.snapshot.globalPlugins.rewrite, entry.readTimeout, this.options.logPluginError);
    if (before instanceof Promise) before.then((final) => this.afterAccess(req, res, routed, ctx, final));
    else this.afterAccess(req, res, routed, ctx, before);
  }

  /** The PDK state of a routed request. */
  pluginContext(req: IncomingMessage, res: ProxyResponse, routed: RoutedRequest, start: number): PluginContext {
    const entry = routed.match.payload;
    const ctx = new PluginContext(req, routed.requestId, routed.headers, routed.path, this.options.pdk, this.snapshot.configData, start, res.clientIp ?? '');
    ctx.routed = {
      route: entry.route as unknown as Readonly<Record<string, unknown>>,
      service: entry.service as unknown as Readonly<Record<string, unknown>> | null,
      uriCaptures: routed.match.uriCaptures,
    };
    const tracing = this.options.tracing;
    if (tracing != null) ctx.trace = startRequestTrace(ctx, tracing, routed.host, routed.routerStart, routed.routerEnd);
    return ctx;
  }

  /** After access: the plugin's answer, or the request upstream with the body the plugins read or set. */
  afterAccess(req: IncomingMessage, res: ProxyResponse, routed: RoutedRequest, ctx: PluginContext, chain: PluginChain): void {
    const entry = routed.match.payload;
    if (ctx.exited !== null || res.destroyed) {
      this.answerFromPlugin(req, res, entry, ctx, chain);
      return;
    }
    const limit = ctx.bodyLimit;
    if (limit !== null && bodyOverLimit(req, ctx, limit.maxBytes)) {
      ctx.exited = { status: limit.status, kind: 'error', body: limit.message, headers: [] };
      this.answerFromPlugin(req, res, entry, ctx, chain);
      return;
    }
    let body: Readable | null = null;
    let guard: BodySizeGuard | null = null;
    const replaced = ctx.upstreamBody ?? ctx.requestBody;
    if (replaced !== null) {
      setHeader(ctx.upstreamHeaders, 'Content-Length', String(replaced.length), 2);
      clearHeader(ctx.upstreamHeaders, 'Transfer-Encoding', 2);
      body = replaced.length === 0 ? null : Readable.from([replaced]);
      // A replaced body that was never read still has to be consumed for the connection to be reused.
      if (ctx.requestBody === null && !req.readableEnded) req.resume();
    } else if (hasRequestBody(req)) {
      body = req;
      // Without a Content-Length (chunked, HTTP/2) the size is known only by counting as the body streams.
      if (limit !== null && req.headers['content-length'] === undefined) {
        guard = new BodySizeGuard(limit.maxBytes);
        body = req.pipe(guard);
      }
    }
    const forward = new (res.upgradeHead === undefined ? ForwardHandler : UpgradeHandler)(
      this,
      req,
      res,
      entry,
      this.options.downstream,
      ctx.upstreamHeaders,
      ctx.upstreamTarget,
      body,
      routed.requestId,
      ctx.start,
      routed.host,
      ctx,
      entry.peers?.hashes === true ? hashInputsFor(req, res, routed, ctx) : null,
      chain,
    );
    if (guard !== null) guard.listener = forward;
    this.dispatch(req, res, forward);
  }

  /** A plugin answered in rewrite or access (or the client left meanwhile): the response phases and log. */
  answerFromPlugin(req: IncomingMessage, res: ProxyResponse, entry: ProxyEntry | null, ctx: PluginContext, chain: PluginChain): void {
    const timeoutMs = entry?.readTimeout ?? UNROUTED_PHASE_TIMEOUT_MS;
    const done = (): void => {
      ctx.endedAt = performance.now();
      this.traffic?.record(entry?.service?.id ?? '', res.headersSent ? res.statusCode : 499, ctx.endedAt - ctx.start, 0, ctx.unexpected);
      if (chain.log !== null) runLogPhase(ctx, chain.log, this.options.logPluginError, timeoutMs);
      this.completed(res);
    };
    if (res.destroyed) {
      ctx.downstream ??= { status: 499, headers: [], source: 'exit', size: 0 };
      done();
      return;
    }
    // The request body was not read: end the connection rather than drain it (as for gateway errors).
    if (!req.complete && ctx.requestBody === null) res.shouldKeepAlive = false;
    const writer = new PluginResponseWriter(req, res, ctx, chain, this.options.logPluginError, timeoutMs, done);
    const exitHeaders = ctx.exited!.headers;
    const extra: string[] = [];
    addGatewayHeaders(extra, this.options.downstream, ctx.requestId, ctx.start);
    ctx.exited = { ...ctx.exited!, headers: [...exitHeaders, ...extra] };
    writer.sendExit();
  }

  /**
   * `http.Server` 'upgrade' listener (WebSocket handshakes). The handshake takes the path of every request
   * (routing, plugins, the upstream client); a response object on the raw socket carries the gateway's and
   * the plugins' answers, and the connection closes after any answer but a 101 (see UpgradeHandler).
   */
  readonly handleUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    const start = performance.now();
    this.requests++;
    this.inFlight++;
    // Node's server no longer listens to an upgraded socket: an error on it must not go unhandled.
    socket.on('error', destroySocket);
    const res = new ServerResponse(req) as ProxyResponse;
    res.assignSocket(socket);
    res.shouldKeepAlive = false;
    res.upgradeHead = head;
    res.on('finish', () => socket.end());
    this.handleRequestOn(req, res, start);
  };

  /**
   * Routes a request and answers it directly when it cannot be proxied (no route, no service, HTTPS
   * required). Returns null when a response was sent.
   */
  route(req: IncomingMessage, res: ProxyResponse, start: number, upgrade: boolean): RoutedRequest | null | typeof ANSWERED_BY_PLUGINS {
    const snapshot = this.snapshot;
    const options = this.options;
    let url = req.url ?? '/';
    const socket = req.socket as TLSSocket;
    const headers = req.headers;
    // HTTP/2 carries the host in the :authority pseudo-header.
    let host = headers.host ?? (headers[':authority'] as string | undefined) ?? '';
    const tls = socket.encrypted === true;
    const scheme = tls ? 'https' : 'http';
    // Behind port forwarding (`port_maps`) the port clients used routes and is forwarded, as in Kong.
    const localPort = socket.localPort ?? 0;
    const listenerPort = options.hostPorts?.get(localPort) ?? localPort;
    const requestId = this.ids.next();
    res.requestId = requestId;
    // An absolute-form target (`GET http://host/path`) names the host itself; nginx routes by it, not by Host.
    if (url.charCodeAt(0) !== 0x2f /* / */) {
      const absolute = ABSOLUTE_FORM.exec(url);
      if (absolute !== null) {
        host = absolute[1];
        url = absolute[2] === '' ? '/' : absolute[2].charCodeAt(0) === 0x3f /* ? */ ? `/${absolute[2]}` : absolute[2];
      }
    }
    const refusal = req.httpVersionMajor === 1 ? malformedHead(req) : 0;
    if (refusal !== 0) {
      res.shouldKeepAlive = false;
      sendGatewayError(req, res, options.downstream, refusal, refusal === 501 ? 'Transfer-Encoding other than chunked is not supported' : 'Bad request: more than one Host header', requestId, start);
      this.traffic?.record('', refusal, performance.now() - start, 0, false);
      return null;
    }
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const peer = plainIp(socket.remoteAddress);
    const trusted = options.isTrusted(peer);
    const clientIp = realClientIp(peer, trusted, headers, options, socket);
    const routerStart = options.tracing != null ? performance.now() : 0;
    const match = snapshot.router.match({
      method: req.method ?? 'GET',
      rawPath,
      host,
      headers,
      // Every line of a repeated header counts (Node's `headers` keeps one line of some).
      rawHeaders: req.rawHeaders,
      sni: tls && typeof socket.servername === 'string' ? socket.servername : '',
      scheme,
      listenerPort,
      // Read by the expressions flavor only (`http.queries.*`, `net.src.*`, `net.dst.ip`); the client
      // address is the real one, as nginx's realip module sets it before Kong routes.
      query: q === -1 ? '' : url.slice(q + 1),
      srcIp: clientIp,
      srcPort: socket.remotePort,
      dstIp: plainIp(socket.localAddress),
    });
    if (match === null) {
      const global = snapshot.globalPlugins;
      if (global.rewrite !== null || global.unrouted !== null) {
        this.unroutedWithPlugins(req, res, requestId, start, host, routerStart);
        return ANSWERED_BY_PLUGINS;
      }
      sendGatewayError(req, res, options.downstream, 404, 'no Route matched with those values', requestId, start);
      this.traffic?.record('', 404, performance.now() - start, 0, false);
      return null;
    }
    const entry = match.payload;
    res.clientIp = clientIp;
    if (entry.httpsOnly) {
      const forwardedProto = trusted ? headerValue(headers['x-forwarded-proto']) ?? scheme : scheme;
      if (forwardedProto.toLowerCase() !== 'https') {
        this.redirectToHttps(req, res, entry, host, url, requestId, start);
        return null;
      }
    }
    if (entry.service === null) {
      sendGatewayError(req, res, options.downstream, 503, 'no Service found with those values', requestId, start);
      return null;
    }
    if (entry.refusal !== null) {
      sendGatewayError(req, res, options.downstream, 503, entry.refusal, requestId, start);
      this.traffic?.record(entry.service.id, 503, performance.now() - start, 0, true);
      return null;
    }
    const upstreamHeaders = buildUpstreamHeaders({
      rawHeaders: req.rawHeaders,
      httpVersion: req.httpVersion,
      peer,
      trusted,
      clientIp,
      scheme,
      hostNoPort: hostWithoutPort(host),
      listenerPort,
      rawPath,
      strippedPrefix: match.strippedPrefix,
      requestId: options.upstreamRequestId ? requestId : null,
      upgrade,
    });
    return {
      match,
      requestId,
      headers: upstreamHeaders,
      path: q === -1 ? match.upstreamPath : match.upstreamPath + url.slice(q),
      host,
      routerStart,
      routerEnd: routerStart === 0 ? 0 : performance.now(),
    };
  }

  /**
   * A request no route matched, on a node with global plugins: their rewrite phase runs (it may answer), then
   * Kong's 404 goes through their header_filter, body_filter and log phases, as in Kong.
   */
  unroutedWithPlugins(req: IncomingMessage, res: ProxyResponse, requestId: string, start: number, host = '', routerStart = 0): void {
    const global = this.snapshot.globalPlugins;
    const socket = req.socket;
    const peer = plainIp(socket.remoteAddress);
    const clientIp = realClientIp(peer, this.options.isTrusted(peer), req.headers, this.options, socket);
    res.clientIp = clientIp;
    const ctx = new PluginContext(req, requestId, [], req.url ?? '/', this.options.pdk, this.snapshot.configData, start, clientIp);
    const tracing = this.options.tracing;
    if (tracing != null) ctx.trace = startRequestTrace(ctx, tracing, host, routerStart, routerStart === 0 ? 0 : performance.now());
    const chain = global.unrouted ?? NO_PHASES;
    const answer = (): void => {
      ctx.exited ??= { status: 404, kind: 'error', body: 'no Route matched with those values', headers: [] };
      this.answerFromPlugin(req, res, null, ctx, chain);
    };
    const rewritten = global.rewrite === null ? undefined : runRewrite(ctx, global.rewrite, UNROUTED_PHASE_TIMEOUT_MS, this.options.logPluginError);
    if (rewritten === undefined) answer();
    else rewritten.then(answer);
  }

  redirectToHttps(req: IncomingMessage, res: ServerResponse, entry: ProxyEntry, host: string, target: string, requestId: string, start: number): void {
    const status = entry.redirectStatus;
    if (status === 426) {
      sendGatewayResponse(
        req,
        res,
        this.options.downstream,
        426,
        // HTTP/2 forbids connection-specific headers. A Connection header set here replaces Node's own, so it
        // must carry the client's `close` itself (Node then closes the connection after the answer).
        req.httpVersionMajor === 2 ? [] : ['Connection', res.shouldKeepAlive ? 'Upgrade' : 'Upgrade, close', 'Upgrade', 'TLS/1.2, HTTP/1.1'],
        JSON.stringify({ message: 'Please use HTTPS protocol' }),
        requestId,
        start,
      );
      return;
    }
    const location = `https://${hostWithoutPort(host)}${target}`;
    sendGatewayResponse(req, res, this.options.downstream, status, ['Location', location], '', requestId, start);
  }
}

function destroySocket(this: Socket): void {
  this.destroy();
}

/** Bound on each plugin phase of a request that has no route (hence no service timeouts): Kong's default read_timeout. */
const UNROUTED_PHASE_TIMEOUT_MS = 60_000;

const NO_PHASES: PluginChain = Object.freeze({ access: null, response: null, header_filter: null, body_filter: null, log: null, forConsumer: null, bodyFilterKeepsLength: true });

/** An absolute-form request target: authority, then path and query ('' when none). */
const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)([^#]*)/i;

/**
 * Why an HTTP/1.x request head is refused before routing, as nginx refuses it: 400 for a second Host header
 * (which Host would the routes see?), 501 for a transfer coding other than chunked (its body cannot be
 * decoded); 0 when it is fine.
 */
function malformedHead(req: IncomingMessage): number {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') return 501;
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === 4 && name.toLowerCase() === 'host' && ++hosts > 1) return 400;
  }
  return 0;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Whether what is known of the client's body before proxying passes a plugin's bound: its Content-Length, or
 * the body a plugin read (a streamed body is counted by BodySizeGuard instead).
 */
function bodyOverLimit(req: IncomingMessage, ctx: PluginContext, maxBytes: number): boolean {
  if (ctx.requestBody !== null) return ctx.requestBody.length > maxBytes;
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) > maxBytes;
}

/** Whether a request announces a body (HTTP/2: its stream did not end with the headers). */
function hasRequestBody(req: IncomingMessage): boolean {
  // What follows a handshake belongs to the protocol it switches to, if the upstream agrees.
  if ((req as { upgrade?: boolean }).upgrade === true) return false;
  if (req.httpVersionMajor === 2) return !(req as unknown as Http2ServerRequest).stream.endAfterHeaders;
  const length = req.headers['content-length'];
  return length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined;
}
