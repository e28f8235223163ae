import { ServerResponse, type IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ProxyCore, RoutedRequest } from './handler.ts';
import type { ProxyResponse } from './proxy-response.ts';
import { hashInputsFor } from './balancer-request.ts';
import { addGatewayHeaders, sendGatewayError } from './respond.ts';
import type { PluginContext } from '../pdk/context.ts';
import { runBeforeProxy } from './plugin-phases.ts';
import { PluginResponseWriter } from './plugin-response.ts';
import type { PluginChain } from '../snapshot/plugin-chains.ts';

/**
 * Passes an HTTP Upgrade (WebSocket) through: the handshake is routed and rewritten like any request, then
 * the two connections are joined byte for byte. The upstream's answer (101 or a refusal) reaches the client
 * unchanged.
 */
export function forwardUpgrade(core: ProxyCore, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const start = performance.now();
  // A throwaway response object lets the routing code answer errors (404, 426, 503) on the raw socket.
  const res = new ServerResponse(req);
  res.assignSocket(socket);
  res.shouldKeepAlive = false;
  res.on('finish', () => socket.end());
  const routed = core.route(req, res, start, true);
  if (routed === null) return;
  const entry = routed.match.payload;
  const chain = entry.plugins;
  if (chain === null) {
    connectUpgrade(core, req, res, socket, head, routed, null, start);
    return;
  }
  // The handshake is a request like any other: rewrite and access run on it, and may refuse it.
  const ctx = core.pluginContext(req, res as ProxyResponse, routed, start);
  const proceed = (final: PluginChain): void => {
    if (ctx.exited === null) {
      connectUpgrade(core, req, res, socket, head, routed, ctx, start);
      return;
    }
    const extra: string[] = [];
    addGatewayHeaders(extra, core.options.downstream, ctx.requestId, start);
    ctx.exited = { ...ctx.exited, headers: [...ctx.exited.headers, ...extra] };
    new PluginResponseWriter(req, res, ctx, final, core.options.logPluginError, entry.readTimeout, () => {}).sendExit();
  };
  const before = runBeforeProxy(ctx, chain, core.snapshot.globalPlugins.rewrite, entry.readTimeout, core.options.logPluginError);
  if (before instanceof Promise) before.then(proceed);
  else proceed(before);
}

/** Connects the handshake to a peer and joins the two connections. */
function connectUpgrade(
  core: ProxyCore,
  req: IncomingMessage,
  res: ServerResponse,
  socket: Socket,
  head: Buffer,
  routed: RoutedRequest,
  plugins: PluginContext | null,
  start: number,
): void {
  const entry = routed.match.payload;
  const target = plugins === null ? routed.path : plugins.upstreamTarget;
  const peers = entry.peers;
  // A hash cookie made up here cannot be set: the upstream's 101 goes to the client byte for byte.
  const peer = peers?.pick(peers.hashes ? hashInputsFor(req, res, routed, plugins) : null, null);
  if (peer === undefined) {
    sendGatewayError(req, res, core.options.downstream, 503, entry.peers?.unavailableMessage ?? null, routed.requestId, start);
    return;
  }
  res.detachSocket(socket);
  const headers = routed.headers;
  headers[1] = plugins?.upstreamHost ?? (entry.preserveHost && routed.host !== '' ? routed.host : peer.hostHeader);
  let text = `${req.method} ${target} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  text += '\r\n';

  const upstream = peer.tls
    ? tlsConnect({ host: peer.host, port: peer.port, servername: peer.servername ?? undefined, rejectUnauthorized: false })
    : netConnect({ host: peer.host, port: peer.port });
  upstream.setNoDelay(true);
  socket.setNoDelay(true);
  let connected = false;
  const timer = setTimeout(() => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), entry.service?.connect_timeout ?? 60_000);
  upstream.once(peer.tls ? 'secureConnect' : 'connect', () => {
    connected = true;
    clearTimeout(timer);
    upstream.write(text);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    if (!connected && !socket.destroyed) {
      const status = err.code === 'ETIMEDOUT' ? 504 : 502;
      const errRes = new ServerResponse(req);
      errRes.assignSocket(socket);
      errRes.shouldKeepAlive = false;
      errRes.on('finish', () => socket.end());
      sendGatewayError(req, errRes, core.options.downstream, status, null, routed.requestId, start);
      return;
    }
    socket.destroy();
  });
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => {
    // A least-connections upstream counts the tunnel for as long as it is open.
    peers!.release?.(peer, -1);
    socket.destroy();
  });
}
