/**
 * A cached response as stored: a small JSON head (status, headers, timestamps, the request body) and the body
 * bytes after it, so that bodies are stored as bytes, never re-encoded as text. The Admin API shows entries as
 * Kong's JSON objects (`status`, `headers`, `body`, `body_len`, `timestamp`, `ttl`, `version`, `req_body`).
 */

/** Kong's cache format version; an entry of another version is purged and answered `Bypass`. */
export const CACHE_VERSION = 1;

export type StoredHeaders = Record<string, string | string[]>;

export interface CachedResponse {
  readonly status: number;
  readonly headers: StoredHeaders;
  readonly body: Buffer;
  /** When it was stored, in whole seconds since the epoch (Kong's `ngx.time()`). */
  readonly timestamp: number;
  /** Seconds it is fresh for (the resource TTL with cache_control, else cache_ttl). */
  readonly ttl: number;
  readonly version: number;
  readonly reqBody: string | null;
}

interface Head {
  status: number;
  headers: StoredHeaders;
  timestamp: number;
  ttl: number;
  version: number;
  req_body: string | null;
}

/** The stored bytes: u32 head length, the head as JSON, then the body. */
export function encodeEntry(entry: CachedResponse): Buffer {
  const head: Head = { status: entry.status, headers: entry.headers, timestamp: entry.timestamp, ttl: entry.ttl, version: entry.version, req_body: entry.reqBody };
  const json = Buffer.from(JSON.stringify(head));
  const out = Buffer.allocUnsafe(4 + json.length + entry.body.length);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  entry.body.copy(out, 4 + json.length);
  return out;
}

/** Reads stored bytes back; null when they are not an entry (another format, or damaged). */
export function decodeEntry(value: string | Uint8Array): CachedResponse | null {
  if (typeof value === 'string') return null;
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (buf.length < 4) return null;
  const len = buf.readUInt32LE(0);
  if (4 + len > buf.length) return null;
  let head: Head;
  try {
    head = JSON.parse(buf.toString('utf8', 4, 4 + len)) as Head;
  } catch {
    return null;
  }
  if (head === null || typeof head !== 'object' || typeof head.status !== 'number' || typeof head.timestamp !== 'number') return null;
  return {
    status: head.status,
    headers: head.headers !== null && typeof head.headers === 'object' ? head.headers : {},
    body: buf.subarray(4 + len),
    timestamp: head.timestamp,
    ttl: typeof head.ttl === 'number' ? head.ttl : 0,
    version: typeof head.version === 'number' ? head.version : 0,
    reqBody: typeof head.req_body === 'string' ? head.req_body : null,
  };
}

/** The entry as Kong's Admin API shows it (the body as text). */
export function kongView(entry: CachedResponse): Record<string, unknown> {
  const view: Record<string, unknown> = {
    status: entry.status,
    headers: entry.headers,
    body: entry.body.toString('utf8'),
    body_len: entry.body.length,
    timestamp: entry.timestamp,
    ttl: entry.ttl,
    version: entry.version,
  };
  if (entry.reqBody !== null) view.req_body = entry.reqBody;
  return view;
}
