/**
 * Raw bodies for Kong JavaScript plugins. Kong 3.x sends `get_raw_body` over its bridge as bytes (a
 * `Uint8Array`, typed `Buffer` in kong-js-pdk), while plugins written for earlier Kong, and Kong's own
 * examples (`requestBody.replace(...)`), treat it as text. The value handed out is a real `Buffer` (so
 * `TextDecoder`, `Buffer.concat`, `length` in bytes and indexing work as on Kong 3.x) whose prototype adds the
 * string methods a Buffer lacks, applied to its UTF-8 text (so `body.toUpperCase()` works as on earlier Kong).
 */

const textualPrototype: object = Object.create(Buffer.prototype) as object;
for (const name of Object.getOwnPropertyNames(String.prototype)) {
  const method = (String.prototype as unknown as Record<string, unknown>)[name];
  if (name === 'constructor' || name in Buffer.prototype || typeof method !== 'function') continue;
  Object.defineProperty(textualPrototype, name, {
    value: function (this: Buffer, ...args: unknown[]): unknown {
      return (method as (...a: unknown[]) => unknown).apply(this.toString('utf8'), args);
    },
    writable: true,
    configurable: true,
  });
}

/** A Buffer with the String methods it lacks. */
export type TextualBytes = Buffer & Omit<string, keyof Buffer>;

/** The bytes as a Buffer that also answers String's methods (`replace`, `toUpperCase`, `split`, ...) on its text. */
export function textualBytes(bytes: Uint8Array | string): TextualBytes {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  Object.setPrototypeOf(buffer, textualPrototype);
  return buffer as TextualBytes;
}
