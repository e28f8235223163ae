/**
 * Request path normalisation and upstream path escaping, with Kong's semantics
 * (`kong/tools/uri.lua`): the normalised path is what routes are matched against, and its escaped form is
 * what goes upstream.
 *
 * Strings here are JavaScript strings of Unicode characters. Percent-decoded bytes are read as UTF-8;
 * a byte that is not part of a valid UTF-8 sequence stays percent-encoded (upper-case hex), where Kong
 * would produce a raw byte. The escaper encodes characters as UTF-8, so both ends agree.
 */

const PERCENT = 0x25;
const SLASH = 0x2f;
const DOT = 0x2e;

/** Bytes that keep their percent-encoding when normalising: RFC 3986 reserved characters plus `%`. */
const KEEP_ENCODED = new Uint8Array(128);
for (const ch of "!*'();:@&=+$,/?%#[]") KEEP_ENCODED[ch.charCodeAt(0)] = 1;

/** ASCII characters sent upstream as they are; everything else is percent-encoded. */
const SAFE_UPSTREAM = new Uint8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!#$&'()*+,/:;=?@[]%") {
  SAFE_UPSTREAM[ch.charCodeAt(0)] = 1;
}

const HEX_UPPER = '0123456789ABCDEF';

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** The byte encoded by the `%XX` triplet at `index`, or -1 when there is none. */
function tripletAt(path: string, index: number): number {
  if (index + 2 >= path.length || path.charCodeAt(index) !== PERCENT) return -1;
  const high = hexValue(path.charCodeAt(index + 1));
  if (high < 0) return -1;
  const low = hexValue(path.charCodeAt(index + 2));
  if (low < 0) return -1;
  return (high << 4) | low;
}

function encodedByte(byte: number): string {
  return '%' + HEX_UPPER[byte >> 4] + HEX_UPPER[byte & 15];
}

/** How many continuation bytes a UTF-8 lead byte announces, or -1 for a byte that cannot lead. */
function utf8Continuations(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 1;
  if (lead >= 0xe0 && lead <= 0xef) return 2;
  if (lead >= 0xf0 && lead <= 0xf4) return 3;
  return -1;
}

/**
 * Decodes a UTF-8 sequence of `%XX` triplets starting at `index` (whose lead byte is `lead`).
 * Returns the character and the number of source characters consumed, or null when the bytes
 * do not form one valid, shortest-form UTF-8 character.
 */
function decodeUtf8Triplets(path: string, index: number, lead: number): [string, number] | null {
  const continuations = utf8Continuations(lead);
  if (continuations < 0) return null;
  let codePoint = lead & (0x3f >> continuations);
  for (let k = 1; k <= continuations; k++) {
    const byte = tripletAt(path, index + 3 * k);
    if (byte < 0x80 || byte > 0xbf) return null;
    codePoint = (codePoint << 6) | (byte & 0x3f);
  }
  // Reject overlong forms, surrogates and values above U+10FFFF.
  if (continuations === 2 && (codePoint < 0x800 || (codePoint >= 0xd800 && codePoint <= 0xdfff))) return null;
  if (continuations === 3 && (codePoint < 0x10000 || codePoint > 0x10ffff)) return null;
  return [String.fromCodePoint(codePoint), 3 * (continuations + 1)];
}

/** Step 1 of normalisation: decode every `%XX` except reserved characters, which get upper-case hex. */
function decodeUnreserved(path: string): string {
  let out = '';
  let copiedUpTo = 0;
  let index = path.indexOf('%');
  while (index >= 0) {
    const byte = tripletAt(path, index);
    if (byte < 0) {
      index = path.indexOf('%', index + 1);
      continue;
    }
    out += path.slice(copiedUpTo, index);
    let consumed = 3;
    if (byte < 0x80) {
      out += KEEP_ENCODED[byte] === 1 ? encodedByte(byte) : String.fromCharCode(byte);
    } else {
      const decoded = decodeUtf8Triplets(path, index, byte);
      if (decoded === null) {
        out += encodedByte(byte);
      } else {
        out += decoded[0];
        consumed = decoded[1];
      }
    }
    copiedUpTo = index + consumed;
    index = path.indexOf('%', copiedUpTo);
  }
  return copiedUpTo === 0 ? path : out + path.slice(copiedUpTo);
}

/**
 * Steps 2 and 3: RFC 3986 dot-segment removal with runs of `/` merged, in the exact order Kong applies
 * its rules (so odd inputs like `/..//x` or `a/../b` come out the same).
 */
function removeDotSegments(path: string): string {
  const segments: string[] = [];
  const length = path.length;
  let index = 0;
  while (index < length) {
    const remaining = length - index;
    const c1 = path.charCodeAt(index);
    const c2 = remaining > 1 ? path.charCodeAt(index + 1) : -1;
    const c3 = remaining > 2 ? path.charCodeAt(index + 2) : -1;
    const c4 = remaining > 3 ? path.charCodeAt(index + 3) : -1;
    if (remaining === 2 && c1 === SLASH && c2 === DOT) {
      segments.push('/');
      break;
    } else if (remaining === 3 && c1 === SLASH && c2 === DOT && c3 === DOT) {
      segments.pop();
      segments.push('/');
      break;
    } else if ((remaining === 1 && c1 === DOT) || (remaining === 2 && c1 === DOT && c2 === DOT)) {
      break;
    } else if (c1 === DOT && c2 === DOT && c3 === SLASH) {
      index += 3;
    } else if (c1 === DOT && c2 === SLASH) {
      index += 2;
    } else if (c1 === SLASH && c2 === DOT && c3 === SLASH) {
      index += 2;
    } else if (c1 === SLASH && c2 === DOT && c3 === DOT && c4 === SLASH) {
      index += 3;
      segments.pop();
    } else if (c1 === SLASH && c2 === SLASH) {
      index += 1;
    } else {
      const next = path.indexOf('/', index + 1);
      const end = next < 0 ? length : next;
      segments.push(path.slice(index, end));
      index = end;
    }
  }
  return segments.join('');
}

/**
 * Normalises a request path the way Kong does before routing (router.md section 3): decodes `%XX`
 * triplets except reserved characters (which keep upper-case hex), resolves `.` and `..` segments
 * (never above the root) and merges runs of `/`. The query string must already be cut off.
 *
 * The result is also the path that is forwarded upstream (after {@link escapeUpstreamPath}).
 */
export function normalizePath(path: string): string {
  if (path === '' || path === '/') return path;
  const decoded = path.indexOf('%') >= 0 ? decodeUnreserved(path) : path;
  if (!hasDotSegment(decoded) && decoded.indexOf('//') < 0) return decoded;
  return removeDotSegments(decoded);
}

/**
 * Whether a `.` or `..` segment occurs, so the common `/app.js` skips the segment walk (which would
 * return it unchanged anyway).
 */
function hasDotSegment(path: string): boolean {
  if (path.charCodeAt(0) === DOT) return true;
  const length = path.length;
  for (let index = path.indexOf('/.'); index >= 0; index = path.indexOf('/.', index + 2)) {
    const after = index + 2;
    if (after === length || path.charCodeAt(after) === SLASH) return true;
    if (path.charCodeAt(after) === DOT && (after + 1 === length || path.charCodeAt(after + 1) === SLASH)) return true;
  }
  return false;
}

/**
 * Percent-encodes a (normalised) path for the upstream request line (router.md section 6.4): every
 * character other than `A-Z a-z 0-9 - . _ ~ ! # $ & ' ( ) * + , / : ; = ? @ [ ] %` becomes `%XX` per
 * UTF-8 byte; existing escapes such as `%2F` are kept as they are.
 */
export function escapeUpstreamPath(path: string): string {
  const length = path.length;
  let first = 0;
  while (first < length) {
    const code = path.charCodeAt(first);
    if (code >= 128 || SAFE_UPSTREAM[code] !== 1) break;
    first++;
  }
  if (first === length) return path;

  let out = path.slice(0, first);
  for (let index = first; index < length; index++) {
    let code = path.charCodeAt(index);
    if (code < 128) {
      out += SAFE_UPSTREAM[code] === 1 ? path[index] : encodedByte(code);
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff && index + 1 < length) {
      const low = path.charCodeAt(index + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        index++;
      }
    }
    // A lone surrogate cannot be written as UTF-8: send the replacement character like TextEncoder does.
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x800) {
      out += encodedByte(0xc0 | (code >> 6)) + encodedByte(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      out +=
        encodedByte(0xe0 | (code >> 12)) +
        encodedByte(0x80 | ((code >> 6) & 0x3f)) +
        encodedByte(0x80 | (code & 0x3f));
    } else {
      out +=
        encodedByte(0xf0 | (code >> 18)) +
        encodedByte(0x80 | ((code >> 12) & 0x3f)) +
        encodedByte(0x80 | ((code >> 6) & 0x3f)) +
        encodedByte(0x80 | (code & 0x3f));
    }
  }
  return out;
}
