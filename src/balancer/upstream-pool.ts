/**
 * Tollgate's HTTP/1.1 client for proxied requests: keep-alive connections to one upstream origin, a
 * request head written in one call, responses parsed by Node's built-in llhttp and handed over as raw header
 * lists. It does only what a proxy needs, which makes it several times cheaper per request than a
 * general-purpose client (see docs/benchmarks.md), and it keeps Kong's pool semantics: the pool size bounds
 * idle connections, not concurrency.
 *
 * One connection carries one request at a time (no pipelining). Every call ends with exactly one of
 * `onResponseEnd` or `onResponseError`.
 */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import type { LookupFunction } from './dns-lookup.ts';
import type { Readable } from 'node:stream';
import { HttpParser, type NodeHttpParser, type OnHeadersComplete } from './http-parser.ts';

/** What to send. */
export interface UpstreamRequest {
  method: string;
  /** Origin-form target: path and query. */
  path: string;
  /** Flat `[name, value, ...]` list, the Host header included. */
  headers: readonly string[];
  /** Streamed after the head: with a Content-Length header as is, otherwise chunked. */
  body: Readable | null;
  /**
   * Whether `headers` and `path` come from input Node's own parser already checked, plus values derived from it;
   * when false (plugins may have set headers) every name and value is checked before anything is sent.
   */
  trusted: boolean;
  /** Most ms to wait for the response head once connected (0: no limit). */
  headersTimeout: number;
  /** Most ms between two reads of the response body (0: no limit). */
  bodyTimeout: number;
  /**
   * The request asks to switch protocols (a WebSocket handshake; its headers carry `Connection: Upgrade`):
   * a `101` answer hands the connection to the handler's `onUpgrade`, any other answer is an ordinary
   * response. The head then gets no Connection header of the client's own.
   */
  upgrade?: boolean;
}

/** The handle a handler gets for its call. Methods do nothing once the call has ended. */
export interface UpstreamController {
  pause(): void;
  resume(): void;
  /** Ends the call with `reason`, which reaches `onResponseError`. */
  abort(reason: Error): void;
}

export interface UpstreamHandler {
  onRequestStart(controller: UpstreamController): void;
  /** A chunk of the request body was handed to the socket. */
  onBodySent?(): void;
  /** The whole request, body included, was handed to the socket. */
  onRequestSent?(): void;
  /** `rawHeaders` is the flat `[name, value, ...]` list as the upstream sent it. */
  onResponseStart(controller: UpstreamController, statusCode: number, rawHeaders: string[], statusMessage: string): void;
  onResponseData(controller: UpstreamController, chunk: Buffer): void;
  onResponseEnd(controller: UpstreamController): void;
  onResponseError(controller: UpstreamController, error: Error): void;
  /**
   * The upstream answered an `upgrade` request with `101 Switching Protocols`: the connection leaves the pool
   * and is the handler's (it must destroy it); `head` holds the bytes that followed the 101 in the same read.
   * The call has then ended: neither `onResponseEnd` nor `onResponseError` follows.
   */
  onUpgrade?(controller: UpstreamController, statusCode: number, rawHeaders: string[], statusMessage: string, socket: Socket, head: Buffer): void;
}

export interface UpstreamPoolOptions {
  host: string;
  port: number;
  tls: boolean;
  /** SNI (TLS only); null sends none for IP addresses. */
  servername: string | null;
  /** Verify the upstream's certificate (TLS only). */
  rejectUnauthorized: boolean;
  /** Trust anchors for that verification instead of Node's bundled roots (TLS only). */
  ca?: readonly string[] | null;
  /** Certificate and key presented to the upstream (TLS only). */
  clientCertificate?: { cert: string; key: string } | null;
  /** With verification, most intermediate certificates allowed below the trust anchor (nginx's proxy_ssl_verify_depth). */
  verifyDepth?: number | null;
  connectTimeout: number;
  /** Idle connections kept for reuse (upstream_keepalive_pool_size); 0 closes every connection after its request. */
  maxIdle: number;
  /** ms an idle connection is kept (upstream_keepalive_idle_timeout); Infinity: until the upstream closes it. */
  idleTimeout: number;
  /** Requests per connection before it is closed (upstream_keepalive_max_requests); 0: no limit. */
  maxRequests: number;
  /** Resolves the host (the node's `dns_resolver`); absent or null uses Node's `dns.lookup`. */
  lookup?: LookupFunction | null;
}

/** Error codes of this client, with what they mean for the proxy. */
export const UPSTREAM_ERRORS = {
  connectTimeout: 'TOLLGATE_CONNECT_TIMEOUT',
  headersTimeout: 'TOLLGATE_HEADERS_TIMEOUT',
  bodyTimeout: 'TOLLGATE_BODY_TIMEOUT',
  /** The connection closed before the response was complete. */
  closed: 'TOLLGATE_UPSTREAM_CLOSED',
  /** The upstream's answer is not valid HTTP/1.x. */
  badResponse: 'TOLLGATE_BAD_RESPONSE',
  /** The request itself could not be sent (invalid header, pool closed). */
  badRequest: 'TOLLGATE_BAD_REQUEST',
  /** The upstream's certificate chain is longer than the service's tls_verify_depth allows. */
  tlsVerifyDepth: 'TOLLGATE_TLS_VERIFY_DEPTH',
} as const;

function upstreamError(code: string, message: string, cause?: unknown): Error & { code: string } {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** An origin-form target may hold no controls, spaces or characters beyond Latin-1. */
const INVALID_PATH = /[^\u0021-\u00ff]/;
/** Methods that may be sent again when a reused connection turns out to have been closed by the upstream. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** Methods whose requests carry a body by definition: without one they announce a length of 0. */
const EXPECTS_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** Checks a request head assembled from untrusted parts; returns the reason it cannot be sent, or null. */
function invalidRequest(request: UpstreamRequest): string | null {
  if (INVALID_PATH.test(request.path)) return 'invalid request path';
  const headers = request.headers;
  for (let i = 0; i < headers.length; i += 2) {
    if (!TOKEN.test(headers[i])) return `invalid header name ${JSON.stringify(headers[i])}`;
    if (INVALID_VALUE.test(headers[i + 1])) return `invalid value for header ${headers[i]}`;
  }
  return null;
}

/**
 * Deadlines are checked by one timer for all pools, every SWEEP_MS while any connection exists: a request
 * then costs an assignment instead of arming and clearing a timer, and a timeout fires at most SWEEP_MS late.
 */
const SWEEP_MS = 100;
const activePools = new Set<UpstreamPool>();
let sweepTimer: NodeJS.Timeout | null = null;

function sweepAll(): void {
  const now = performance.now();
  for (const pool of activePools) pool.sweep(now);
  if (activePools.size === 0 && sweepTimer !== null) {
    clearInterval(sweepTimer);
    sweepTimer = null;
  }
}

function watch(pool: UpstreamPool): void {
  activePools.add(pool);
  if (sweepTimer === null) {
    sweepTimer = setInterval(sweepAll, SWEEP_MS);
    sweepTimer.unref();
  }
}

interface ParserOf extends NodeHttpParser {
  connection: UpstreamConnection;
}

interface SocketOf extends Socket {
  connection: UpstreamConnection;
  /** Node's stream handle (a `StreamBase` for TCP). */
  _handle?: { isStreamBase?: boolean; readStart?(): number; readStop?(): number } | null;
}

/** Kept idle connections are closed this long before the upstream said it would close them. */
const HINT_MARGIN_MS = 1000;

/**
 * The idle time the upstream allows, from `Keep-Alive: timeout=N` (as Node's own agent reads it), minus a
 * margin; Infinity without a hint. Closing first avoids sending a request on a connection the upstream is
 * closing at that moment.
 */
function keepAliveHint(raw: readonly string[]): number {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length !== 10 || name.toLowerCase() !== 'keep-alive') continue;
    const match = /(?:^|[\s,])timeout=(\d+)/i.exec(raw[i + 1]);
    if (match !== null) return Math.max(0, Number(match[1]) * 1000 - HINT_MARGIN_MS);
  }
  return Infinity;
}

/** What a deadline means when it passes. */
const WAIT_NONE = 0;
const WAIT_CONNECT = 1;
const WAIT_HEADERS = 2;
const WAIT_BODY = 3;

/** One request on its way: the controller its handler holds. */
class UpstreamCall implements UpstreamController {
  readonly pool: UpstreamPool;
  readonly request: UpstreamRequest;
  readonly handler: UpstreamHandler;
  connection: UpstreamConnection | null = null;
  /** Set once the call has ended (end or error delivered). */
  ended = false;
  /** The whole request has been written. */
  sent = false;
  responseStarted = false;
  /** Any byte of the answer arrived. */
  answered = false;
  retried = false;
  pump: BodyPump | null = null;

  constructor(pool: UpstreamPool, request: UpstreamRequest, handler: UpstreamHandler) {
    this.pool = pool;
    this.request = request;
    this.handler = handler;
  }

  pause(): void {
    const connection = this.connection;
    if (connection !== null && connection.call === this) connection.setReading(false);
  }

  resume(): void {
    const connection = this.connection;
    if (connection !== null && connection.call === this) connection.setReading(true);
  }

  abort(reason: Error): void {
    if (this.ended) return;
    const connection = this.connection;
    if (connection !== null && connection.call === this) connection.discard();
    this.fail(reason);
  }

  /** Delivers the error, once. */
  fail(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.connection = null;
    this.pump?.stop();
    this.handler.onResponseError(this, error);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.connection = null;
    this.pump?.stop();
    this.handler.onResponseEnd(this);
  }
}

/** Streams a request body to the socket with backpressure; chunked when the length is not known. */
class BodyPump {
  readonly call: UpstreamCall;
  readonly body: Readable;
  readonly socket: Socket;
  readonly chunked: boolean;
  stopped = false;

  constructor(call: UpstreamCall, body: Readable, socket: Socket, chunked: boolean) {
    this.call = call;
    this.body = body;
    this.socket = socket;
    this.chunked = chunked;
    body.on('data', this.onData);
    body.once('end', this.onEnd);
    body.once('error', this.onError);
    if (body.isPaused()) body.resume();
  }

  readonly onData = (chunk: Buffer | string): void => {
    if (this.stopped) return;
    const socket = this.socket;
    let ok: boolean;
    if (this.chunked) {
      if (chunk.length === 0) return;
      socket.cork();
      socket.write(`${Buffer.byteLength(chunk).toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      ok = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else {
      ok = socket.write(chunk);
    }
    this.call.handler.onBodySent?.();
    if (!ok) {
      this.body.pause();
      socket.once('drain', this.onDrain);
    }
  };

  readonly onDrain = (): void => {
    if (!this.stopped) this.body.resume();
  };

  readonly onEnd = (): void => {
    if (this.stopped) return;
    if (this.chunked) this.socket.write('0\r\n\r\n', 'latin1');
    this.stop();
    const call = this.call;
    call.sent = true;
    call.connection?.awaitHeaders(call);
    call.handler.onRequestSent?.();
  };

  readonly onError = (error: Error): void => {
    if (this.stopped) return;
    this.call.abort(upstreamError(UPSTREAM_ERRORS.badRequest, 'the client request body failed', error));
  };

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.body.off('data', this.onData);
    this.body.off('end', this.onEnd);
    this.body.off('error', this.onError);
    this.socket.off('drain', this.onDrain);
  }
}

/** One connection to the origin and its parser. */
class UpstreamConnection {
  readonly pool: UpstreamPool;
  readonly socket: SocketOf;
  readonly parser: ParserOf;
  call: UpstreamCall | null = null;
  connected = false;
  /** Destroyed, or about to be: never reused, and its callbacks are ignored. */
  dead = false;
  requests = 0;
  idleSince = 0;
  /** Most ms this connection may stay idle, from the upstream's Keep-Alive hint. */
  idleLimit = Infinity;
  /** The current wait (WAIT_*) and when it expires, in performance.now() ms. */
  wait = WAIT_NONE;
  deadline = 0;
  /** Body bytes arrived since the last sweep (the body deadline moves then, not on every chunk). */
  active = false;
  /** The message being parsed is a 1xx interim response. */
  interim = false;
  keepAlive = false;
  /** Header pairs the parser handed over early (more than it buffers). */
  pending: string[] = [];
  /** An error the socket reported, or a check of ours failed, before closing. */
  error: Error | null = null;
  /** The parser reads from the socket's handle directly (see the constructor). */
  consumed = false;
  /** Reading stopped for backpressure. */
  paused = false;
  /** The upstream answered 101 to an upgrade request: the connection leaves the pool after this read. */
  upgraded: { statusCode: number; raw: string[]; statusMessage: string } | null = null;

  constructor(pool: UpstreamPool) {
    this.pool = pool;
    const o = pool.options;
    const socket = (
      o.tls
        ? connectTls({
            host: o.host,
            port: o.port,
            // RFC 6066 allows no IP address as a server name.
            servername: o.servername === null || isIP(o.servername) !== 0 ? undefined : o.servername,
            rejectUnauthorized: o.rejectUnauthorized,
            ALPNProtocols: ['http/1.1'],
            // Resuming the last session saves a full handshake when a new connection is needed.
            session: pool.tlsSession ?? undefined,
            ca: o.ca ? [...o.ca] : undefined,
            cert: o.clientCertificate?.cert,
            key: o.clientCertificate?.key,
            ...(o.lookup ? { lookup: o.lookup } : {}),
          })
        : connectTcp({ host: o.host, port: o.port, noDelay: true, ...(o.lookup ? { lookup: o.lookup } : {}) })
    ) as SocketOf;
    socket.connection = this;
    if (o.tls) {
      socket.setNoDelay(true);
      socket.on('session', onTlsSession);
    }
    this.socket = socket;
    const parser = new HttpParser() as ParserOf;
    parser.initialize(HttpParser.RESPONSE, {}, 0, HttpParser.kLenientNone);
    parser.connection = this;
    parser[HttpParser.kOnHeaders] = onParserHeaders;
    parser[HttpParser.kOnHeadersComplete] = onParserHeadersComplete;
    parser[HttpParser.kOnBody] = onParserBody;
    parser[HttpParser.kOnMessageComplete] = onParserMessageComplete;
    this.parser = parser;
    // A plain TCP connection is read by the parser itself, as Node's HTTP server reads its connections:
    // responses go from the socket to llhttp without a JS 'data' event and Buffer per read.
    if (!o.tls && socket._handle?.isStreamBase === true) {
      parser[HttpParser.kOnExecute] = onParserExecute;
      parser.consume(socket._handle);
      this.consumed = true;
    }
    socket.once(o.tls ? 'secureConnect' : 'connect', onSocketConnect);
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    this.wait = WAIT_CONNECT;
    this.deadline = performance.now() + o.connectTimeout;
  }

  /** Writes the request head (and starts the body) for `call`. */
  start(call: UpstreamCall): void {
    this.call = call;
    call.connection = this;
    this.requests++;
    const request = call.request;
    const pool = this.pool;
    const last = pool.options.maxIdle === 0 || (pool.options.maxRequests > 0 && this.requests >= pool.options.maxRequests);
    let head = `${request.method} ${request.path} HTTP/1.1\r\n`;
    const headers = request.headers;
    let hasLength = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      // content-length is the only header the framing below needs to know about.
      if (name.length === 14 && name.toLowerCase() === 'content-length') hasLength = true;
      head += `${name}: ${headers[i + 1]}\r\n`;
    }
    // An upgrade request carries its own `Connection: Upgrade`.
    if (request.upgrade !== true) head += last ? 'connection: close\r\n' : 'connection: keep-alive\r\n';
    const body = request.body;
    if (body !== null && !hasLength) head += 'transfer-encoding: chunked\r\n';
    else if (body === null && !hasLength && EXPECTS_BODY.has(request.method)) head += 'content-length: 0\r\n';
    this.socket.write(`${head}\r\n`, 'latin1');
    if (body === null) {
      call.sent = true;
      this.awaitHeaders(call);
    } else {
      call.pump = new BodyPump(call, body, this.socket, !hasLength);
    }
  }

  /**
   * Starts the wait for the response head, once the request is connected and completely sent (while a body is
   * being sent, the proxy's write timeout applies instead, as nginx's proxy_send_timeout does).
   */
  awaitHeaders(call: UpstreamCall): void {
    if (!this.connected || !call.sent || call.responseStarted || this.call !== call) return;
    const timeout = call.request.headersTimeout;
    if (timeout > 0) {
      this.wait = WAIT_HEADERS;
      this.deadline = performance.now() + timeout;
    } else {
      this.wait = WAIT_NONE;
    }
  }

  /** Stops or restarts reading from the upstream (backpressure from the client side). */
  setReading(on: boolean): void {
    if (this.paused === !on || this.dead) return;
    this.paused = !on;
    if (!this.consumed) {
      if (on) this.socket.resume();
      else this.socket.pause();
      return;
    }
    // The parser reads from the handle: flow control is the handle's, not the JS stream's.
    const handle = this.socket._handle;
    if (handle == null) return;
    if (on) handle.readStart?.();
    else handle.readStop?.();
  }

  /** Back to the pool, or closed, once the call's answer is complete. */
  finishCall(): void {
    const call = this.call!;
    this.call = null;
    this.wait = WAIT_NONE;
    const pool = this.pool;
    const o = pool.options;
    if (
      this.keepAlive &&
      call.sent &&
      !pool.closed &&
      o.maxIdle > 0 &&
      (o.maxRequests === 0 || this.requests < o.maxRequests) &&
      pool.idleCount() < o.maxIdle &&
      this.idleLimit > 0
    ) {
      // An idle connection keeps reading, so that a close by the upstream is noticed.
      this.setReading(true);
      pool.release(this);
    } else {
      this.discard();
    }
    call.end();
  }

  /**
   * Hands the connection of an upgrade request answered 101 to its handler, with the bytes that followed
   * the 101 head: the socket leaves the pool, and the parser and this module's listeners leave the socket.
   */
  detach(head: Buffer): void {
    const call = this.call!;
    const upgraded = this.upgraded!;
    this.dead = true;
    this.call = null;
    this.wait = WAIT_NONE;
    const socket = this.socket;
    socket.off('data', onSocketData);
    socket.off('end', onSocketEnd);
    socket.off('error', onSocketError);
    socket.off('close', onSocketClose);
    socket.off('session', onTlsSession);
    const parser = this.parser;
    if (this.consumed) {
      parser.unconsume();
      this.consumed = false;
    }
    // This runs inside the parser's own callback: it is closed once that has returned (as Node's server does).
    setImmediate(closeParser, parser);
    if (this.paused) {
      this.paused = false;
      socket.resume();
    }
    (socket as { readableFlowing: boolean | null }).readableFlowing = null;
    this.pool.forget(this);
    call.ended = true;
    call.connection = null;
    call.handler.onUpgrade!(call, upgraded.statusCode, upgraded.raw, upgraded.statusMessage, socket, head);
  }

  /** Closes the connection without telling its call (the caller does). */
  discard(): void {
    if (this.dead) return;
    this.dead = true;
    this.call = null;
    this.wait = WAIT_NONE;
    this.socket.destroy();
    this.pool.forget(this);
  }

  /** Closes the connection and fails its call with `error`. */
  fail(error: Error): void {
    const call = this.call;
    this.discard();
    call?.fail(error);
  }
}

function onParserHeaders(this: ParserOf, headers: string[]): void {
  const pending = this.connection.pending;
  for (let i = 0; i < headers.length; i++) pending.push(headers[i]);
}

const onParserHeadersComplete: OnHeadersComplete = function (
  this: NodeHttpParser,
  _versionMajor,
  _versionMinor,
  headers,
  _method,
  _url,
  statusCode,
  statusMessage,
  upgrade,
  shouldKeepAlive,
) {
  const connection = (this as ParserOf).connection;
  const call = connection.call;
  if (connection.dead) return 1;
  if (call === null) {
    // An answer nobody asked for: the connection cannot be trusted any more.
    connection.discard();
    return 1;
  }
  let raw = headers;
  if (raw === undefined) {
    raw = connection.pending;
    connection.pending = [];
  } else if (connection.pending.length > 0) {
    raw = connection.pending.concat(raw);
    connection.pending = [];
  }
  if (statusCode === 101 && call.request.upgrade === true && call.handler.onUpgrade !== undefined) {
    // The parser stops after this head; what follows belongs to the new protocol (see afterParse).
    connection.upgraded = { statusCode, raw, statusMessage };
    call.responseStarted = true;
    connection.wait = WAIT_NONE;
    return 0;
  }
  if (statusCode < 200) {
    if (statusCode === 101 || upgrade) {
      connection.fail(upstreamError(UPSTREAM_ERRORS.badResponse, 'the upstream switched protocols on a plain request'));
      return 1;
    }
    connection.interim = true;
    return 0;
  }
  connection.interim = false;
  connection.keepAlive = shouldKeepAlive && !upgrade;
  connection.idleLimit = keepAliveHint(raw);
  call.responseStarted = true;
  const timeout = call.request.bodyTimeout;
  if (timeout > 0) {
    connection.wait = WAIT_BODY;
    connection.deadline = performance.now() + timeout;
    connection.active = false;
  } else {
    connection.wait = WAIT_NONE;
  }
  call.handler.onResponseStart(call, statusCode, raw, statusMessage);
  return call.request.method === 'HEAD' ? 1 : 0;
};

function onParserBody(this: ParserOf, chunk: Buffer): void {
  const connection = this.connection;
  const call = connection.call;
  if (call === null || connection.dead) return;
  connection.active = true;
  call.handler.onResponseData(call, chunk);
}

function onParserMessageComplete(this: ParserOf): void {
  const connection = this.connection;
  if (connection.dead || connection.upgraded !== null) return;
  if (connection.interim) {
    connection.interim = false;
    return;
  }
  if (connection.call === null) {
    connection.discard();
    return;
  }
  connection.finishCall();
}

/** Intermediate certificates between the peer's certificate and the self-signed anchor of its verified chain. */
function intermediatesOf(socket: TLSSocket): number {
  let certificate = socket.getPeerCertificate(true);
  let count = 0;
  const seen = new Set<string>();
  while (certificate.issuerCertificate !== undefined && certificate.issuerCertificate !== certificate) {
    // The anchor links to itself; guard against a chain that loops some other way.
    if (seen.has(certificate.fingerprint256)) break;
    seen.add(certificate.fingerprint256);
    const issuer = certificate.issuerCertificate;
    if (issuer.fingerprint256 === certificate.fingerprint256) break;
    certificate = issuer;
    count++;
  }
  // The last one reached is the anchor, not an intermediate.
  return Math.max(0, count - 1);
}

function onSocketConnect(this: SocketOf): void {
  const connection = this.connection;
  const o = connection.pool.options;
  if (o.tls && o.rejectUnauthorized && o.verifyDepth != null) {
    const intermediates = intermediatesOf(this as unknown as TLSSocket);
    if (intermediates > o.verifyDepth) {
      connection.fail(
        upstreamError(
          UPSTREAM_ERRORS.tlsVerifyDepth,
          `the upstream certificate chain has ${intermediates} intermediate certificates, more than tls_verify_depth ${o.verifyDepth}`,
        ),
      );
      return;
    }
  }
  connection.connected = true;
  if (connection.wait === WAIT_CONNECT) connection.wait = WAIT_NONE;
  const call = connection.call;
  if (call !== null) connection.awaitHeaders(call);
}

function closeParser(parser: NodeHttpParser): void {
  parser.close();
}

function onTlsSession(this: SocketOf, session: Buffer): void {
  this.connection.pool.tlsSession = session;
}

function onSocketData(this: SocketOf, chunk: Buffer): void {
  const connection = this.connection;
  if (connection.dead) return;
  if (connection.call !== null) connection.call.answered = true;
  const result = connection.parser.execute(chunk);
  if (connection.upgraded !== null && typeof result === 'number' && !connection.dead) {
    connection.detach(chunk.subarray(result));
    return;
  }
  afterParse(connection, result);
}

/** `kOnExecute`: what the parser made of a read it took from the socket itself. */
function onParserExecute(this: ParserOf, result: number | Error): void {
  const connection = this.connection;
  if (connection.dead) return;
  if (connection.call !== null) connection.call.answered = true;
  if (connection.upgraded !== null && typeof result === 'number') {
    connection.detach(this.getCurrentBuffer().subarray(result));
    return;
  }
  afterParse(connection, result);
}

function afterParse(connection: UpstreamConnection, result: number | (Error & { code?: string })): void {
  if (typeof result !== 'number') {
    connection.fail(upstreamError(UPSTREAM_ERRORS.badResponse, `invalid response from the upstream (${result.code ?? result.message})`, result));
  }
}

function onSocketEnd(this: SocketOf): void {
  const connection = this.connection;
  if (connection.dead) return;
  // A response without length ends with the connection: the parser completes it now.
  const result = connection.parser.finish();
  if (result instanceof Error) connection.error = result;
}

function onSocketError(this: SocketOf, error: Error): void {
  const connection = this.connection;
  connection.error = error;
  // A session that led to a failed connection is not offered again.
  if (!connection.connected) connection.pool.tlsSession = null;
}

function onSocketClose(this: SocketOf): void {
  const connection = this.connection;
  if (connection.consumed) connection.parser.unconsume();
  connection.parser.close();
  if (connection.dead) return;
  const call = connection.call;
  connection.discard();
  if (call === null) return;
  const request = call.request;
  // The upstream closed a kept-alive connection just as it was reused: nothing was answered, so an
  // idempotent request without body can safely go out again, once, on a fresh connection.
  if (!call.answered && !call.retried && connection.requests > 1 && request.body === null && IDEMPOTENT.has(request.method)) {
    call.retried = true;
    call.connection = null;
    call.pool.send(call);
    return;
  }
  const cause = connection.error as (Error & { code?: unknown }) | null;
  // A socket error before any answer (refused, reset, TLS failure) is reported as is: its code tells the
  // proxy whether another try may help. Anything else is a connection that closed too early.
  if (cause !== null && !call.responseStarted && typeof cause.code === 'string') {
    call.fail(cause);
    return;
  }
  const message = call.responseStarted ? 'the upstream closed the connection mid-response' : 'the upstream closed the connection';
  call.fail(upstreamError(UPSTREAM_ERRORS.closed, message, cause ?? undefined));
}

/** Keep-alive connections to one origin. */
export class UpstreamPool {
  readonly options: UpstreamPoolOptions;
  closed = false;
  /** The most recent TLS session the upstream issued, offered on the next new connection. */
  tlsSession: Buffer | null = null;
  readonly #idle: UpstreamConnection[] = [];
  readonly #all = new Set<UpstreamConnection>();
  #onEmpty: (() => void) | null = null;

  constructor(options: UpstreamPoolOptions) {
    this.options = options;
  }

  /** Sends one request; the handler hears of every outcome, errors included. */
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    const call = new UpstreamCall(this, request, handler);
    handler.onRequestStart(call);
    if (call.ended) return;
    if (this.closed) {
      call.fail(upstreamError(UPSTREAM_ERRORS.badRequest, 'the connection pool is closed'));
      return;
    }
    if (!request.trusted || INVALID_PATH.test(request.path)) {
      const reason = invalidRequest(request);
      if (reason !== null) {
        call.fail(upstreamError(UPSTREAM_ERRORS.badRequest, reason));
        return;
      }
    }
    this.send(call);
  }

  /** Puts the call on an idle connection, the most recently used first, or on a new one. */
  send(call: UpstreamCall): void {
    let connection = this.#idle.pop();
    while (connection !== undefined && connection.dead) connection = this.#idle.pop();
    if (connection === undefined) {
      try {
        connection = new UpstreamConnection(this);
      } catch (error) {
        // Options the socket layer refuses outright (a port out of range): an error for this call, not a throw
        // into the proxy's request handler.
        call.fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      this.#all.add(connection);
      if (this.#all.size === 1) watch(this);
    }
    connection.start(call);
  }

  idleCount(): number {
    return this.#idle.length;
  }

  release(connection: UpstreamConnection): void {
    connection.idleSince = performance.now();
    this.#idle.push(connection);
  }

  forget(connection: UpstreamConnection): void {
    if (!this.#all.delete(connection)) return;
    const at = this.#idle.indexOf(connection);
    if (at !== -1) this.#idle.splice(at, 1);
    if (this.#all.size === 0) {
      activePools.delete(this);
      const onEmpty = this.#onEmpty;
      this.#onEmpty = null;
      onEmpty?.();
    }
  }

  /** Connections open, busy or idle. */
  get size(): number {
    return this.#all.size;
  }

  /** Fails calls whose deadline passed and closes connections idle for longer than the idle timeout. */
  sweep(now: number): void {
    const idleTimeout = this.options.idleTimeout;
    for (const connection of this.#all) {
      if (connection.call === null) {
        if (connection.wait === WAIT_NONE && now - connection.idleSince >= Math.min(idleTimeout, connection.idleLimit)) connection.discard();
        continue;
      }
      if (connection.wait === WAIT_NONE) continue;
      if (connection.wait === WAIT_BODY && connection.active) {
        connection.active = false;
        connection.deadline = now + connection.call.request.bodyTimeout;
        continue;
      }
      if (now < connection.deadline) continue;
      const wait = connection.wait;
      connection.fail(
        wait === WAIT_CONNECT
          ? upstreamError(UPSTREAM_ERRORS.connectTimeout, `timed out connecting to ${this.options.host}:${this.options.port}`)
          : wait === WAIT_HEADERS
            ? upstreamError(UPSTREAM_ERRORS.headersTimeout, 'timed out waiting for the upstream response')
            : upstreamError(UPSTREAM_ERRORS.bodyTimeout, 'timed out reading the upstream response body'),
      );
    }
  }

  /** Stops taking requests; idle connections close now, busy ones once their answer is complete. */
  close(): Promise<void> {
    this.closed = true;
    for (const connection of [...this.#idle]) connection.discard();
    if (this.#all.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#onEmpty = resolve;
    });
  }

  /** Closes every connection now, failing the calls on them. */
  destroy(): void {
    this.closed = true;
    for (const connection of [...this.#all]) connection.fail(upstreamError(UPSTREAM_ERRORS.closed, 'the connection pool was destroyed'));
  }
}
