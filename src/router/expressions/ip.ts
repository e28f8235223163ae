/**
 * IP addresses and CIDR blocks as the expressions language compares them: an IPv4 value never equals an
 * IPv6 one (`::ffff:1.2.3.4` is IPv6 here), and a block's host bits must be zero.
 */
import { parseIPv4, parseIPv6Into } from '../../core/cidr.ts';
import type { CidrValue, IpValue } from './ast.ts';

function maskWord(prefixLength: number, word: number): number {
  const bits = Math.min(Math.max(prefixLength - word * 32, 0), 32);
  return bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/** Parses an address (`1.2.3.4`, `fd00::1`); null when it is neither. */
export function parseIp(text: string): IpValue | null {
  const v4 = parseIPv4(text);
  if (v4 >= 0) return { family: 4, words: [v4] };
  const words = [0, 0, 0, 0];
  return parseIPv6Into(text, words) ? { family: 6, words } : null;
}

/** Parses an address or CIDR literal; a string is the error message (Rust's wording). */
export function parseIpText(text: string): IpValue | CidrValue | string {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(address);
  if (ip === null) return address.includes(':') ? 'invalid IPv6 address syntax' : 'invalid IPv4 address syntax';
  if (slash < 0) return ip;
  const prefixLength = Number(text.slice(slash + 1));
  const max = ip.family === 4 ? 32 : 128;
  if (prefixLength > max) return `invalid length for network: Network length ${prefixLength} is too long for ${ip.family === 4 ? 'Ipv4' : 'Ipv6'} (maximum: ${max})`;
  for (let word = 0; word < ip.words.length; word++) {
    if ((ip.words[word] & ~maskWord(prefixLength, word)) !== 0) return 'host part of address was not zero';
  }
  return { family: ip.family, words: ip.words, prefixLength };
}

export function ipEquals(a: IpValue, b: IpValue): boolean {
  if (a.family !== b.family) return false;
  for (let word = 0; word < a.words.length; word++) if (a.words[word] !== b.words[word]) return false;
  return true;
}

/** Whether `ip` lies in `block`; false when the families differ. */
export function cidrContains(block: CidrValue, ip: IpValue): boolean {
  if (block.family !== ip.family) return false;
  for (let word = 0; word < block.words.length; word++) {
    if (((ip.words[word] & maskWord(block.prefixLength, word)) >>> 0) !== block.words[word]) return false;
  }
  return true;
}
