import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { nodeMetricsText, PROMETHEUS_CONTENT_TYPE, type NodeContext } from '../admin/context.ts';
import { parseSizeFormat, statusBody, type SizeFormat } from '../admin/node-info.ts';
import { listenHttp, readBody, sendEmpty, sendJson } from '../core/http-json.ts';
import type { Logger } from '../log/logger.ts';
import { SERVER_TOKEN } from '../core/version.ts';
import { listenAdminHttps, type AdminTlsOptions } from '../admin/admin-tls.ts';
import { readPem } from '../config/value-parsers.ts';
import type { Settings } from '../config/settings-types.ts';
import { withAccessLog } from '../log/listener-access-log.ts';
import { ensureDefaultCertificate } from '../tls/default-certificate.ts';
import { StatusUpstreamApi } from '../admin/status-upstream-api.ts';
import { writeStatusListeners } from './listeners-file.ts';
import { listenerTlsPolicy } from '../tls/listener-tls.ts';

/**
 * The Status API (`status_listen`): read-only health for load balancers and orchestrators. `/status/ready`
 * answers 200 only once a configuration is loaded and every worker serves it.
 */
export async function startStatusServer(node: NodeContext, log: Logger): Promise<Server[]> {
  const servers: Server[] = [];
  const settings = node.settings;
  // A DB-less node (data planes too) also shows its upstreams' targets and their health here, as Kong's does.
  const upstreams = settings.database === 'off' ? new StatusUpstreamApi(node, log) : null;
  const handler = withAccessLog(settings.status_access_log, settings.prefix, (req, res) => void handle(node, upstreams, req, res));
  let tls: AdminTlsOptions | undefined;
  for (const l of settings.status_listeners) {
    if (l.ssl) {
      tls ??= statusTlsOptions(settings);
      // `ssl http2` is honoured here, as Kong's Status API speaks HTTP/2 on such a listener.
      servers.push(await listenAdminHttps(l, tls, handler));
    } else {
      servers.push(await listenHttp(l, handler));
    }
    log.info(`status API listening on ${l.listener}`);
  }
  writeStatusListeners(settings.prefix, settings.status_listeners.map((l, i) => {
    const bound = servers[i]?.address();
    return { ip: l.ip, port: bound !== null && typeof bound === 'object' ? bound.port : l.port, ssl: l.ssl };
  }));
  return servers;
}

/** `status_ssl_cert`/`status_ssl_cert_key`, or the node's generated certificate, with the listener TLS policy. */
function statusTlsOptions(settings: Settings): AdminTlsOptions {
  const own = settings.status_ssl_cert.length > 0 && settings.status_ssl_cert_key.length > 0;
  const pair = own ? { cert: readPem(settings.status_ssl_cert[0]), key: readPem(settings.status_ssl_cert_key[0]) } : ensureDefaultCertificate(settings.prefix);
  const policy = listenerTlsPolicy(settings);
  return { ...pair, clientCa: null, minVersion: policy.minVersion, policy };
}

/** The Status API's own paths: another method on one of them is a 405, on any other path a 404. */
const OWN_PATHS = new Set(['/status', '/status/ready', '/metrics', '/clustering/status']);

async function handle(node: NodeContext, upstreams: StatusUpstreamApi | null, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader('Server', SERVER_TOKEN);
  const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  if (method === 'POST' && path === '/status/ready') {
    await drainRequest(node, req, res);
    return;
  }
  if (upstreams !== null && path.startsWith('/upstreams/')) {
    let url: URL | null = null;
    try {
      url = new URL(req.url ?? '/', 'http://status');
    } catch {
      // an unparsable target matches nothing: the 404 below
    }
    if (url !== null && (await upstreams.handle(req, res, url))) return;
  }
  if (!OWN_PATHS.has(path)) {
    sendJson(res, 404, { message: 'Not found' });
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
