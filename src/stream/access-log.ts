/**
 * The stream access log (`proxy_stream_access_log`), in Kong's `basic` format: one line per TCP connection or
 * UDP session when it ends —
 * `<client ip> [<time>] <TCP|UDP> <status> <bytes sent> <bytes received> <session seconds>`, with nginx's stream
 * statuses (200 proxied, 400 no route, 403 refused, 502 upstream unreachable, 503 route refused).
 */
import { nginxLocalTime } from '../log/access-log.ts';
import type { LogSink } from '../log/file-sink.ts';

export interface StreamSession {
  clientIp: string;
  protocol: 'TCP' | 'UDP';
  status: number;
  /** Bytes sent to the client. */
  bytesSent: number;
  /** Bytes received from the client. */
  bytesReceived: number;
  startedAt: number;
}

export type StreamLogWriter = (session: StreamSession) => void;

export function streamAccessLog(sink: LogSink): StreamLogWriter {
  return (s) => {
    const now = Date.now();
    sink.write(`${s.clientIp} [${nginxLocalTime(now)}] ${s.protocol} ${s.status} ${s.bytesSent} ${s.bytesReceived} ${((now - s.startedAt) / 1000).toFixed(3)}\n`);
  };
}

/** `proxy_stream_access_log`'s value: a path (or `off`) and an optional format, which can only be `basic`. */
export function streamAccessLogPath(value: string): string {
  return value.trim().split(/\s+/)[0];
}
