/**
 * A minimal protobuf writer: just the wire types OTLP needs (varint, fixed64, fixed32, double,
 * length-delimited). Nested messages are written into their own writer and copied in as bytes, which keeps
 * the writer simple; OTLP batches are small enough for that.
 */

export class ProtoWriter {
  #chunks: Buffer[] = [];
  #length = 0;

  #push(buf: Buffer): void {
    this.#chunks.push(buf);
    this.#length += buf.length;
  }

  #varint(value: bigint | number): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    while (v > 0x7fn) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.#push(Buffer.from(bytes));
  }

  #tag(field: number, wire: number): void {
    this.#varint((field << 3) | wire);
  }

  uint(field: number, value: number | bigint): this {
    if (value === 0 || value === 0n) return this;
    this.#tag(field, 0);
    this.#varint(value);
    return this;
  }

  /** A varint written even when zero (a oneof member must be present to be set). */
  varintAlways(field: number, value: number | bigint): this {
    this.#tag(field, 0);
    this.#varint(value);
    return this;
  }

  bool(field: number, value: boolean): this {
    if (!value) return this;
    this.#tag(field, 0);
    this.#varint(1);
    return this;
  }

  fixed64(field: number, value: bigint): this {
    if (value === 0n) return this;
    this.#tag(field, 1);
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, value));
    this.#push(b);
    return this;
  }

  fixed32(field: number, value: number): this {
    if (value === 0) return this;
    this.#tag(field, 5);
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(value >>> 0);
    this.#push(b);
    return this;
  }

  double(field: number, value: number): this {
    this.#tag(field, 1);
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleLE(value);
    this.#push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    if (value.length === 0) return this;
    return this.bytesAlways(field, value);
  }

  /** Length-delimited bytes written even when empty (an empty string member of a oneof). */
  bytesAlways(field: number, value: Uint8Array): this {
    this.#tag(field, 2);
    this.#varint(value.length);
    this.#push(Buffer.from(value.buffer, value.byteOffset, value.length));
    return this;
  }

  string(field: number, value: string): this {
    if (value === '') return this;
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** A nested message, written even when empty (a present but empty message differs from an absent one). */
  message(field: number, inner: ProtoWriter): this {
    const buf = inner.finish();
    this.#tag(field, 2);
    this.#varint(buf.length);
    if (buf.length > 0) this.#push(buf);
    return this;
  }

  finish(): Buffer {
    return this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks, this.#length);
  }
}
