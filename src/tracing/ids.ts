/**
 * Trace and span ids as bytes (16 and 8, as Kong keeps them), cut from blocks of random bytes so that a
 * traced request costs no call into the system's random source, and no copy, per id. A block is never
 * refilled: the ids cut from it stay theirs.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 8192;
let pool = Buffer.alloc(0);
let offset = 0;

function randomBytes(n: number): Buffer {
  if (offset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    offset = 0;
  }
  const out = pool.subarray(offset, offset + n);
  offset += n;
  return out;
}

function nonZero(n: number): Buffer {
  for (;;) {
    const id = randomBytes(n);
    for (let i = 0; i < n; i++) if (id[i] !== 0) return id;
  }
}

export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;

export function newTraceId(): Buffer {
  return nonZero(TRACE_ID_BYTES);
}

export function newSpanId(): Buffer {
  return nonZero(SPAN_ID_BYTES);
}

/** Kong's `to_id_size`: longer ids keep their last bytes, shorter ones are padded with leading zero bytes. */
export function toIdSize(id: Buffer, size: number): Buffer {
  if (id.length === size) return id;
  if (id.length > size) return id.subarray(id.length - size);
  const out = Buffer.alloc(size);
  id.copy(out, size - id.length);
  return out;
}

/** Bytes of a hex string; an odd length gets a leading zero (Kong's `from_hex`). */
export function fromHex(hex: string): Buffer {
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
}

/** Bytes of an unsigned decimal (Datadog, GCP span ids), big-endian, at least one byte. */
export function fromDecimal(decimal: string): Buffer {
  let n = BigInt(decimal);
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  if (bytes.length === 0) bytes.push(0);
  return Buffer.from(bytes);
}

/** The unsigned decimal of big-endian bytes. */
export function toDecimal(bytes: Buffer): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n.toString(10);
}

export function isAllZero(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}
