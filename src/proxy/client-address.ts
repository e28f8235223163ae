import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { ProxyOptions } from './options.ts';
import { proxiedAddress } from '../core/proxy-protocol-listener.ts';

/**
 * The client's address as Tollgate sees it: the peer's, unless the peer is trusted and names the real
 * client in `real_ip_header`, or (`real_ip_header = proxy_protocol`) in the connection's PROXY protocol
 * header (nginx's realip module semantics).
 */
export function realClientIp(peer: string, trusted: boolean, headers: IncomingHttpHeaders, options: ProxyOptions, socket: Socket): string {
  if (!trusted) return peer;
  if (options.realIpHeader === null) return proxiedAddress(socket)?.ip ?? peer;
  const value = headers[options.realIpHeader];
  if (value === undefined) return peer;
  const text = Array.isArray(value) ? value.join(',') : value;
  const parts = text.split(',');
  if (!options.realIpRecursive) {
    const last = parts[parts.length - 1].trim();
    return last === '' ? peer : last;
  }
  // Recursive: walk from the right, skipping addresses that are themselves trusted proxies.
  for (let i = parts.length - 1; i >= 0; i--) {
    const ip = parts[i].trim();
    if (ip === '') continue;
    if (i === 0 || !options.isTrusted(ip)) return ip;
  }
  return peer;
}

/** Strips the IPv4-mapped IPv6 prefix Node reports for IPv4 clients on dual-stack sockets. */
export function plainIp(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
