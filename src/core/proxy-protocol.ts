/**
 * The PROXY protocol v1 header (`PROXY TCP4 <src> <dst> <sport> <dport>\r\n`) a load balancer in front of
 * a `proxy_protocol` stream listener sends before the client's bytes: it carries the real client address.
 */

export type ProxyHeaderPeek =
  | { kind: 'more' }
  | { kind: 'invalid' }
  | { kind: 'header'; length: number; sourceIp: string | null; sourcePort: number | null; destinationIp: string | null; destinationPort: number | null };

/** The longest v1 header (spec: 107 bytes). */
const MAX_V1 = 107;

export function peekProxyHeader(data: Buffer): ProxyHeaderPeek {
  const end = data.indexOf('\r\n');
  if (end < 0) return data.length >= MAX_V1 || !'PROXY '.startsWith(data.toString('latin1', 0, Math.min(6, data.length))) ? { kind: 'invalid' } : { kind: 'more' };
  const parts = data.toString('latin1', 0, end).split(' ');
  if (parts[0] !== 'PROXY') return { kind: 'invalid' };
  if (parts[1] === 'UNKNOWN') return { kind: 'header', length: end + 2, sourceIp: null, sourcePort: null, destinationIp: null, destinationPort: null };
  if ((parts[1] !== 'TCP4' && parts[1] !== 'TCP6') || parts.length !== 6) return { kind: 'invalid' };
  const sourcePort = Number(parts[4]);
  const destinationPort = Number(parts[5]);
  if (!Number.isInteger(sourcePort) || !Number.isInteger(destinationPort)) return { kind: 'invalid' };
  return { kind: 'header', length: end + 2, sourceIp: parts[2], sourcePort, destinationIp: parts[3], destinationPort };
}
