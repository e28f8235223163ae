/**
 * `*_listen` values, Kong's syntax: `off`, or comma-separated entries `<ip>:<port> [flags]` where IPv6 is
 * written in brackets (`[::1]:8001`), `*` means every IPv4 address, and the flags are `ssl`, `http2`,
 * `reuseport`, `backlog=N`, `proxy_protocol`, `deferred` and `bind`.
 */
import { parseIPv4, parseIPv6Into } from '../core/cidr.ts';
import type { ListenAddress } from './settings-types.ts';
import { InvalidValue, splitList } from './value-parsers.ts';

/** The flags a listener entry accepts, as written in the configuration. */
export const LISTENER_FLAGS: readonly string[] = ['ssl', 'http2', 'reuseport', 'backlog=N', 'proxy_protocol', 'deferred', 'bind'];

const USAGE = `expected 'off' or a comma-separated list of '<ip>:<port> [${LISTENER_FLAGS.join('] [')}]'`;

const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;
const PORT = /^\d{1,5}$/;
const BACKLOG = /^backlog=(\d+)$/;

export function entryProblem(entry: string, reason: string): InvalidValue {
  return new InvalidValue(`entry '${entry}': ${reason}`);
}

/** The `<ip>:<port>` part of one entry; errors name the entry. */
export function parseHostPort(address: string, entry: string): { ip: string; port: number } {
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) throw entryProblem(entry, `missing ']' after the IPv6 address`);
    host = address.slice(1, close);
    if (address.charAt(close + 1) !== ':') throw entryProblem(entry, `missing ':<port>' after '${address.slice(0, close + 1)}'`);
    portText = address.slice(close + 2);
    if (!parseIPv6Into(host, [0, 0, 0, 0])) throw entryProblem(entry, `'${host}' is not an IPv6 address`);
    host = host.toLowerCase();
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0) throw entryProblem(entry, `missing ':<port>' (e.g. 0.0.0.0:8000)`);
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    if (host.includes(':')) throw entryProblem(entry, `IPv6 addresses must be written in brackets, e.g. [::1]:8000`);
    if (host === '*') {
      host = '0.0.0.0';
    } else if (/^[\d.]+$/.test(host)) {
      if (parseIPv4(host) < 0) throw entryProblem(entry, `'${host}' is not an IPv4 address`);
    } else if (!HOST_NAME.test(host)) {
      throw entryProblem(entry, `'${host}' is not an IP address or host name`);
    }
  }
  const port = PORT.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw entryProblem(entry, `port '${portText}' must be an integer between 0 and 65535`);
  return { ip: host, port };
}

function parseEntry(entry: string): ListenAddress {
  const tokens = entry.split(/\s+/);
  const address = tokens[0];
  const parsed: ListenAddress = {
    ...parseHostPort(address, entry),
    ssl: false,
    http2: false,
    reuseport: false,
    backlog: null,
    proxy_protocol: false,
    deferred: false,
    bind: false,
    listener: tokens.join(' '),
  };
  for (let i = 1; i < tokens.length; i++) {
    const flag = tokens[i];
    switch (flag) {
      case 'ssl':
      case 'http2':
      case 'reuseport':
      case 'proxy_protocol':
      case 'deferred':
      case 'bind':
        parsed[flag] = true;
        break;
      default: {
        const backlog = BACKLOG.exec(flag);
        if (backlog) {
          const n = Number(backlog[1]);
          if (!Number.isSafeInteger(n) || n < 1) throw entryProblem(entry, `backlog must be a positive integer`);
          parsed.backlog = n;
        } else {
          throw entryProblem(entry, `unknown flag '${flag}' (accepted: ${LISTENER_FLAGS.join(', ')})`);
        }
      }
    }
  }
  return parsed;
}

/**
 * Parses a `*_listen` value into listen addresses; `off` gives an empty list. Throws {@link InvalidValue}
 * naming the faulty entry.
 */
export function parseListenAddresses(raw: string): ListenAddress[] {
  return parseListenList(raw, USAGE, parseEntry);
}

/**
 * The entries of a listen setting (`proxy_listen`, `stream_listen`, ...), each parsed by `parse`; `off` alone
 * gives an empty list. `usage` completes the message of an empty value.
 */
export function parseListenList<T>(raw: string, usage: string, parse: (entry: string) => T): T[] {
  const entries = splitList(raw);
  if (entries.length === 0) throw new InvalidValue(`must not be empty (${usage}; 'off' disables it)`);
  if (entries.length === 1 && entries[0] === 'off') return [];
  return entries.map((entry) => {
    if (entry === 'off') throw entryProblem(entry, `'off' must be the only entry`);
    return parse(entry);
  });
}

/** A listen setting's own value: its entries as written, whitespace collapsed (`['off']` stays `['off']`, as Kong shows it). */
export function collapsedEntries(raw: string): string[] {
  return splitList(raw).map((entry) => entry.split(/\s+/).join(' '));
}

/** The setting's own value (see {@link collapsedEntries}), after checking that the entries parse. */
export function listenEntries(raw: string): string[] {
  parseListenAddresses(raw);
  return collapsedEntries(raw);
}
