/**
 * A minimal protobuf writer: the wire types OTLP needs (varint, fixed64, fixed32, double, length-delimited),
 * into one growing buffer. A nested message is written in place between `fork(field)` and `ldelim()`: no
 * buffer per message.
 */

export class ProtoWriter {
  #buf = Buffer.allocUnsafe(4096);
  #pos = 0;
  readonly #forks: number[] = [];

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  /** A varint of a non-negative value below 2^53. */
  #varint(value: number): void {
    this.#ensure(10);
    const buf = this.#buf;
    let pos = this.#pos;
    while (value > 0x7f) {
      buf[pos++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    buf[pos++] = value;
    this.#pos = pos;
  }

  /** A varint of any 64-bit value (negative ones as their two's complement, ten bytes). */
  #varint64(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    this.#ensure(10);
    while (v > 0x7fn) {
      this.#buf[this.#pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.#buf[this.#pos++] = Number(v);
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  /** An unsigned varint field (enums, counts), left out when zero. */
  uint(field: number, value: number): this {
    if (value === 0) return this;
    this.#tag(field, 0);
    this.#varint(value);
    return this;
  }

  /** A signed 64-bit varint field written even when zero (a oneof member must be present to be set). */
  int64Always(field: number, value: number): this {
    this.#tag(field, 0);
    if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) this.#varint(value);
    else this.#varint64(BigInt(value));
    return this;
  }

  /** A bool field written even when false (a oneof member). */
  boolAlways(field: number, value: boolean): this {
    this.#tag(field, 0);
    this.#varint(value ? 1 : 0);
    return this;
  }

  fixed64(field: number, value: bigint): this {
    if (value === 0n) return this;
    this.#tag(field, 1);
    this.#ensure(8);
    this.#buf.writeBigUInt64LE(BigInt.asUintN(64, value), this.#pos);
    this.#pos += 8;
    return this;
  }

  fixed32(field: number, value: number): this {
    if (value === 0) return this;
    this.#tag(field, 5);
    this.#ensure(4);
    this.#buf.writeUInt32LE(value >>> 0, this.#pos);
    this.#pos += 4;
    return this;
  }

  double(field: number, value: number): this {
    this.#tag(field, 1);
    this.#ensure(8);
    this.#buf.writeDoubleLE(value, this.#pos);
    this.#pos += 8;
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    if (value.length === 0) return this;
    return this.bytesAlways(field, value);
  }

  /** Length-delimited bytes written even when empty. */
  bytesAlways(field: number, value: Uint8Array): this {
    this.#tag(field, 2);
    this.#varint(value.length);
    this.#ensure(value.length);
    this.#buf.set(value, this.#pos);
    this.#pos += value.length;
    return this;
  }

  string(field: number, value: string): this {
    if (value === '') return this;
    return this.stringAlways(field, value);
  }

  /** A string field written even when empty (an empty string member of a oneof). */
  stringAlways(field: number, value: string): this {
    const length = Buffer.byteLength(value);
    this.#tag(field, 2);
    this.#varint(length);
    this.#ensure(length);
    this.#pos += this.#buf.write(value, this.#pos, 'utf8');
    return this;
  }

  /**
   * Starts nested message `field`: its tag, and one byte kept for its length (most OTLP messages are shorter
   * than 128 bytes, so `ldelim` rarely has to move anything).
   */
  fork(field: number): this {
    this.#tag(field, 2);
    this.#ensure(1);
    this.#forks.push(this.#pos++);
    return this;
  }

  /** Ends the nested message begun by the matching `fork` (written even when empty). */
  ldelim(): this {
    const at = this.#forks.pop()!;
    const start = at + 1;
    const length = this.#pos - start;
    if (length < 0x80) {
      this.#buf[at] = length;
      return this;
    }
    const extra = varintSize(length) - 1;
    this.#ensure(extra);
    this.#buf.copyWithin(start + extra, start, this.#pos);
    const end = this.#pos + extra;
    this.#pos = at;
    this.#varint(length);
    this.#pos = end;
    return this;
  }

  finish(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#pos));
  }
}

function varintSize(value: number): number {
  let size = 1;
  while (value > 0x7f) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}
