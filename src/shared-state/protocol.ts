/**
 * The wire format between a worker and the node's shared-state server, over a Unix-domain socket: length-
 * prefixed binary frames, many per write. A frame is
 *
 *   u32 length of what follows | u8 op | u32 request id | op fields
 *
 * Keys and prefixes are the UTF-8 rest of the frame, so they need no length of their own. Numbers are f64
 * (little-endian). Replies carry the id of their request; one connection applies requests in order.
 */

export const Op = {
  // worker -> node
  HELLO: 1, // id: worker id; rest: token
  INCR: 2, // f64 by, f64 ttl ms, key
  COUNTER_GET: 3, // key
  COUNTER_DELETE: 4, // key
  CACHE_GET: 5, // key
  CACHE_SET: 6, // f64 ttl ms, u8 text?, u32 key bytes, key, value
  CACHE_DELETE: 7, // key
  CACHE_PURGE: 8, // prefix
  METRICS: 9, // id: the FLUSH it answers (0: periodic); rest: JSON MetricsPush, or nothing
  COUNTER_ADD: 10, // f64 by, f64 absolute expiry (epoch ms, 0: never), key; no reply (a sole worker's mirror)
  COUNTER_DUMP: 11, // answered with VALUE: JSON [key, value, expiresAt][] of every live counter
  // node -> worker
  OK: 20,
  NUMBER: 21, // f64
  VALUE: 22, // u8 text?, value
  MISS: 23,
  ERROR: 24, // UTF-8 message
  FLUSH: 25, // push metrics now, answering with METRICS and this id
} as const;

/** Bytes before the op fields: length, op, id. */
export const HEADER = 9;
/** The largest frame either side accepts; a peer sending more is cut off. */
export const MAX_FRAME = 512 * 1024 * 1024;

/**
 * Appends frames into one buffer; `take()` hands the bytes over for one socket write and starts a fresh
 * buffer (the socket may still hold the old one).
 */
export class FrameWriter {
  #buf: Buffer;
  #off = 0;

  constructor(initial = 16 * 1024) {
    this.#buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.#off;
  }

  #ensure(n: number): void {
    if (this.#off + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#off + n));
    this.#buf.copy(next, 0, 0, this.#off);
    this.#buf = next;
  }

  #header(op: number, id: number): number {
    const start = this.#off;
    this.#buf[start + 4] = op;
    this.#buf.writeUInt32LE(id >>> 0, start + 5);
    return start;
  }

  #end(start: number, end: number): void {
    this.#buf.writeUInt32LE(end - start - 4, start);
    this.#off = end;
  }

  /** A frame with no fields, or only a text rest (key, prefix, message, token, JSON). */
  text(op: number, id: number, text = ''): number {
    this.#ensure(HEADER + text.length * 3);
    const start = this.#header(op, id);
    const end = start + HEADER + (text.length === 0 ? 0 : this.#buf.write(text, start + HEADER, 'utf8'));
    this.#end(start, end);
    return id;
  }

  /** INCR (or COUNTER_ADD, with an absolute expiry): two numbers then the key. */
  incr(id: number, by: number, ttlMs: number, key: string, op: number = Op.INCR): number {
    this.#ensure(HEADER + 16 + key.length * 3);
    const start = this.#header(op, id);
    this.#buf.writeDoubleLE(by, start + HEADER);
    this.#buf.writeDoubleLE(ttlMs, start + HEADER + 8);
    const end = start + HEADER + 16 + this.#buf.write(key, start + HEADER + 16, 'utf8');
    this.#end(start, end);
    return id;
  }

  number(id: number, value: number): void {
    this.#ensure(HEADER + 8);
    const start = this.#header(Op.NUMBER, id);
    this.#buf.writeDoubleLE(value, start + HEADER);
    this.#end(start, start + HEADER + 8);
  }

  /** VALUE: the text flag then the bytes. */
  value(id: number, bytes: Uint8Array, text: boolean): void {
    this.#ensure(HEADER + 1 + bytes.byteLength);
    const start = this.#header(Op.VALUE, id);
    this.#buf[start + HEADER] = text ? 1 : 0;
    this.#buf.set(bytes, start + HEADER + 1);
    this.#end(start, start + HEADER + 1 + bytes.byteLength);
  }

  /** CACHE_SET: ttl, text flag, key length, key, value (text is written as UTF-8 directly). */
  cacheSet(id: number, key: string, value: string | Uint8Array, ttlMs: number): number {
    const text = typeof value === 'string';
    this.#ensure(HEADER + 13 + key.length * 3 + (text ? value.length * 3 : value.byteLength));
    const start = this.#header(Op.CACHE_SET, id);
    let p = start + HEADER;
    this.#buf.writeDoubleLE(ttlMs, p);
    this.#buf[p + 8] = text ? 1 : 0;
    const keyBytes = this.#buf.write(key, p + 13, 'utf8');
    this.#buf.writeUInt32LE(keyBytes, p + 9);
    p += 13 + keyBytes;
    if (text) p += value.length === 0 ? 0 : this.#buf.write(value, p, 'utf8');
    else {
      this.#buf.set(value, p);
      p += value.byteLength;
    }
    this.#end(start, p);
    return id;
  }

  /** The frames written so far, for one write; the writer starts over with a new buffer. */
  take(): Buffer {
    const out = this.#buf.subarray(0, this.#off);
    this.#buf = Buffer.allocUnsafe(Math.max(16 * 1024, Math.min(this.#buf.length, 1024 * 1024)));
    this.#off = 0;
    return out;
  }
}

/** Called per complete frame: `buf[start, end)` holds the op fields (after the header). */
export type FrameHandler = (op: number, id: number, buf: Buffer, start: number, end: number) => void;

/** Cuts a byte stream into frames; keeps a partial frame until the rest arrives. */
export class FrameReader {
  readonly #onFrame: FrameHandler;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes needed before the next frame can be read (4 until its length is known). */
  #need = 4;

  constructor(onFrame: FrameHandler) {
    this.#onFrame = onFrame;
  }

  /** Feeds bytes; throws when a frame is larger than MAX_FRAME (the connection is then unusable). */
  push(chunk: Buffer): void {
    let buf: Buffer;
    if (this.#pendingBytes === 0) buf = chunk;
    else {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      if (this.#pendingBytes < this.#need) return;
      buf = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32LE(off);
      if (len < HEADER - 4 || len > MAX_FRAME) throw new Error(`shared-state frame of ${len} bytes is out of bounds`);
      if (buf.length - off - 4 < len) {
        this.#need = 4 + len;
        break;
      }
      this.#onFrame(buf[off + 4], buf.readUInt32LE(off + 5), buf, off + HEADER, off + 4 + len);
      off += 4 + len;
      this.#need = 4;
    }
    if (off < buf.length) {
      // Keep only the remainder (copied when small, so that a large chunk is not held for a few bytes).
      const rest = buf.subarray(off);
      this.#pending.push(rest.length < 4096 ? Buffer.from(rest) : rest);
      this.#pendingBytes = rest.length;
    }
  }
}
