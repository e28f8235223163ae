/** `kong.request`: the client's request as it arrived, read-only. */
import type { PluginContext } from './context.ts';
import type { BodyMimeType, HeaderMap, KongRequest, ParsedBody } from './kong.ts';
import type { QueryValue } from './query.ts';
import { BEFORE_PROXY, checkPhase, REQUEST_BODY, REQUEST_PHASES } from './phase-rules.ts';
import { BodyLimitError, BodyTooLargeError, parseBody, readRequestBody } from './body.ts';
import { normalizePath } from '../core/uri.ts';
import { sameName } from './header-list.ts';

/** Headers as Kong's `get_headers` gives them: lower-case names, repeated headers as arrays. */
export function headerMap(raw: readonly string[], max = 100): HeaderMap {
  const out: HeaderMap = Object.create(null);
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const seen = out[name];
    if (seen === undefined) {
      if (++count > max) break;
      out[name] = raw[i + 1];
    } else if (Array.isArray(seen)) seen.push(raw[i + 1]);
    else out[name] = [seen, raw[i + 1]];
  }
  return out;
}

function firstHeader(raw: readonly string[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (let i = 0; i < raw.length; i += 2) if (sameName(raw[i], lower)) return raw[i + 1];
  return undefined;
}

function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

export class RequestApi implements KongRequest {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }

  #check(call: string): void {
    checkPhase(this.#ctx.phaseBit, REQUEST_PHASES, call);
  }

  /** Whether X-Forwarded-* may be believed: the peer is in trusted_ips. */
  #trusted(): boolean {
    const peer = this.#ctx.req.socket.remoteAddress ?? '';
    return this.#ctx.env.isTrusted(peer.startsWith('::ffff:') ? peer.slice(7) : peer);
  }

  #forwarded(name: string): string | undefined {
    return this.#trusted() ? firstHeader(this.#ctx.req.rawHeaders, name) : undefined;
  }

  getScheme(): string {
    this.#check('kong.request.get_scheme');
    return this.#ctx.tlsSocket() === null ? 'http' : 'https';
  }
  getHost(): string {
    this.#check('kong.request.get_host');
    const headers = this.#ctx.req.headers;
    const host = headers.host ?? (headers[':authority'] as string | undefined) ?? '';
    return hostWithoutPort(host).toLowerCase();
  }
  getPort(): number {
    this.#check('kong.request.get_port');
    return this.#ctx.req.socket.localPort ?? 0;
  }
  getForwardedScheme(): string {
    this.#check('kong.request.get_forwarded_scheme');
    return this.#forwarded('x-forwarded-proto')?.split(',')[0].trim().toLowerCase() ?? this.getScheme();
  }
  getForwardedHost(): string {
    this.#check('kong.request.get_forwarded_host');
    const host = this.#forwarded('x-forwarded-host')?.split(',')[0].trim();
    return host === undefined ? this.getHost() : hostWithoutPort(host).toLowerCase();
  }
  getForwardedPort(): number {
    this.#check('kong.request.get_forwarded_port');
    const port = Number(this.#forwarded('x-forwarded-port')?.split(',')[0].trim());
    if (Number.isInteger(port) && port > 0 && port < 65536) return port;
    const own = this.getPort();
    return this.#ctx.env.hostPorts?.[own] ?? own;
  }
  getForwardedPath(): string {
    this.#check('kong.request.get_forwarded_path');
    return this.#forwarded('x-forwarded-path') ?? this.getPath();
  }
  getForwardedPrefix(): string | undefined {
    this.#check('kong.request.get_forwarded_prefix');
    return this.#forwarded('x-forwarded-prefix');
  }
  getHttpVersion(): number {
    this.#check('kong.request.get_http_version');
    const req = this.#ctx.req;
    return req.httpVersionMajor + req.httpVersionMinor / 10;
  }
  getMethod(): string {
    this.#check('kong.request.get_method');
    return this.#ctx.req.method ?? 'GET';
  }
  getPath(): string {
    this.#check('kong.request.get_path');
    return normalizePath(this.#ctx.rawPath);
  }
  getRawPath(): string {
    this.#check('kong.request.get_raw_path');
    return this.#ctx.rawPath;
  }
  getPathWithQuery(): string {
    this.#check('kong.request.get_path_with_query');
    const ctx = this.#ctx;
    return ctx.rawQuery === '' ? ctx.rawPath : `${ctx.rawPath}?${ctx.rawQuery}`;
  }
  getRawQuery(): string {
    this.#check('kong.request.get_raw_query');
    const ctx = this.#ctx;
    return ctx.queryEdited ? ctx.upstreamQuery() : ctx.rawQuery;
  }
  getQueryArg(name: string): QueryValue | undefined {
    this.#check('kong.request.get_query_arg');
    return this.#ctx.query().get(name);
  }
  getQuery(maxArgs = 100): Record<string, QueryValue> {
    this.#check('kong.request.get_query');
    const out: Record<string, QueryValue> = Object.create(null);
    let n = 0;
    for (const [name, value] of this.#ctx.query()) {
      if (++n > maxArgs) break;
      out[name] = value;
    }
    return out;
  }
  getHeader(name: string): string | undefined {
    this.#check('kong.request.get_header');
    const edited = this.#ctx.editedHeaderValues(name.toLowerCase());
    if (edited !== undefined) return edited[0];
    return firstHeader(this.#ctx.req.rawHeaders, name);
  }
  getHeaders(maxHeaders = 100): HeaderMap {
    this.#check('kong.request.get_headers');
    const ctx = this.#ctx;
    const headers = headerMap(ctx.req.rawHeaders, maxHeaders);
    const edits = ctx.headerEdits;
    if (edits !== null) {
      for (let i = 1; i < edits.length; i += 3) {
        const name = edits[i];
        const values = ctx.editedHeaderValues(name)!;
        if (values.length === 0) delete headers[name];
        else headers[name] = values.length === 1 ? values[0] : values;
      }
    }
    return headers;
  }
  getHeaderValues(name: string): string[] {
    this.#check('kong.request.get_header');
    const lower = name.toLowerCase();
    return this.#ctx.editedHeaderValues(lower) ?? this.#ctx.clientHeaderValues(lower);
  }
  async getRawBody(): Promise<string> {
    return (await this.getRawBodyBytes()).toString('utf8');
  }
  getRawBodyBytes(): Promise<Buffer> {
    const ctx = this.#ctx;
    checkPhase(ctx.phaseBit, REQUEST_BODY, 'kong.request.get_raw_body');
    const limit = ctx.bodyLimit;
    if (ctx.requestBody !== null) {
      if (limit !== null && ctx.requestBody.length > limit.maxBytes) return Promise.reject(new BodyLimitError(limit.status, limit.message));
      return Promise.resolve(ctx.requestBody);
    }
    const bounded = limit !== null && limit.maxBytes < ctx.env.maxBodyBytes;
    ctx.requestBodyRead ??= readRequestBody(ctx.req, bounded ? limit.maxBytes : ctx.env.maxBodyBytes).then(
      (body) => {
        ctx.requestBody = body;
        return body;
      },
      (err: unknown) => {
        // Past a plugin's bound the request gets that plugin's answer, not a 500.
        if (bounded && err instanceof BodyTooLargeError) throw new BodyLimitError(limit.status, limit.message);
        throw err;
      },
    );
    return ctx.requestBodyRead;
  }
  limitBodySize(maxBytes: number, status: number, message: string): void {
    const ctx = this.#ctx;
    checkPhase(ctx.phaseBit, BEFORE_PROXY, 'kong.request.limit_body_size');
    if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new Error('kong.request.limit_body_size: maxBytes must be a non-negative integer');
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new Error('kong.request.limit_body_size: status must be an integer between 400 and 599');
    const current = ctx.bodyLimit;
    if (current === null || maxBytes < current.maxBytes) ctx.bodyLimit = { maxBytes, status, message };
  }
  async getBody(mimetype?: BodyMimeType, maxArgs?: number): Promise<ParsedBody> {
    checkPhase(this.#ctx.phaseBit, REQUEST_BODY, 'kong.request.get_body');
    const body = await this.getRawBodyBytes();
    return parseBody(body, this.#ctx.req.headers['content-type'], mimetype, maxArgs);
  }
  getUriCaptures(): { unnamed: string[]; named: Record<string, string> } {
    this.#check('kong.request.get_uri_captures');
    const captures = this.#ctx.routed?.uriCaptures ?? null;
    const unnamed: string[] = [];
    const named: Record<string, string> = {};
    if (captures !== null) {
      for (const key of Object.keys(captures)) {
        if (/^\d+$/.test(key)) unnamed[Number(key)] = captures[key];
        else named[key] = captures[key];
      }
    }
    return { unnamed, named };
  }
  getStartTime(): number {
    this.#check('kong.request.get_start_time');
    return this.#ctx.startedAt;
  }
  getRequestId(): string {
    this.#check('kong.request.get_request_id');
    return this.#ctx.requestId;
  }
}
