/**
 * Runs the plugin phases compiled into a route's chain. Only requests on routes with plugins get here;
 * the others pay one null check on `entry.plugins`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PluginContext, PluginExit } from '../pdk/index.ts';
import type { PhaseStep } from '../snapshot/plugin-chains.ts';
import { defaultMessage, renderError } from './error-response.ts';
import { addGatewayHeaders } from './respond.ts';
import type { DownstreamHeaders } from './options.ts';
import type { ProxyResponse } from './proxy-response.ts';

/**
 * Runs the access phase; stops at the first plugin that answers the request. Returns true when a plugin
 * answered (`ctx.exited` holds the answer). A handler that throws answers 500, as in Kong.
 */
export function runAccessPhase(ctx: PluginContext, steps: readonly PhaseStep[]): boolean {
  try {
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      ctx.currentPlugin = step.name;
      step.run(ctx, step.conf);
      if (ctx.exited !== null) return true;
    }
  } catch (err) {
    process.emitWarning(`plugin '${ctx.currentPlugin}' failed in access: ${(err as Error).message}`);
    ctx.error(500);
    return true;
  }
  return false;
}

/** Runs the steps of a phase whose failures must not change the answer: a throwing handler is reported and skipped. */
function runTolerant(ctx: PluginContext, steps: readonly PhaseStep[], phase: 'header_filter' | 'log'): void {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    ctx.currentPlugin = step.name;
    try {
      step.run(ctx, step.conf);
    } catch (err) {
      process.emitWarning(`plugin '${step.name}' failed in ${phase}: ${(err as Error).message}`);
    }
  }
}

/** Runs header_filter over the response headers (flat list, edited in place). A throwing handler is skipped. */
export function runHeaderFilterPhase(ctx: PluginContext, steps: readonly PhaseStep[], headers: string[]): void {
  ctx.responseHeaders = headers;
  runTolerant(ctx, steps, 'header_filter');
  ctx.responseHeaders = null;
}

/** Runs the log phase once the client has its answer; errors are reported, never thrown. */
export function runLogPhase(ctx: PluginContext, steps: readonly PhaseStep[]): void {
  runTolerant(ctx, steps, 'log');
}

/** The status, headers and body of a plugin's answer. */
function renderExit(req: IncomingMessage, exit: PluginExit, requestId: string): { headers: string[]; body: string } {
  const headers = exit.headers.slice();
  let body: string;
  if (exit.kind === 'error') {
    const message = typeof exit.body === 'string' ? exit.body : defaultMessage(exit.status);
    const rendered = renderError(req.headers.accept, message, requestId);
    headers.push('Content-Type', rendered.contentType);
    body = rendered.body;
  } else if (exit.body === null) {
    body = '';
  } else if (typeof exit.body === 'string') {
    body = exit.body;
  } else {
    headers.push('Content-Type', 'application/json; charset=utf-8');
    body = JSON.stringify(exit.body);
  }
  return { headers, body };
}

/** Sends the answer a plugin gave in access (after header_filter), with the gateway's own headers. */
export function sendPluginExit(
  req: IncomingMessage,
  res: ServerResponse,
  downstream: DownstreamHeaders,
  ctx: PluginContext,
  headerFilter: readonly PhaseStep[] | null,
  start: number,
): void {
  const exit = ctx.exited!;
  const { headers, body } = renderExit(req, exit, ctx.requestId);
  const length = Buffer.byteLength(body);
  headers.push('Content-Length', String(length));
  addGatewayHeaders(headers, downstream, ctx.requestId, start);
  if (headerFilter !== null) runHeaderFilterPhase(ctx, headerFilter, headers);
  // The request body was not read: end the connection rather than drain it (as for gateway errors).
  if (!req.complete) res.shouldKeepAlive = false;
  res.writeHead(exit.status, headers);
  const empty = req.method === 'HEAD' || body === '';
  (res as ProxyResponse).bodyBytes = empty ? 0 : length;
  res.end(empty ? undefined : body);
}
