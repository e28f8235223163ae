/**
 * The trace of a request on a node with `tracing_instrumentations` on: the root `kong` span with Kong's
 * request attributes, and the router span timed by `route`.
 */
import type { PluginContext } from '../pdk/context.ts';
import type { TracingOptions } from '../tracing/instrumentations.ts';
import { RequestTrace, wallMs } from '../tracing/trace.ts';
import { plainIp } from './client-address.ts';
import { hostWithoutPort } from './upstream-headers.ts';

/** The trace of a request: `host` as the client gave it, the router's start and end (0: not timed). */
export function startRequestTrace(ctx: PluginContext, tracing: TracingOptions, clientHost: string, routerStart: number, routerEnd: number): RequestTrace {
  const trace = new RequestTrace(tracing.mask, ctx.startedAt, tracing.samplingRate);
  const req = ctx.req;
  const scheme = ctx.tlsSocket() === null ? 'http' : 'https';
  const host = hostWithoutPort(clientHost).toLowerCase();
  trace.describeRequest({
    'http.method': req.method ?? 'GET',
    'http.url': `${scheme}://${host}${req.url ?? '/'}`,
    'http.host': host,
    'http.scheme': scheme,
    'http.flavor': req.httpVersion,
    'http.client_ip': ctx.clientIp,
    'net.peer.ip': plainIp(req.socket.remoteAddress),
    'kong.request.id': ctx.requestId,
  });
  if (routerStart !== 0) trace.routed(wallMs(routerStart), wallMs(routerEnd));
  return trace;
}
