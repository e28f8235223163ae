/**
 * The PROXY protocol header a load balancer in front of a `proxy_protocol` listener sends before the client's
 * bytes: it carries the real client address. Version 1 is a text line (`PROXY TCP4 <src> <dst> <sport>
 * <dport>\r\n`); version 2 (AWS NLB, HAProxy `send-proxy-v2`) is binary. Both are read, as nginx reads both.
 */

export type ProxyHeaderPeek =
  | { kind: 'more' }
  | { kind: 'invalid' }
  | { kind: 'header'; length: number; sourceIp: string | null; sourcePort: number | null; destinationIp: string | null; destinationPort: number | null };

/** The longest v1 header (spec: 107 bytes). */
const MAX_V1 = 107;
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** Signature, version/command, family/transport and the 2-byte length. */
const V2_FIXED = 16;
/** A v2 header longer than this (addresses plus TLVs) is refused rather than buffered (nginx allows 4 KiB of TLVs). */
const MAX_V2 = V2_FIXED + 4096;
const V2_FAMILY_INET = 0x1;
const V2_FAMILY_INET6 = 0x2;

/** No address: a LOCAL command (the balancer's own health check) or an unknown family. */
function addressless(length: number): ProxyHeaderPeek {
  return { kind: 'header', length, sourceIp: null, sourcePort: null, destinationIp: null, destinationPort: null };
}

function peekV1(data: Buffer): ProxyHeaderPeek {
  const end = data.indexOf('\r\n');
  if (end < 0) return data.length >= MAX_V1 || !'PROXY '.startsWith(data.toString('latin1', 0, Math.min(6, data.length))) ? { kind: 'invalid' } : { kind: 'more' };
  const parts = data.toString('latin1', 0, end).split(' ');
  if (parts[0] !== 'PROXY') return { kind: 'invalid' };
  if (parts[1] === 'UNKNOWN') return addressless(end + 2);
  if ((parts[1] !== 'TCP4' && parts[1] !== 'TCP6') || parts.length !== 6) return { kind: 'invalid' };
  const sourcePort = Number(parts[4]);
  const destinationPort = Number(parts[5]);
  if (!Number.isInteger(sourcePort) || !Number.isInteger(destinationPort)) return { kind: 'invalid' };
  return { kind: 'header', length: end + 2, sourceIp: parts[2], sourcePort, destinationIp: parts[3], destinationPort };
}

function ipv6(data: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(data.readUInt16BE(at + i).toString(16));
  // The WHATWG URL parser writes the canonical (compressed) form, as nginx's $proxy_protocol_addr shows it.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

function peekV2(data: Buffer): ProxyHeaderPeek {
  if (data.length < V2_FIXED) return { kind: 'more' };
  const versionCommand = data[12];
  if (versionCommand >> 4 !== 2) return { kind: 'invalid' };
  const command = versionCommand & 0xf;
  const length = V2_FIXED + data.readUInt16BE(14);
  if (length > MAX_V2 || command > 1) return { kind: 'invalid' };
  if (data.length < length) return { kind: 'more' };
  const family = data[13] >> 4;
  if (command === 0) return addressless(length);
  if (family === V2_FAMILY_INET) {
    if (length < V2_FIXED + 12) return { kind: 'invalid' };
    const at = V2_FIXED;
    return {
      kind: 'header', length,
      sourceIp: `${data[at]}.${data[at + 1]}.${data[at + 2]}.${data[at + 3]}`,
      destinationIp: `${data[at + 4]}.${data[at + 5]}.${data[at + 6]}.${data[at + 7]}`,
      sourcePort: data.readUInt16BE(at + 8),
      destinationPort: data.readUInt16BE(at + 10),
    };
  }
  if (family === V2_FAMILY_INET6) {
    if (length < V2_FIXED + 36) return { kind: 'invalid' };
    const at = V2_FIXED;
    return { kind: 'header', length, sourceIp: ipv6(data, at), destinationIp: ipv6(data, at + 16), sourcePort: data.readUInt16BE(at + 32), destinationPort: data.readUInt16BE(at + 34) };
  }
  // UNSPEC or UNIX sockets: nothing an IP-based gateway can use; the connection's own peer stands.
  return addressless(length);
}

/** Reads the header at the start of `data` (v1 or v2), or says more bytes are needed or that it is not one. */
export function peekProxyHeader(data: Buffer): ProxyHeaderPeek {
  if (data.length === 0) return { kind: 'more' };
  if (data[0] !== V2_SIGNATURE[0]) return peekV1(data);
  const known = Math.min(data.length, V2_SIGNATURE.length);
  if (data.compare(V2_SIGNATURE, 0, known, 0, known) !== 0) return { kind: 'invalid' };
  return data.length < V2_SIGNATURE.length ? { kind: 'more' } : peekV2(data);
}
