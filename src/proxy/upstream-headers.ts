import { SERVER_TOKEN } from '../core/version.ts';
import { HEADER_REQUEST_ID } from './options.ts';

/** What the proxy knows about the request when it builds the upstream headers. */
export interface ForwardContext {
  rawHeaders: readonly string[];
  httpVersion: string;
  /** Connecting peer, and whether it is in trusted_ips. */
  peer: string;
  trusted: boolean;
  /** Client address after real-IP resolution. */
  clientIp: string;
  scheme: 'http' | 'https';
  /** Host header without port, lower-cased (nginx's $host). */
  hostNoPort: string;
  listenerPort: number;
  rawPath: string;
  strippedPrefix: string | null;
  requestId: string | null;
  /** Keep Connection: Upgrade and Upgrade for WebSocket handshakes. */
  upgrade: boolean;
}

/**
 * Headers that apply to one connection only (RFC 9110 §7.6.1) or that the HTTP client frames itself;
 * never forwarded. X-Forwarded-* and friends are rebuilt below.
 */
const DROP = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'transfer-encoding',
  'trailer',
  'upgrade',
  'expect',
  // httpoxy: a CGI-style upstream would read it as its HTTP_PROXY setting; it is never meant for the upstream.
  'proxy',
  'x-real-ip',
  'via',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-path',
  'x-forwarded-prefix',
  'x-tollgate-request-id',
]);

const UPGRADE_KEEP = new Set(['upgrade']);

/**
 * Builds the flat `[name, value, ...]` header list sent upstream. Index 0/1 is the Host header, whose
 * value the caller sets per try (it depends on the chosen target).
 */
export function buildUpstreamHeaders(ctx: ForwardContext): string[] {
  const raw = ctx.rawHeaders;
  const out: string[] = ['host', ''];
  let xff: string | null = null;
  let xfProto: string | null = null;
  let xfHost: string | null = null;
  let xfPort: string | null = null;
  let xfPath: string | null = null;
  let xfPrefix: string | null = null;
  let via: string | null = null;
  let connectionTokens: string | null = null;
  let trailers = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    // HTTP/2 pseudo-headers (:method, :path, :authority, :scheme) are not headers to forward.
    if (name.charCodeAt(0) === 58) continue;
    const lower = name.toLowerCase();
    if (!DROP.has(lower)) {
      out.push(name, raw[i + 1]);
      continue;
    }
    const value = raw[i + 1];
    switch (lower) {
      case 'connection':
        connectionTokens = connectionTokens === null ? value : `${connectionTokens}, ${value}`;
        break;
      case 'upgrade':
        if (ctx.upgrade) out.push(name, value);
        break;
      case 'te':
        trailers ||= asksForTrailers(value);
        break;
      case 'via':
        via = via === null ? value : `${via}, ${value}`;
        break;
      case 'x-forwarded-for':
        xff = xff === null ? value : `${xff}, ${value}`;
        break;
      case 'x-forwarded-proto':
        xfProto ??= value;
        break;
      case 'x-forwarded-host':
        xfHost ??= value;
        break;
      case 'x-forwarded-port':
        xfPort ??= value;
        break;
      case 'x-forwarded-path':
        xfPath ??= value;
        break;
      case 'x-forwarded-prefix':
        xfPrefix ??= value;
        break;
      default:
        break;
    }
  }
  if (connectionTokens !== null) removeConnectionListed(out, connectionTokens, ctx.upgrade);
  const trusted = ctx.trusted;
  out.push('X-Real-IP', ctx.clientIp);
  // As Kong: a client's X-Forwarded-For is kept whoever sent it (appended to, with the connecting address), and
  // without one the header names the client (the real one when `real_ip_header` gave it).
  out.push('X-Forwarded-For', xff !== null ? `${xff}, ${ctx.peer}` : ctx.clientIp);
  out.push('X-Forwarded-Proto', trusted && xfProto !== null ? xfProto : ctx.scheme);
  out.push('X-Forwarded-Host', trusted && xfHost !== null ? xfHost : ctx.hostNoPort);
  out.push('X-Forwarded-Port', trusted && xfPort !== null ? xfPort : String(ctx.listenerPort));
  out.push('X-Forwarded-Path', trusted && xfPath !== null ? xfPath : ctx.rawPath);
  const prefix = trusted && xfPrefix !== null ? xfPrefix : ctx.strippedPrefix;
  if (prefix !== null) out.push('X-Forwarded-Prefix', prefix);
  // As Kong, which names the client's protocol as nginx reports it: `1.1`, `1.0`, and `2` for HTTP/2.
  const hop = `${ctx.httpVersion === '2.0' ? '2' : ctx.httpVersion} ${SERVER_TOKEN}`;
  out.push('Via', via === null ? hop : `${via}, ${hop}`);
  if (ctx.requestId !== null) out.push(HEADER_REQUEST_ID, ctx.requestId);
  // TE is hop-by-hop, but a client that accepts trailers says so to every hop: Kong passes on that one token.
  if (trailers) out.push('TE', 'trailers');
  // Kong's value, so that an upstream sees the handshake as it does behind Kong.
  if (ctx.upgrade) out.push('Connection', 'keep-alive, Upgrade');
  return out;
}

/** Whether a TE header lists the `trailers` token (RFC 9110 §10.1.4). */
export function asksForTrailers(te: string): boolean {
  for (const t of te.split(',')) {
    const semi = t.indexOf(';');
    if ((semi === -1 ? t : t.slice(0, semi)).trim().toLowerCase() === 'trailers') return true;
  }
  return false;
}

/** Removes headers the client named in its Connection header (they were meant for this hop only). */
function removeConnectionListed(out: string[], tokens: string, upgrade: boolean): void {
  const names = new Set<string>();
  for (const t of tokens.split(',')) {
    const n = t.trim().toLowerCase();
    if (n !== '' && n !== 'close' && n !== 'keep-alive' && !(upgrade && UPGRADE_KEEP.has(n))) names.add(n);
  }
  if (names.size === 0) return;
  for (let i = out.length - 2; i >= 2; i -= 2) {
    if (names.has(out[i].toLowerCase())) out.splice(i, 2);
  }
}

/** nginx's $host: the Host header without port, lower-cased. */
export function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return (end === -1 ? host : host.slice(0, end + 1)).toLowerCase();
  }
  const colon = host.indexOf(':');
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}
