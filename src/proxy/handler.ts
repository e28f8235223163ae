import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { MatchResult } from '../router/types.ts';
import type { ProxyEntry, Snapshot } from '../snapshot/types.ts';
import { ForwardHandler } from './forward.ts';
import type { ProxyOptions, TrafficRecorder } from './options.ts';
import { RequestIds } from './request-id.ts';
import { sendGatewayError, sendGatewayResponse } from './respond.ts';
import { buildUpstreamHeaders, hostWithoutPort } from './upstream-headers.ts';
import { plainIp, realClientIp } from './client-address.ts';
import { forwardUpgrade } from './upgrade.ts';
import type { ProxyResponse } from './proxy-response.ts';
import type { AccessLog } from '../log/access-log.ts';
import { PluginContext } from '../pdk/context.ts';
import { runAccessPhase, runLogPhase, sendPluginExit } from './plugin-phases.ts';
import { hashInputsFor } from './balancer-request.ts';

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

/** A request that has been routed, with everything needed to forward it. */
export interface RoutedRequest {
  match: MatchResult<ProxyEntry>;
  requestId: string;
  headers: string[];
  path: string;
  host: string;
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
      status: res.headersSent ? res.statusCode : 499,
      bytesSent: res.bodyBytes ?? 0,
      referer: req.headers.referer,
      userAgent: req.headers['user-agent'],
      requestId: res.requestId ?? '-',
    });
  }

  swap(next: Snapshot): void {
    this.snapshot = next;
  }

  /** `http.Server` 'request' listener. */
  readonly handleRequest = (req: IncomingMessage, res: ProxyResponse): void => {
    const start = performance.now();
    this.requests++;
    this.inFlight++;
    const routed = this.route(req, res, start, false);
    if (routed === null) {
      this.completed(res);
      return;
    }
    const entry = routed.match.payload;
    const chain = entry.plugins;
    let plugins: PluginContext | null = null;
    if (chain !== null) {
      plugins = new PluginContext(req, routed.requestId, routed.headers, routed.path);
      if (chain.access !== null && runAccessPhase(plugins, chain.access)) {
        sendPluginExit(req, res, this.options.downstream, plugins, chain.header_filter, start);
        this.traffic?.record(entry.service?.id ?? '', res.statusCode, performance.now() - start, 0, false);
        if (chain.log !== null) runLogPhase(plugins, chain.log);
        this.completed(res);
        return;
      }
    }
    const h2 = req.httpVersionMajor === 2;
    const hasBody = h2
      ? !(req as unknown as Http2ServerRequest).stream.endAfterHeaders
      : req.headers['content-length'] !== undefined
        ? req.headers['content-length'] !== '0'
        : req.headers['transfer-encoding'] !== undefined;
    const forward = new ForwardHandler(
      this,
      req,
      res,
      entry,
      this.options.downstream,
      routed.headers,
      plugins === null ? routed.path : plugins.upstreamTarget,
      hasBody ? req : null,
      routed.requestId,
      start,
      routed.host,
      plugins,
      entry.peers?.hashes === true ? hashInputsFor(req, res, routed, plugins) : null,
    );
    if (h2) {
      (res as ProxyResponse & { forward?: ForwardHandler }).forward = forward;
      res.once('close', onStreamClose);
    } else {
      (req.socket as ProxySocket).forward = forward;
    }
    forward.send();
  };

  /** `http.Server` 'upgrade' listener (WebSocket handshakes). */
  readonly handleUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    this.requests++;
    forwardUpgrade(this, req, socket, head);
  };

  /**
   * Routes a request and answers it directly when it cannot be proxied (no route, no service, HTTPS
   * required). Returns null when a response was sent.
   */
  route(req: IncomingMessage, res: ProxyResponse, start: number, upgrade: boolean): RoutedRequest | null {
    const snapshot = this.snapshot;
    const options = this.options;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const socket = req.socket as TLSSocket;
    const headers = req.headers;
    // HTTP/2 carries the host in the :authority pseudo-header.
    const host = headers.host ?? (headers[':authority'] as string | undefined) ?? '';
    const tls = socket.encrypted === true;
    const scheme = tls ? 'https' : 'http';
    const listenerPort = socket.localPort ?? 0;
    const requestId = this.ids.next();
    res.requestId = requestId;
    const match = snapshot.router.match({
      method: req.method ?? 'GET',
      rawPath,
      host,
      headers,
      sni: tls && typeof socket.servername === 'string' ? socket.servername : '',
      scheme,
      listenerPort,
    });
    if (match === null) {
      sendGatewayError(req, res, options.downstream, 404, 'no Route matched with those values', requestId, start);
      this.traffic?.record('', 404, performance.now() - start, 0, false);
      return null;
    }
    const entry = match.payload;
    const peer = plainIp(socket.remoteAddress);
    const trusted = options.isTrusted(peer);
    const clientIp = realClientIp(peer, trusted, headers, options);
    res.clientIp = clientIp;
    if (entry.httpsOnly) {
      const forwardedProto = trusted ? headerValue(headers['x-forwarded-proto']) ?? scheme : scheme;
      if (forwardedProto.toLowerCase() !== 'https') {
        this.redirectToHttps(req, res, entry, host, requestId, start);
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
    };
  }

  redirectToHttps(req: IncomingMessage, res: ServerResponse, entry: ProxyEntry, host: string, requestId: string, start: number): void {
    const status = entry.redirectStatus;
    if (status === 426) {
      sendGatewayResponse(
        req,
        res,
        this.options.downstream,
        426,
        // HTTP/2 forbids connection-specific headers.
        req.httpVersionMajor === 2 ? [] : ['Connection', 'Upgrade', 'Upgrade', 'TLS/1.2, HTTP/1.1'],
        JSON.stringify({ message: 'Please use HTTPS protocol' }),
        requestId,
        start,
      );
      return;
    }
    const location = `https://${hostWithoutPort(host)}${req.url ?? '/'}`;
    sendGatewayResponse(req, res, this.options.downstream, status, ['Location', location], '', requestId, start);
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
