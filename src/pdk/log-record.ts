/**
 * Kong's log record (`kong.log.serialize()`), the body http-log, file-log and the other log plugins send:
 * request, response, route, service, consumer, latencies, tries, client address and start time.
 */

export interface LogRecordTry {
  ip: string;
  port: number;
  balancer_start: number;
  balancer_latency: number;
  state?: string;
  code?: number;
}

export interface LogRecord {
  request: {
    uri: string;
    url: string;
    querystring: Record<string, unknown>;
    method: string;
    headers: Record<string, string | string[]>;
    size: number;
    id: string;
    tls?: { version: string; cipher: string; client_verify: string };
  };
  upstream_uri: string;
  /** The upstream's status as text; '' when nothing was proxied. */
  upstream_status: string;
  response: {
    status: number;
    size: number;
    headers: Record<string, string | string[]>;
  };
  tries: LogRecordTry[];
  latencies: { request: number; kong: number; proxy: number; receive: number };
  route?: Readonly<Record<string, unknown>>;
  service?: Readonly<Record<string, unknown>>;
  consumer?: Readonly<Record<string, unknown>>;
  authenticated_entity?: { id: string; consumer_id?: string };
  client_ip: string;
  started_at: number;
  workspace: string;
  workspace_name: string;
  source: 'upstream' | 'kong' | 'exit' | 'error';
  [extra: string]: unknown;
}
