/**
 * `headers` and `headers_upstream`: which informational headers Tollgate adds. Entries are matched
 * case-insensitively; Kong's `X-Kong-*` spellings are accepted as aliases of our `X-Tollgate-*` names so
 * that a kong.conf carries over unchanged.
 */
import type { DownstreamHeaders, UpstreamHeaders } from './settings-types.ts';
import { InvalidValue, splitList } from './value-parsers.ts';

type DownstreamFlag = keyof DownstreamHeaders;

/** Header names as Tollgate sends them, per flag. */
export const DOWNSTREAM_HEADER_NAMES: Readonly<Record<DownstreamFlag, string>> = {
  server: 'Server',
  via: 'Via',
  proxyLatency: 'X-Tollgate-Proxy-Latency',
  responseLatency: 'X-Tollgate-Response-Latency',
  upstreamLatency: 'X-Tollgate-Upstream-Latency',
  adminLatency: 'X-Tollgate-Admin-Latency',
  upstreamStatus: 'X-Tollgate-Upstream-Status',
  requestId: 'X-Tollgate-Request-Id',
};

export const UPSTREAM_HEADER_NAMES: Readonly<Record<keyof UpstreamHeaders, string>> = {
  requestId: 'X-Tollgate-Request-Id',
};

/** Lower-cased `headers` entry → the flags it turns on. */
const TOKENS = new Map<string, readonly DownstreamFlag[]>([
  ['server_tokens', ['server', 'via']],
  ['latency_tokens', ['proxyLatency', 'responseLatency', 'adminLatency', 'upstreamLatency']],
]);
for (const [flag, name] of Object.entries(DOWNSTREAM_HEADER_NAMES) as [DownstreamFlag, string][]) {
  TOKENS.set(name.toLowerCase(), [flag]);
  if (name.startsWith('X-Tollgate-')) TOKENS.set(`x-kong-${name.slice('X-Tollgate-'.length).toLowerCase()}`, [flag]);
}

const UPSTREAM_TOKENS = new Map<string, keyof UpstreamHeaders>([
  ['x-tollgate-request-id', 'requestId'],
  ['x-kong-request-id', 'requestId'],
]);

/** Accepted `headers` entries, for messages and documentation. */
export const HEADER_ENTRIES: readonly string[] = ['off', 'server_tokens', 'latency_tokens', ...Object.values(DOWNSTREAM_HEADER_NAMES)];
/** Accepted `headers_upstream` entries. */
export const UPSTREAM_HEADER_ENTRIES: readonly string[] = ['off', ...Object.values(UPSTREAM_HEADER_NAMES)];

/**
 * Kong's reading of `off` in these lists: first, it turns every header off (whatever follows); anywhere else it
 * is ignored, so `server_tokens, off, X-Kong-Proxy-Latency` enables the other two, as in Kong.
 */
function offFirst(entries: readonly string[]): boolean {
  return entries.length > 0 && entries[0].toLowerCase() === 'off';
}

/** Validates a `headers` value and returns its entries as written. */
export function headerEntries(raw: string): string[] {
  const entries = splitList(raw);
  for (const entry of entries) {
    const token = entry.toLowerCase();
    if (token !== 'off' && !TOKENS.has(token)) {
      throw new InvalidValue(`unknown header '${entry}' (accepted: ${HEADER_ENTRIES.join(', ')}; X-Kong-* spellings also work)`);
    }
  }
  return entries;
}

/** Validates a `headers_upstream` value and returns its entries as written. */
export function upstreamHeaderEntries(raw: string): string[] {
  const entries = splitList(raw);
  for (const entry of entries) {
    const token = entry.toLowerCase();
    if (token !== 'off' && !UPSTREAM_TOKENS.has(token)) {
      throw new InvalidValue(`unknown header '${entry}' (accepted: ${UPSTREAM_HEADER_ENTRIES.join(', ')} or X-Kong-Request-Id)`);
    }
  }
  return entries;
}

/** Turns validated `headers` entries into one boolean per header. */
export function resolveDownstreamHeaders(entries: readonly string[]): DownstreamHeaders {
  const enabled: DownstreamHeaders = {
    server: false, via: false, proxyLatency: false, responseLatency: false,
    upstreamLatency: false, adminLatency: false, upstreamStatus: false, requestId: false,
  };
  if (offFirst(entries)) return enabled;
  for (const entry of entries) {
    for (const flag of TOKENS.get(entry.toLowerCase()) ?? []) enabled[flag] = true;
  }
  return enabled;
}

/** Turns validated `headers_upstream` entries into one boolean per header. */
export function resolveUpstreamHeaders(entries: readonly string[]): UpstreamHeaders {
  const enabled: UpstreamHeaders = { requestId: false };
  if (offFirst(entries)) return enabled;
  for (const entry of entries) {
    const flag = UPSTREAM_TOKENS.get(entry.toLowerCase());
    if (flag) enabled[flag] = true;
  }
  return enabled;
}
