/**
 * The values of the expression fields for one request, read from the router's RequestView and computed
 * at most once per request (query arguments, path segments, client address). One instance per router,
 * refilled by `reset` at the start of every match (matching is synchronous).
 */
import type { IpValue } from './ast.ts';
import { parseIp } from './ip.ts';
import type { RequestView } from '../request-view.ts';
import type { MatchInput } from '../types.ts';

export type FieldValue = string | number | IpValue;
/** A field's value(s) for the request, or undefined when the request has none. */
export type FieldValues = FieldValue | readonly FieldValue[] | undefined;
export type FieldReader = (request: ExpressionRequest) => FieldValues;

function decodeQueryPart(text: string): string {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    // Invalid escapes stay as written, byte by byte, as nginx's unescaping leaves them.
    return spaced.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/** At most this many arguments are read, as Kong's `lua_max_uri_args` default. */
const MAX_QUERY_ARGS = 100;

/** `a=1&a=2&b&c=` -> { a: ['1', '2'], b: '', c: '' } (a name without `=` counts as an empty value). */
export function parseQuery(query: string): Map<string, string | string[]> {
  const args = new Map<string, string | string[]>();
  if (query === '') return args;
  let count = 0;
  for (const part of query.split('&')) {
    if (part === '') continue;
    if (++count > MAX_QUERY_ARGS) break;
    const eq = part.indexOf('=');
    const name = decodeQueryPart(eq < 0 ? part : part.slice(0, eq));
    if (name === '') continue;
    const value = eq < 0 ? '' : decodeQueryPart(part.slice(eq + 1));
    const seen = args.get(name);
    if (seen === undefined) args.set(name, value);
    else if (typeof seen === 'string') args.set(name, [seen, value]);
    else seen.push(value);
  }
  return args;
}

/** Path segments as Kong splits them: after the leading '/', split on '/', trailing empty ones dropped. */
export function pathSegments(path: string): string[] {
  const segments = path.slice(1).split('/');
  while (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return segments;
}

export class ExpressionRequest {
  view!: RequestView;
  query = '';
  srcIpText: string | null = null;
  srcPort: number | undefined = undefined;
  dstIpText: string | null = null;
  #queries: Map<string, string | string[]> | null = null;
  #segments: string[] | null = null;
  #srcIp: IpValue | null | undefined = undefined;
  #dstIp: IpValue | null | undefined = undefined;

  reset(view: RequestView, input: MatchInput): void {
    this.view = view;
    this.query = input.query ?? '';
    this.srcIpText = input.srcIp ?? null;
    this.srcPort = input.srcPort;
    this.dstIpText = input.dstIp ?? null;
    this.#queries = null;
    this.#segments = null;
    this.#srcIp = undefined;
    this.#dstIp = undefined;
  }

  queries(): Map<string, string | string[]> {
    return (this.#queries ??= parseQuery(this.query));
  }

  segments(): string[] {
    return (this.#segments ??= pathSegments(this.view.path));
  }

  srcIp(): IpValue | null {
    if (this.#srcIp === undefined) this.#srcIp = this.srcIpText === null ? null : parseIp(this.srcIpText);
    return this.#srcIp;
  }

  dstIp(): IpValue | null {
    if (this.#dstIp === undefined) this.#dstIp = this.dstIpText === null ? null : parseIp(this.dstIpText);
    return this.#dstIp;
  }
}

function segmentReader(range: string): FieldReader {
  const underscore = range.indexOf('_');
  if (underscore < 0) {
    const index = Number(range);
    return (request) => request.segments()[index];
  }
  const from = Number(range.slice(0, underscore));
  const to = Number(range.slice(underscore + 1));
  return (request) => {
    const segments = request.segments();
    // Zero-based, both ends included; a range reaching past the last segment has no value.
    const last = segments.length - 1;
    if (from >= to || from > last || to > last) return undefined;
    return segments.slice(from, to + 1).join('/');
  };
}

/** The reader of a field the schema accepted (see schema.ts). */
export function fieldReader(field: string): FieldReader {
  switch (field) {
    case 'net.protocol':
      return (request) => request.view.scheme;
    case 'tls.sni':
      return (request) => (request.view.sni === '' ? undefined : request.view.sni);
    case 'http.method':
      return (request) => request.view.method;
    case 'http.host':
      return (request) => (request.view.hasHost ? request.view.compatHost : undefined);
    case 'http.path':
      return (request) => request.view.path;
    case 'http.path.segments.len':
      return (request) => request.segments().length;
    case 'net.src.ip':
      return (request) => request.srcIp() ?? undefined;
    case 'net.src.port':
      return (request) => request.srcPort;
    case 'net.dst.ip':
      return (request) => request.dstIp() ?? undefined;
    case 'net.dst.port':
      return (request) => request.view.compatPort;
  }
  if (field.startsWith('http.headers.')) {
    // Header names are compared in nginx's form: case-insensitive, `_` standing for `-`.
    const name = field.slice('http.headers.'.length).toLowerCase().replaceAll('_', '-');
    return (request) => request.view.headerValue(name);
  }
  if (field.startsWith('http.queries.')) {
    const name = field.slice('http.queries.'.length);
    return (request) => request.queries().get(name);
  }
  if (field.startsWith('http.path.segments.')) return segmentReader(field.slice('http.path.segments.'.length));
  throw new Error(`unknown expression field '${field}'`);
}
