/**
 * A cached response as stored: a small JSON head (status, headers, timestamps, the request body) and the body
 * bytes after it, so that bodies are stored as bytes, never re-encoded as text. A body larger than PART_BYTES is
 * stored in parts under keys of their own (`<key>:<generation>:<n>`), so that a hit can send it part by part and
 * a store never sends one huge value; the head then says how many parts there are. The Admin API shows entries
 * as Kong's JSON objects (`status`, `headers`, `body`, `body_len`, `timestamp`, `ttl`, `version`, `req_body`).
 */

/** Kong's cache format version; an entry of another version is purged and answered `Bypass`. */
export const CACHE_VERSION = 1;

/** Bodies up to this size are stored with their head; larger ones in parts of this size. */
export const PART_BYTES = 256 * 1024;

export type StoredHeaders = Record<string, string | string[]>;

export interface CachedResponse {
  readonly status: number;
  readonly headers: StoredHeaders;
  /** The body when it is stored with the head (`parts` is 0); empty otherwise. */
  readonly body: Buffer;
  readonly bodyLen: number;
  /** How many parts the body is stored in (0: with the head). */
  readonly parts: number;
  /** Distinguishes the parts of this entry from those of an entry stored before under the same key. */
  readonly generation: string;
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
  body_len: number;
  parts: number;
  generation: string;
}

/** The stored bytes: u32 head length, the head as JSON, then the body. */
export function encodeEntry(entry: CachedResponse): Buffer {
  const head: Head = {
    status: entry.status,
    headers: entry.headers,
    timestamp: entry.timestamp,
    ttl: entry.ttl,
    version: entry.version,
    req_body: entry.reqBody,
    body_len: entry.bodyLen,
    parts: entry.parts,
    generation: entry.generation,
  };
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
    bodyLen: typeof head.body_len === 'number' ? head.body_len : buf.length - 4 - len,
    parts: typeof head.parts === 'number' && head.parts > 0 ? head.parts : 0,
    generation: typeof head.generation === 'string' ? head.generation : '',
    timestamp: head.timestamp,
    ttl: typeof head.ttl === 'number' ? head.ttl : 0,
    version: typeof head.version === 'number' ? head.version : 0,
    reqBody: typeof head.req_body === 'string' ? head.req_body : null,
  };
}

/** The key of one part of an entry's body. */
export function partKey(key: string, generation: string, n: number): string {
  return `${key}:${generation}:${n}`;
}

/** How many parts a body of `length` bytes is stored in (0: with its head). */
export function partsFor(length: number): number {
  return length <= PART_BYTES ? 0 : Math.ceil(length / PART_BYTES);
}

/** The entry as Kong's Admin API shows it (the body as text; `body` is the whole body, parts joined). */
export function kongView(entry: CachedResponse, body: Buffer = entry.body): Record<string, unknown> {
  const view: Record<string, unknown> = {
    status: entry.status,
    headers: entry.headers,
    body: body.toString('utf8'),
    body_len: entry.bodyLen,
    timestamp: entry.timestamp,
    ttl: entry.ttl,
    version: entry.version,
  };
  if (entry.reqBody !== null) view.req_body = entry.reqBody;
  return view;
}
