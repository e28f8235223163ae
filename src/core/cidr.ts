/**
 * IP address and CIDR block matching, compiled once per configuration (`trusted_ips`, ACL-style plugins) and
 * asked once or more per request. Addresses are compared as unsigned 32-bit words: one word for IPv4, four
 * for IPv6, so that a check is a handful of integer operations and no allocation.
 *
 * Like nginx, an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, which Node reports for IPv4 clients on a
 * dual-stack socket) is treated as the IPv4 address it carries, and an IPv6 block inside `::ffff:0:0/96` is
 * treated as the IPv4 block it describes. So `10.0.0.0/8` matches both `10.1.2.3` and `::ffff:10.1.2.3`,
 * while `::/0` alone does not trust IPv4 clients (write `0.0.0.0/0, ::/0` to trust everyone).
 */

/** One parsed IP address or CIDR block, network bits only (host bits are cleared). */
export interface CidrBlock {
  family: 4 | 6;
  /** Address words, most significant first: one word for IPv4, four for IPv6; host bits cleared. */
  words: number[];
  /** Number of leading bits that must match: 0..32 for IPv4, 0..128 for IPv6. */
  prefixLength: number;
}

/** A compiled matcher: true when the address is inside one of the blocks it was compiled from. */
export type IpMatcher = (ip: string) => boolean;

const UNIX_SOCKET = 'unix:';

/**
 * Parses dotted-quad IPv4 text (`192.168.0.1`) into an unsigned 32-bit integer; -1 when the text is not
 * exactly that (octets 0..255, no leading zeros, nothing around it).
 */
export function parseIPv4(text: string): number {
  return parseIPv4Range(text, 0, text.length);
}

function parseIPv4Range(text: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // A leading zero would read as octal to some tools; refuse the ambiguity.
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses IPv6 text into `out` (four unsigned 32-bit words, most significant first). Accepts `::`
 * compression and a dotted IPv4 tail (`::ffff:1.2.3.4`); no brackets, no zone id. Returns false (leaving
 * `out` in an unspecified state) when the text is not an IPv6 address.
 */
export function parseIPv6Into(text: string, out: Uint32Array | number[]): boolean {
  const groups = SCRATCH_GROUPS;
  const length = text.length;
  if (length < 2) return false;
  let count = 0; // groups written so far
  let gapAt = -1; // group index where `::` sits
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gapAt = 0;
    i = 2;
    if (i === length) {
      out[0] = out[1] = out[2] = out[3] = 0;
      return true;
    }
  }
  while (i < length) {
    if (count === 8) return false;
    // Read one group: up to four hex digits, or a dotted IPv4 tail.
    let value = 0;
    let digits = 0;
    const groupStart = i;
    while (i < length) {
      const d = hexDigit(text.charCodeAt(i));
      if (d < 0) break;
      value = value * 16 + d;
      digits++;
      i++;
    }
    if (i < length && text.charCodeAt(i) === 46) {
      // IPv4 tail: must be the last thing and fill the last two groups.
      if (count > 6) return false;
      const v4 = parseIPv4Range(text, groupStart, length);
      if (v4 < 0) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = length;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    groups[count++] = value;
    if (i === length) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < length && text.charCodeAt(i) === 58) {
      if (gapAt >= 0) return false; // only one `::`
      gapAt = count;
      i++;
      if (i === length) break;
    } else if (i === length) {
      return false; // trailing single colon
    }
  }
  if (gapAt < 0) {
    if (count !== 8) return false;
  } else {
    if (count > 7) return false;
    const shift = 8 - count;
    for (let g = count - 1; g >= gapAt; g--) groups[g + shift] = groups[g];
    for (let g = gapAt; g < gapAt + shift; g++) groups[g] = 0;
  }
  out[0] = groups[0] * 65536 + groups[1];
  out[1] = groups[2] * 65536 + groups[3];
  out[2] = groups[4] * 65536 + groups[5];
  out[3] = groups[6] * 65536 + groups[7];
  return true;
}

// Parsing is synchronous and never re-entered, so one scratch buffer per module is safe.
const SCRATCH_GROUPS = new Uint32Array(8);

/** True for `::ffff:a.b.c.d` in word form: 80 zero bits, then 16 one bits. */
function isV4Mapped(words: ArrayLike<number>): boolean {
  return words[0] === 0 && words[1] === 0 && words[2] === 0xffff;
}

function maskWord(prefixLength: number, wordIndex: number): number {
  const bits = prefixLength - wordIndex * 32;
  if (bits >= 32) return 0xffffffff;
  if (bits <= 0) return 0;
  return (0xffffffff << (32 - bits)) >>> 0;
}

function parsePrefixLength(text: string, max: number): number {
  if (text.length === 0 || text.length > 3) return -1;
  if (text.length > 1 && text.charCodeAt(0) === 48) return -1;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n <= max ? n : -1;
}

/**
 * Parses an IP address (`10.0.0.1`, `::1`) or CIDR block (`10.0.0.0/8`, `2001:db8::/32`). Host bits after
 * the prefix are cleared, as nginx does. IPv6 blocks inside `::ffff:0:0/96` come back as IPv4 blocks.
 * Returns null when the text is neither.
 */
export function parseIpOrCidr(text: string): CidrBlock | null {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const v4 = parseIPv4(address);
  if (v4 >= 0) {
    const prefixLength = slash < 0 ? 32 : parsePrefixLength(text.slice(slash + 1), 32);
    if (prefixLength < 0) return null;
    return { family: 4, words: [(v4 & maskWord(prefixLength, 0)) >>> 0], prefixLength };
  }
  const words = [0, 0, 0, 0];
  if (!parseIPv6Into(address, words)) return null;
  const prefixLength = slash < 0 ? 128 : parsePrefixLength(text.slice(slash + 1), 128);
  if (prefixLength < 0) return null;
  if (prefixLength >= 96 && isV4Mapped(words)) {
    const v4PrefixLength = prefixLength - 96;
    return { family: 4, words: [(words[3] & maskWord(v4PrefixLength, 0)) >>> 0], prefixLength: v4PrefixLength };
  }
  for (let w = 0; w < 4; w++) words[w] = (words[w] & maskWord(prefixLength, w)) >>> 0;
  return { family: 6, words, prefixLength };
}

/** True when the text is an IPv4/IPv6 address or CIDR block that {@link parseIpOrCidr} accepts. */
export function isValidIpOrCidr(text: string): boolean {
  return parseIpOrCidr(text) !== null;
}

/**
 * Compiles a list of IP addresses, CIDR blocks and the special entry `unix:` (any UNIX-domain socket peer)
 * into a matcher for request time. Throws a TypeError naming the first entry that is none of these.
 *
 * The matcher takes the peer address as Node reports it (`socket.remoteAddress`): IPv4, IPv6 (a `%zone`
 * suffix is ignored) or IPv4-mapped IPv6. Pass `'unix:'` for a UNIX-domain socket peer. Anything it cannot
 * parse does not match.
 */
export function compileIpMatcher(list: readonly string[]): IpMatcher {
  let unix = false;
  let allV4 = false;
  let allV6 = false;
  const v4Networks: number[] = [];
  const v4Masks: number[] = [];
  // Eight numbers per IPv6 rule: four network words, then four mask words.
  const v6Rules: number[] = [];
  for (const raw of list) {
    const entry = raw.trim();
    if (entry === UNIX_SOCKET) {
      unix = true;
      continue;
    }
    const block = parseIpOrCidr(entry);
    if (block === null) {
      throw new TypeError(`invalid IP address or CIDR block '${raw}' (expected e.g. 10.0.0.0/8, 2001:db8::/32 or 'unix:')`);
    }
    if (block.family === 4) {
      if (block.prefixLength === 0) allV4 = true;
      v4Networks.push(block.words[0]);
      v4Masks.push(maskWord(block.prefixLength, 0));
    } else {
      if (block.prefixLength === 0) allV6 = true;
      for (let w = 0; w < 4; w++) v6Rules.push(block.words[w]);
      for (let w = 0; w < 4; w++) v6Rules.push(maskWord(block.prefixLength, w));
    }
  }

  const v4Count = v4Networks.length;
  const v6Length = v6Rules.length;
  if (v4Count === 0 && v6Length === 0 && !unix) return () => false;

  const networks = Uint32Array.from(v4Networks);
  const masks = Uint32Array.from(v4Masks);
  const rules = Uint32Array.from(v6Rules);
  const words = new Uint32Array(4);

  function matchV4(address: number): boolean {
    if (allV4) return true;
    for (let r = 0; r < v4Count; r++) {
      if (((address & masks[r]) >>> 0) === networks[r]) return true;
    }
    return false;
  }

  function matchV6(): boolean {
    if (allV6) return true;
    for (let r = 0; r < v6Length; r += 8) {
      if (
        ((words[0] & rules[r + 4]) >>> 0) === rules[r] &&
        ((words[1] & rules[r + 5]) >>> 0) === rules[r + 1] &&
        ((words[2] & rules[r + 6]) >>> 0) === rules[r + 2] &&
        ((words[3] & rules[r + 7]) >>> 0) === rules[r + 3]
      ) {
        return true;
      }
    }
    return false;
  }

  return function matchIp(ip: string): boolean {
    if (typeof ip !== 'string' || ip.length === 0) return false;
    if (ip.indexOf(':') < 0) {
      const v4 = parseIPv4(ip);
      return v4 >= 0 && v4Count > 0 && matchV4(v4);
    }
    if (ip.startsWith(UNIX_SOCKET)) return unix;
    const zone = ip.indexOf('%');
    if (!parseIPv6Into(zone < 0 ? ip : ip.slice(0, zone), words)) return false;
    if (isV4Mapped(words)) return v4Count > 0 && matchV4(words[3]);
    return v6Length > 0 && matchV6();
  };
}
