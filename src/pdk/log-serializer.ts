/**
 * Builds Kong's log record (`kong.log.serialize()`) from a request's PDK state. Credentials in the
 * `Authorization` and `Proxy-Authorization` headers are replaced by `REDACTED`, as Kong does. Sizes are
 * nginx's: `request.size` counts the request line, headers and body (`$request_length`), `response.size` the
 * status line, headers and body (`$bytes_sent`); `upstream_status` is '' and `latencies.proxy` -1 when nothing
 * was proxied, as in Kong.
 */
import { STATUS_CODES } from 'node:http';
import type { PluginContext } from './context.ts';
import type { LogRecord } from './log-record.ts';

const REDACTED_HEADERS = ['authorization', 'proxy-authorization'];

function ms(n: number): number {
  return n <= 0 ? 0 : Math.round(n);
}

/** Bytes of a header block: `Name: value\r\n` per header, then the blank line. */
function headerBytes(flat: readonly string[]): number {
  let n = 2;
  for (let i = 0; i < flat.length; i += 2) n += flat[i].length + flat[i + 1].length + 4;
  return n;
}

/**
 * Sets an own property of a plain record. The record is an ordinary object rather than a null-prototype one
 * because JSON.stringify takes its fast path only for those (a quarter less time per record); a name such as
 * `__proto__` is then defined, never assigned, so it stays a field and never becomes the prototype.
 */
function define(out: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(out, name, { value, writable: true, enumerable: true, configurable: true });
  else out[name] = value;
}

/** Headers as Kong logs them (`get_headers`): lower-case names, repeated headers as arrays, at most `max` names. */
function headerRecord(raw: readonly string[], max: number): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    // Inherited members (`constructor`, `__proto__`) are neither strings nor arrays: such a name is new here.
    const seen: unknown = out[name];
    if (typeof seen === 'string') out[name] = [seen, raw[i + 1]];
    else if (Array.isArray(seen)) seen.push(raw[i + 1]);
    else {
      if (++count > max) break;
      define(out, name, raw[i + 1]);
    }
  }
  return out;
}

function queryObject(ctx: PluginContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of ctx.query()) define(out, name, value);
  return out;
}

/** Sets `value` at a dotted `path` of `record`, creating records on the way; `undefined` removes it. */
function setPath(record: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = record;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i];
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return;
    const next = node[key];
    if (next === null || typeof next !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if (last === '__proto__' || last === 'constructor' || last === 'prototype') return;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

export function serializeLog(ctx: PluginContext): LogRecord {
  const req = ctx.req;
  const tls = ctx.tlsSocket();
  const scheme = tls === null ? 'http' : 'https';
  const host = req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? '';
  const uri = req.url ?? '/';
  const requestHeaders = headerRecord(req.rawHeaders, 1000);
  for (const name of REDACTED_HEADERS) if (requestHeaders[name] !== undefined) requestHeaders[name] = 'REDACTED';
  const end = ctx.endedAt === 0 ? performance.now() : ctx.endedAt;
  const headersAt = ctx.upstreamHeadersAt;
  const proxied = headersAt !== 0;
  const proxy = proxied ? headersAt - ctx.upstreamDispatchedAt : 0;
  const receive = headersAt === 0 ? 0 : end - headersAt;
  const total = end - ctx.start;
  const downstream = ctx.downstream;
  const length = Number(req.headers['content-length'] ?? 0);
  const method = req.method ?? 'GET';
  // "METHOD URI HTTP/1.1\r\n" and "HTTP/1.1 200 OK\r\n".
  const requestLine = method.length + uri.length + 12;
  const status = downstream?.status ?? 0;
  const responseHead = downstream === null ? 0 : 15 + (STATUS_CODES[status]?.length ?? 0) + headerBytes(downstream.headers);
  const record: LogRecord = {
    request: {
      uri,
      url: `${scheme}://${host}${uri}`,
      querystring: queryObject(ctx),
      method,
      headers: requestHeaders,
      size: requestLine + headerBytes(req.rawHeaders) + (Number.isFinite(length) ? length : 0),
      id: ctx.requestId,
    },
    upstream_uri: ctx.upstreamTarget,
    upstream_status: ctx.upstream === null ? '' : String(ctx.upstream.status),
    response: {
      status,
      size: responseHead + (downstream?.size ?? 0),
      headers: headerRecord(downstream?.headers ?? [], 1000),
    },
    tries: ctx.tries.slice(),
    latencies: { request: ms(total), kong: ms(total - proxy - receive), proxy: proxied ? ms(proxy) : -1, receive: ms(receive) },
    client_ip: ctx.clientIp,
    started_at: Math.round(ctx.startedAt),
    workspace: '00000000-0000-0000-0000-000000000000',
    workspace_name: 'default',
    source: downstream === null ? 'kong' : downstream.source === 'service' ? 'upstream' : downstream.source,
  };
  if (tls !== null) {
    const cipher = tls.getCipher();
    record.request.tls = {
      version: tls.getProtocol() ?? '',
      cipher: cipher?.standardName ?? cipher?.name ?? '',
      client_verify: tls.authorized ? 'SUCCESS' : tls.getPeerCertificate()?.subject === undefined ? 'NONE' : 'FAILED',
    };
  }
  const routed = ctx.routed;
  if (routed?.route != null) record.route = routed.route;
  if (routed?.service != null) record.service = routed.service;
  if (ctx.consumer !== null) record.consumer = ctx.consumer as unknown as Readonly<Record<string, unknown>>;
  if (ctx.credential !== null) {
    const consumer = ctx.credential.consumer;
    record.authenticated_entity = consumer == null ? { id: ctx.credential.id } : { id: ctx.credential.id, consumer_id: consumer.id };
  }
  if (ctx.serializeEdits !== null) for (const [path, value] of ctx.serializeEdits) setPath(record, path, value);
  return record;
}
