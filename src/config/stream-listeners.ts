/**
 * `stream_listen`, Kong's syntax: `off`, or comma-separated `<ip>:<port> [ssl] [udp] [reuseport] [backlog=N]
 * [proxy_protocol] [bind]` entries. A separate parser from the HTTP listeners' because the flags differ:
 * `udp` exists only here, and `http2`/`deferred` make no sense for raw streams.
 */
import { collapsedEntries, entryProblem, parseHostPort, parseListenList } from './listeners.ts';
import { InvalidValue } from './value-parsers.ts';

/** One parsed `stream_listen` entry. */
export interface StreamListenAddress {
  ip: string;
  port: number;
  /** TLS terminated here with the node's certificates (tcp listeners only). */
  ssl: boolean;
  /** A UDP socket instead of a TCP listener. */
  udp: boolean;
  reuseport: boolean;
  backlog: number | null;
  proxy_protocol: boolean;
  bind: boolean;
  /** The entry as written (whitespace collapsed). */
  listener: string;
}

export const STREAM_LISTENER_FLAGS: readonly string[] = ['ssl', 'udp', 'reuseport', 'backlog=N', 'proxy_protocol', 'bind'];

const USAGE = `expected 'off' or a comma-separated list of '<ip>:<port> [${STREAM_LISTENER_FLAGS.join('] [')}]'`;
const BACKLOG = /^backlog=(\d+)$/;

function parseEntry(entry: string): StreamListenAddress {
  const tokens = entry.split(/\s+/);
  const parsed: StreamListenAddress = {
    ...parseHostPort(tokens[0], entry),
    ssl: false,
    udp: false,
    reuseport: false,
    backlog: null,
    proxy_protocol: false,
    bind: false,
    listener: tokens.join(' '),
  };
  for (const flag of tokens.slice(1)) {
    switch (flag) {
      case 'ssl':
      case 'udp':
      case 'reuseport':
      case 'proxy_protocol':
      case 'bind':
        parsed[flag] = true;
        break;
      default: {
        const backlog = BACKLOG.exec(flag);
        if (backlog === null) throw entryProblem(entry, `unknown flag '${flag}' (accepted: ${STREAM_LISTENER_FLAGS.join(', ')})`);
        const n = Number(backlog[1]);
        if (!Number.isSafeInteger(n) || n < 1) throw entryProblem(entry, 'backlog must be a positive integer');
        parsed.backlog = n;
      }
    }
  }
  // Kong has no DTLS: an `ssl` UDP listener would silently be plain UDP there; refusing it says so.
  if (parsed.udp && parsed.ssl) throw entryProblem(entry, `'ssl' cannot be combined with 'udp' (no DTLS); use two entries`);
  if (parsed.udp && parsed.proxy_protocol) throw entryProblem(entry, `'proxy_protocol' cannot be combined with 'udp'`);
  return parsed;
}

/** Parses a `stream_listen` value; `off` gives an empty list. Throws {@link InvalidValue} naming the entry. */
export function parseStreamListenAddresses(raw: string): StreamListenAddress[] {
  return parseListenList(raw, USAGE, parseEntry);
}

/** The setting's own value: the entries as written, whitespace collapsed, after checking that they parse. */
export function streamListenEntries(raw: string): string[] {
  parseStreamListenAddresses(raw);
  return collapsedEntries(raw);
}

/**
 * `proxy_stream_access_log`: `<path> [basic]` or `off` (Kong's syntax; `basic` is the only stream log format).
 * The value is kept as written, whitespace collapsed.
 */
export function streamAccessLogValue(raw: string): string {
  const words = raw.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) throw new InvalidValue(`must not be empty ('<path> [basic]' or 'off')`);
  if (words.length > 2 || (words.length === 2 && words[1] !== 'basic')) {
    throw new InvalidValue(`expected '<path> [basic]' or 'off' ('basic' is the only stream log format)`);
  }
  return words.join(' ');
}
