/**
 * `kong.service`: the request Tollgate sends upstream (`kong.service.request`, before it is sent) and the
 * response the upstream gave (`kong.service.response`).
 */
import type { PluginContext } from './context.ts';
import type { BodyMimeType, HeaderMap, KongService, KongServiceRequest, KongServiceResponse, ParsedBody } from './kong.ts';
import type { QueryValue } from './query.ts';
import { AFTER_RESPONSE, BEFORE_PROXY, checkPhase } from './phase-rules.ts';
import { clearLowerHeader, getHeader } from './header-list.ts';
import { argLimits, headerMap, truncated } from './request-api.ts';
import { mimeTypeOf, parseJsonBody, serializeBody, toBuffer } from './body.ts';

/** The upstream header list starts with the Host slot, which the proxy fills per try. */
const HOST_SLOT_END = 2;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Header names already found valid, with their lower-case form. Plugins set the same few names on every
 * request (`X-Consumer-ID`, ...): each is checked and lower-cased once, not per call. Bounded, since a plugin
 * may also set names taken from requests.
 */
const validNames = new Map<string, string>();
const VALID_NAMES_MAX = 1024;

/** The lower-case form of a valid header name; throws on an invalid one. */
function checkName(name: unknown, call: string): string {
  if (typeof name === 'string') {
    const known = validNames.get(name);
    if (known !== undefined) return known;
    if (TOKEN.test(name)) {
      const lower = name.toLowerCase();
      if (validNames.size < VALID_NAMES_MAX) validNames.set(name, lower);
      return lower;
    }
  }
  throw new Error(`${call}: invalid header name ${JSON.stringify(name)}`);
}

/** Whether a header value holds CR, LF or NUL (a loop: values are short, and most hold no control byte at all). */
function hasForbiddenByte(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 13 && (c === 13 || c === 10 || c === 0)) return true;
  }
  return false;
}

function checkValue(value: unknown, call: string): string {
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
  if (text === null || hasForbiddenByte(text)) throw new Error(`${call}: invalid header value for ${JSON.stringify(value)}`);
  return text;
}

function encodeQuery(args: Readonly<Record<string, QueryValue | number | boolean>>): string {
  const parts: string[] = [];
  for (const name of Object.keys(args).sort()) {
    const value = args[name];
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (v === true) parts.push(encodeURIComponent(name));
      else if (v !== false) parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(v))}`);
    }
  }
  return parts.join('&');
}

class ServiceRequestApi implements KongServiceRequest {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }

  #check(call: string): void {
    checkPhase(this.#ctx.phaseBit, BEFORE_PROXY, call);
  }

  #path(): string {
    const t = this.#ctx.upstreamTarget;
    const q = t.indexOf('?');
    return q === -1 ? t : t.slice(0, q);
  }

  #query(): string {
    const t = this.#ctx.upstreamTarget;
    const q = t.indexOf('?');
    return q === -1 ? '' : t.slice(q + 1);
  }

  enableBuffering(): void {
    this.#check('kong.service.request.enable_buffering');
    this.#ctx.buffered = true;
  }
  setScheme(scheme: 'http' | 'https'): void {
    this.#check('kong.service.request.set_scheme');
    if (scheme !== 'http' && scheme !== 'https') throw new Error(`kong.service.request.set_scheme: invalid scheme '${String(scheme)}': must be 'http' or 'https'`);
    this.#ctx.schemeOverride = scheme;
  }
  setPath(path: string): void {
    this.#check('kong.service.request.set_path');
    if (typeof path !== 'string' || !path.startsWith('/') || /[\s?#]/.test(path)) throw new Error('kong.service.request.set_path: path must start with / and contain no spaces, ? or #');
    const query = this.#query();
    this.#ctx.upstreamTarget = query === '' ? path : `${path}?${query}`;
  }
  setRawQuery(query: string): void {
    this.#check('kong.service.request.set_raw_query');
    if (typeof query !== 'string' || /[\s#]/.test(query)) throw new Error('kong.service.request.set_raw_query: query must be a string without spaces or #');
    const path = this.#path();
    this.#ctx.upstreamTarget = query === '' ? path : `${path}?${query}`;
    this.#ctx.queryChanged();
  }
  setMethod(method: string): void {
    this.#check('kong.service.request.set_method');
    if (typeof method !== 'string' || !/^[A-Z]+$/.test(method)) throw new Error('kong.service.request.set_method: method must be an upper-case HTTP method');
    this.#ctx.upstreamMethod = method;
  }
  setQuery(args: Readonly<Record<string, QueryValue | number | boolean>>): void {
    this.#check('kong.service.request.set_query');
    const query = encodeQuery(args);
    const path = this.#path();
    this.#ctx.upstreamTarget = query === '' ? path : `${path}?${query}`;
    this.#ctx.queryChanged();
  }
  clearQueryArg(name: string): void {
    this.#check('kong.service.request.clear_query_arg');
    const kept = this.#query()
      .split('&')
      .filter((part) => {
        if (part === '') return false;
        const eq = part.indexOf('=');
        let key = eq === -1 ? part : part.slice(0, eq);
        try {
          key = decodeURIComponent(key.replace(/\+/g, ' '));
        } catch {
          // keep the raw name
        }
        return key !== name;
      });
    const path = this.#path();
    this.#ctx.upstreamTarget = kept.length === 0 ? path : `${path}?${kept.join('&')}`;
    this.#ctx.queryChanged();
  }
  setHeader(name: string, value: string | number | boolean): void {
    this.#check('kong.service.request.set_header');
    const lower = checkName(name, 'kong.service.request.set_header');
    const v = checkValue(value, 'kong.service.request.set_header');
    if (lower === 'host') {
      this.#ctx.upstreamHost = v;
      return;
    }
    const list = this.#ctx.upstreamHeaders;
    clearLowerHeader(list, lower, HOST_SLOT_END);
    list.push(name, v);
    this.#ctx.headerChanged('set', lower, v);
  }
  addHeader(name: string, value: string | number | boolean): void {
    this.#check('kong.service.request.add_header');
    const lower = checkName(name, 'kong.service.request.add_header');
    const v = checkValue(value, 'kong.service.request.add_header');
    if (lower === 'host') this.#ctx.upstreamHost = v;
    else {
      this.#ctx.upstreamHeaders.push(name, v);
      this.#ctx.headerChanged('add', lower, v);
    }
  }
  clearHeader(name: string): void {
    this.#check('kong.service.request.clear_header');
    const lower = checkName(name, 'kong.service.request.clear_header');
    clearLowerHeader(this.#ctx.upstreamHeaders, lower, HOST_SLOT_END);
    this.#ctx.headerChanged('clear', lower, '');
  }
  setHeaders(headers: Readonly<Record<string, string | number | boolean | readonly string[]>>): void {
    this.#check('kong.service.request.set_headers');
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (Array.isArray(value)) {
        this.clearHeader(name);
        for (const v of value as readonly string[]) this.addHeader(name, v);
      } else this.setHeader(name, value as string | number | boolean);
    }
  }
  setRawBody(body: string | Uint8Array): void {
    this.#check('kong.service.request.set_raw_body');
    if (typeof body !== 'string' && !(body instanceof Uint8Array)) throw new Error('kong.service.request.set_raw_body: body must be a string');
    this.#ctx.upstreamBody = toBuffer(body);
  }
  setBody(args: ParsedBody, mimetype?: BodyMimeType): void {
    this.#check('kong.service.request.set_body');
    const ctx = this.#ctx;
    const contentType = mimetype ?? getHeader(ctx.upstreamHeaders, 'content-type');
    const mime = mimeTypeOf(contentType);
    if (mime === '') throw new Error('kong.service.request.set_body: the request has no Content-Type and no mimetype was given');
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1] ?? `tollgate${ctx.requestId}`;
    ctx.upstreamBody = serializeBody(args, mime, boundary);
    if (mimetype !== undefined) {
      this.setHeader('Content-Type', mime === 'multipart/form-data' ? `${mime}; boundary=${boundary}` : mime);
    }
  }
}

class ServiceResponseApi implements KongServiceResponse {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }

  #check(call: string): void {
    checkPhase(this.#ctx.phaseBit, AFTER_RESPONSE, call);
  }

  getStatus(): number | undefined {
    this.#check('kong.service.response.get_status');
    return this.#ctx.upstream?.status;
  }
  getHeader(name: string): string | undefined {
    this.#check('kong.service.response.get_header');
    const upstream = this.#ctx.upstream;
    return upstream === null ? undefined : getHeader(upstream.headers, name);
  }
  getHeaders(maxHeaders?: number): HeaderMap {
    this.#check('kong.service.response.get_headers');
    const ctx = this.#ctx;
    return headerMap(ctx.upstream?.headers ?? [], maxHeaders ?? argLimits(ctx).responseHeaders, () => truncated(ctx, 'response headers truncated'));
  }
  #body(call: string): Buffer {
    this.#check(call);
    const body = this.#ctx.upstream?.body;
    if (body === undefined || body === null) {
      throw new Error(`${call}: the upstream response was not buffered (define a response phase or call kong.service.request.enable_buffering in access)`);
    }
    return body;
  }
  getRawBody(): string {
    return this.#body('kong.service.response.get_raw_body').toString('utf8');
  }
  getBody(mimetype?: BodyMimeType): ParsedBody | undefined {
    const body = this.#body('kong.service.response.get_body');
    const mime = mimetype ?? mimeTypeOf(this.getHeader('content-type'));
    if (mime === 'application/json' || mime.endsWith('+json')) return parseJsonBody(body);
    throw new Error(`kong.service.response.get_body: unsupported content type '${mime}'`);
  }
}

/** A host name, an IPv4 address or an IPv6 address (bracketed or not): nothing that could smuggle a path or port. */
const TARGET_HOST = /^(?:[A-Za-z0-9_.-]+|\[?[0-9A-Fa-f:.]+\]?)$/;

export class ServiceApi implements KongService {
  readonly #ctx: PluginContext;
  #request: ServiceRequestApi | null = null;
  #response: ServiceResponseApi | null = null;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  get request(): KongServiceRequest {
    return (this.#request ??= new ServiceRequestApi(this.#ctx));
  }
  get response(): KongServiceResponse {
    return (this.#response ??= new ServiceResponseApi(this.#ctx));
  }
  setTarget(host: string, port: number): void {
    checkPhase(this.#ctx.phaseBit, BEFORE_PROXY, 'kong.service.set_target');
    if (typeof host !== 'string' || host === '' || !TARGET_HOST.test(host)) throw new Error('kong.service.set_target: host must be a host name or an IP address');
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('kong.service.set_target: port must be an integer between 0 and 65535');
    this.#ctx.targetOverride = { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
  }
}
