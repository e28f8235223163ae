import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { nodeMetricsText, PROMETHEUS_CONTENT_TYPE, type NodeContext } from '../admin/context.ts';
import { parseSizeFormat, statusBody, type SizeFormat } from '../admin/node-info.ts';
import { listenHttp, readBody, sendEmpty, sendJson } from '../core/http-json.ts';
import type { Logger } from '../log/logger.ts';
import { SERVER_TOKEN } from '../core/version.ts';

/**
 * The Status API (`status_listen`): read-only health for load balancers and orchestrators. `/status/ready`
 * answers 200 only once a configuration is loaded and every worker serves it.
 */
export async function startStatusServer(node: NodeContext, log: Logger): Promise<Server[]> {
  const servers: Server[] = [];
  for (const l of node.settings.status_listeners) {
    servers.push(await listenHttp(l, (req, res) => void handle(node, req, res)));
    log.info(`status API listening on ${l.listener}`);
  }
  return servers;
}

async function handle(node: NodeContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader('Server', SERVER_TOKEN);
  const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  if (method === 'POST' && path === '/status/ready') {
    await drainRequest(node, req, res);
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    sendJson(res, 405, { message: 'Method not allowed' });
    return;
  }
  switch (path) {
    case '/status': {
      let format: SizeFormat;
      try {
        format = parseSizeFormat(new URL(req.url ?? '/', 'http://status').searchParams);
      } catch (err) {
        sendJson(res, 400, { message: (err as Error).message });
        return;
      }
      sendJson(res, 200, await statusBody(node, format));
      return;
    }
    case '/status/ready': {
      const reason = node.notReadyReason();
      if (reason === null) sendJson(res, 200, { message: 'ready' });
      else sendJson(res, 503, { message: reason });
      return;
    }
    case '/metrics': {
      const text = await nodeMetricsText(node);
      res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Content-Length': String(Buffer.byteLength(text)) });
      res.end(method === 'HEAD' ? undefined : text);
      return;
    }
    case '/clustering/status': {
      const status = node.clustering?.status;
      if (status === undefined) sendJson(res, 404, { message: 'this node is not a data plane' });
      else sendJson(res, 200, status.call(node.clustering));
      return;
    }
    default:
      sendJson(res, 404, { message: 'Not found' });
  }
}

/** The largest body `POST /status/ready` reads: it carries one small field. */
const DRAIN_BODY_LIMIT = 4096;

/**
 * `POST /status/ready` with `status=draining` (JSON or a form) drains the node: 204, as Kong answers; anything
 * else is a 400.
 */
async function drainRequest(node: NodeContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let status: unknown;
  try {
    const text = (await readBody(req, DRAIN_BODY_LIMIT)).toString('utf8');
    const type = String(req.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('application/x-www-form-urlencoded')) status = new URLSearchParams(text).get('status');
    else if (text.trim() !== '') status = (JSON.parse(text) as { status?: unknown } | null)?.status;
  } catch {
    status = undefined;
  }
  if (status !== 'draining') {
    sendJson(res, 400, { message: "expected a body with status = 'draining'" });
    return;
  }
  node.drain();
  sendEmpty(res, 204);
}
