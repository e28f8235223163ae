/**
 * Access logs of the node's own HTTP listeners (Status API, Kong Manager): nginx's combined line, as the
 * Admin API's `admin_access_log`, written when each response finishes. `off` logs nothing and costs nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AccessLog } from './access-log.ts';
import { openLogSink } from './file-sink.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Writes the response's combined line to `log` once it has finished. */
export function logWhenFinished(log: AccessLog, req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () =>
    log.write({
      clientIp: req.socket.remoteAddress ?? '-',
      method: req.method ?? '-',
      url: req.url ?? '-',
      httpVersion: req.httpVersion,
      status: res.statusCode,
      bytesSent: Number(res.getHeader('content-length') ?? 0),
      referer: req.headers.referer,
      userAgent: req.headers['user-agent'],
      requestId: '-',
    }),
  );
}

/** `handler`, logging every response to `setting` (a path relative to `prefix` unless absolute, or `off`). */
export function withAccessLog(setting: string, prefix: string, handler: Handler): Handler {
  if (setting === 'off') return handler;
  const log = new AccessLog(openLogSink(setting, prefix));
  return (req, res) => {
    logWhenFinished(log, req, res);
    handler(req, res);
  };
}
