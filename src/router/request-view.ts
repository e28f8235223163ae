/**
 * The request as the matchers see it: one mutable object per router, refilled at the start of every
 * `match` call (matching is synchronous, so it is never shared between two requests). Keeping the
 * derived values here avoids allocating a context per request and computes each value once.
 */
import type { MatchInput } from './types.ts';

const EMPTY_HEADERS: MatchInput['headers'] = Object.freeze({});

function isDigits(text: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let index = from; index < to; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/** Header lines by lower-case name; a name sent on several lines gets every value, in order. */
function collectHeaderLines(raw: readonly string[]): Record<string, string | string[]> {
  const table: Record<string, string | string[]> = Object.create(null);
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index].toLowerCase();
    const value = raw[index + 1];
    const seen = table[name];
    if (seen === undefined) table[name] = value;
    else if (typeof seen === 'string') table[name] = [seen, value];
    else seen.push(value);
  }
  return table;
}

export class RequestView {
  method = '';
  /** Normalised request path. */
  path = '';
  /** Raw Host header ('' when absent). */
  host = '';
  hasHost = false;
  headers: MatchInput['headers'] = EMPTY_HEADERS;
  /** The header lines as received, or null (then `headers` is read). */
  rawHeaders: readonly string[] | null = null;
  /** Every value of every header line by lower-case name, built from `rawHeaders` on the first lookup. */
  collected: Record<string, string | string[]> | null = null;
  sni = '';
  scheme: 'http' | 'https' = 'http';

  // traditional flavor (Kong's split_port): the host without port, brackets peeled.
  hostNoPort = '';
  /** Length of the host part of `host` (before `:port`, brackets kept); wildcard tests run on it. */
  hostPartEnd = 0;
  /** Index of the first digit of an explicit port in `host`, or -1 when the scheme default applies. */
  portStart = -1;
  /** '80' or '443' for the request scheme. */
  defaultPortText = '80';

  // traditional_compatible flavor (split at the first ':' when a number follows).
  compatHost = '';
  compatPort = 0;

  /** Fills the fields shared by both flavors. */
  reset(input: MatchInput, normalizedPath: string): void {
    this.method = input.method;
    this.path = normalizedPath;
    this.host = input.host;
    this.hasHost = input.host !== '';
    this.headers = input.headers ?? EMPTY_HEADERS;
    this.rawHeaders = input.rawHeaders ?? null;
    this.collected = null;
    this.sni = input.sni;
    this.scheme = input.scheme;
  }

  /** A header's value, or its values when it was sent on several lines; undefined when absent. */
  headerValue(name: string): string | string[] | undefined {
    const raw = this.rawHeaders;
    if (raw === null) return this.headers[name];
    let table = this.collected;
    if (table === null) {
      table = collectHeaderLines(raw);
      this.collected = table;
    }
    return table[name];
  }

  /**
   * Splits the Host header like the traditional router: `[v6]:port` and `name:port` give a host without
   * port; a bracketed IPv6 address loses its brackets; anything unparseable is kept whole.
   */
  splitHostTraditional(): void {
    const raw = this.host;
    const length = raw.length;
    this.defaultPortText = this.scheme === 'https' ? '443' : '80';
    this.hostNoPort = raw;
    this.hostPartEnd = length;
    this.portStart = -1;
    if (length === 0) return;
    if (raw.charCodeAt(0) === 0x5b /* [ */) {
      if (raw.charCodeAt(length - 1) === 0x5d /* ] */) {
        this.hostNoPort = raw.slice(1, length - 1);
        return;
      }
      const close = raw.indexOf(']:', 1);
      if (close < 0) return;
      if (close === length - 2) {
        this.hostNoPort = raw.slice(1, close);
        this.hostPartEnd = close + 1;
      } else if (isDigits(raw, close + 2, length)) {
        this.hostNoPort = raw.slice(1, close);
        this.hostPartEnd = close + 1;
        this.portStart = close + 2;
      }
      return;
    }
    const colon = raw.indexOf(':');
    if (colon < 0) return;
    if (colon === length - 1) {
      this.hostNoPort = raw.slice(0, colon);
      this.hostPartEnd = colon;
    } else if (isDigits(raw, colon + 1, length)) {
      this.hostNoPort = raw.slice(0, colon);
      this.hostPartEnd = colon;
      this.portStart = colon + 1;
    }
  }

  /**
   * Splits the Host header like the traditional_compatible router: at the first `:` when a number
   * follows; without a port in the header, the listener's port is the destination port.
   */
  splitHostCompatible(listenerPort: number): void {
    const raw = this.host;
    this.compatHost = raw;
    this.compatPort = listenerPort;
    const colon = raw.indexOf(':');
    if (colon >= 0 && isDigits(raw, colon + 1, raw.length)) {
      this.compatHost = raw.slice(0, colon);
      this.compatPort = Number(raw.slice(colon + 1));
    }
  }

  /** Whether the port the traditional router sees (explicit, else the scheme default) equals `portText`. */
  portEquals(portText: string): boolean {
    if (this.portStart < 0) return portText === this.defaultPortText;
    return this.host.length - this.portStart === portText.length && this.host.startsWith(portText, this.portStart);
  }
}
