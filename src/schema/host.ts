/**
 * Host and address parsing with Kong's rules (hostnames, IPv4, IPv6, optional port), used by the schema
 * typedefs (service hosts, route hosts, SNIs, upstream names, targets). Kong decides the kind of address by
 * exclusion (two or more colons: IPv6; digits and dots only: IPv4; else a name) and then checks it, so a
 * malformed IPv4 address is reported as such rather than accepted as a name.
 */

export type HostKind = 'ipv4' | 'ipv6' | 'name';

export interface ParsedHost {
  kind: HostKind;
  /** Normalised address: IPv4 without leading zeros, IPv6 fully expanded (no brackets), names as given. */
  host: string;
  port: number | null;
}

export type HostParseResult = { ok: true; value: ParsedHost } | { ok: false; error: string };

/** Kong's classification of an address text (it does not validate). */
export function hostKind(text: string): HostKind {
  let colons = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 58) colons++;
  if (colons > 1) return 'ipv6';
  if (/^[0-9.]+$/.test(text.replaceAll(':', ''))) return 'ipv4';
  return 'name';
}

const INVALID_PORT = 'invalid port number';

function parsePort(digits: string): number | null {
  const port = Number(digits);
  return port > 65535 ? null : port;
}

function parseIPv4(text: string): HostParseResult {
  const m = text.includes(':')
    ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d+)$/.exec(text)
    : /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return { ok: false, error: `invalid ipv4 address: ${text}` };
  const octets = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  if (octets.some((o) => o > 255)) return { ok: false, error: `invalid ipv4 address: ${text}` };
  let port: number | null = null;
  if (m[5] !== undefined) {
    port = parsePort(m[5]);
    if (port === null) return { ok: false, error: INVALID_PORT };
  }
  return { ok: true, value: { kind: 'ipv4', host: octets.join('.'), port } };
}

/** Expands an IPv6 address to eight 4-digit lower-case groups, or returns null when it is not one. */
export function expandIPv6(address: string): string | null {
  let check = address;
  if (check.startsWith(':')) check = `0${check}`;
  if (check.endsWith(':')) check = `${check}0`;
  const doubleColon = check.indexOf('::');
  if (doubleColon >= 0) {
    const colons = check.split(':').length - 1;
    const insert = `:${'0:'.repeat(Math.max(0, 8 - colons))}`;
    check = check.slice(0, doubleColon) + insert + check.slice(doubleColon + 2);
  }
  const groups = check.split(':');
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return groups.map((g) => g.padStart(4, '0').toLowerCase()).join(':');
}

function parseIPv6(text: string): HostParseResult {
  let address = text;
  let port: number | null = null;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { ok: false, error: `invalid ipv6 address: ${text}` };
    address = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      const m = /^:(\d+)$/.exec(rest);
      if (!m) return { ok: false, error: 'invalid ipv6 address' };
      port = parsePort(m[1]);
      if (port === null) return { ok: false, error: INVALID_PORT };
    }
  }
  const expanded = expandIPv6(address);
  if (expanded === null) return { ok: false, error: `invalid ipv6 address: ${text}` };
  return { ok: true, value: { kind: 'ipv6', host: expanded, port } };
}

function parseName(text: string): HostParseResult {
  let name = text;
  let port: number | null = null;
  const m = /:(\d+)$/.exec(text);
  if (m) {
    name = text.slice(0, m.index);
    port = parsePort(m[1]);
    if (port === null) return { ok: false, error: INVALID_PORT };
  }
  const invalid: HostParseResult = { ok: false, error: `invalid hostname: ${text}` };
  if (!/^[0-9A-Za-z\-._]+$/.test(name)) return invalid;
  // Labels may not end with a dash; only the last label may be empty (a trailing dot).
  const labels = name.split('.');
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label.endsWith('-') || (label === '' && i !== labels.length - 1)) return invalid;
  }
  return { ok: true, value: { kind: 'name', host: name, port } };
}

/** Parses `name`, `name:port`, IPv4 (with port), IPv6 or `[IPv6]:port` as Kong's `normalize_ip` does. */
export function parseHost(text: string): HostParseResult {
  const kind = hostKind(text);
  if (kind === 'ipv4') return parseIPv4(text);
  if (kind === 'ipv6') return parseIPv6(text);
  return parseName(text);
}

/** `host:port` text for a parsed address, brackets around IPv6; `defaultPort` when it has none. */
export function formatHost(parsed: ParsedHost, defaultPort: number | null): string {
  const port = parsed.port ?? defaultPort;
  const host = parsed.kind === 'ipv6' ? `[${parsed.host}]` : parsed.host;
  return port === null ? host : `${host}:${port}`;
}
