/**
 * The pieces of Kong's HMAC scheme that do not depend on the request object: the `hmac ...` header value's
 * parameters, the signing string, the HMAC itself, the Digest header value and HTTP dates.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { HmacAlgorithm } from './schema.ts';

/** What a `hmac username="", algorithm="", headers="", signature=""` header value carries. */
export interface HmacParams {
  readonly username: string;
  readonly algorithm: string;
  /** The names the client signed, in its order, as it wrote them. */
  readonly headers: readonly string[];
  /** The signature as sent (base64). */
  readonly signature: string;
}

/**
 * The parameters of an `hmac` header value, or null when it is not one. Kong matches the value against
 * `\s*[Hh]mac\s*username="(.+)",\s*algorithm="(.+)",\s*headers="(.+)",\s*signature="(.+)"` (unanchored,
 * greedy). That pattern backtracks polynomially on crafted values, so this finds the same match in linear
 * time: each greedy group ends at the last delimiter after which the rest can still match, found from the
 * right; the match starts at the first `hmac username="`.
 */
export function parseHmacHeader(value: string | undefined): HmacParams | null {
  // `.` does not cross line terminators; HTTP header values cannot hold them anyway.
  if (value === undefined || LINE_TERMINATOR.test(value)) return null;
  const end = value.lastIndexOf('"');
  const signature = lastDelimiter(value, 'signature', end - 1);
  if (signature === null) return null;
  const headers = lastDelimiter(value, 'headers', signature.start - 1);
  if (headers === null) return null;
  const algorithm = lastDelimiter(value, 'algorithm', headers.start - 1);
  if (algorithm === null) return null;
  const usernameAt = firstUsername(value);
  if (usernameAt === -1 || usernameAt >= algorithm.start) return null;
  return {
    username: value.slice(usernameAt, algorithm.start),
    algorithm: value.slice(algorithm.end, headers.start),
    headers: value.slice(headers.end, signature.start).split(' '),
    signature: value.slice(signature.end, end),
  };
}

const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;
const SPACE = /\s/;

/**
 * The last `",\s*NAME="` in `value` that ends at or before `maxEnd`: where its `"` starts and where the value
 * after its `="` starts.
 */
function lastDelimiter(value: string, name: string, maxEnd: number): { start: number; end: number } | null {
  const word = `${name}="`;
  if (maxEnd - word.length < 0) return null;
  let at = value.lastIndexOf(word, maxEnd - word.length);
  while (at !== -1) {
    let i = at - 1;
    while (i >= 0 && SPACE.test(value[i])) i--;
    if (i >= 1 && value[i] === ',' && value[i - 1] === '"') return { start: i - 1, end: at + word.length };
    at = at === 0 ? -1 : value.lastIndexOf(word, at - 1);
  }
  return null;
}

/** Where the username starts after the first `[Hh]mac\s*username="`, or -1. */
function firstUsername(value: string): number {
  const word = 'username="';
  let at = value.indexOf(word);
  while (at !== -1) {
    let i = at - 1;
    while (i >= 0 && SPACE.test(value[i])) i--;
    if (i >= 3 && (value[i - 3] === 'h' || value[i - 3] === 'H') && value.slice(i - 2, i + 1) === 'mac') return at + word.length;
    at = value.indexOf(word, at + 1);
  }
  return -1;
}

/** What the signing string reads from the request. */
export interface SigningRequest {
  header(name: string): string | undefined;
  readonly method: string;
  /** The path and query as the client sent them. */
  readonly pathWithQuery: string;
  readonly httpVersion: number;
}

/**
 * The string the client signs: one line per signed name, `name: value` for a header, the request line for
 * `request-line`, `@request-target: method path` for `@request-target` (each pseudo-name only when no header
 * of that name was sent), and `name:` for a header that is absent.
 */
export function signingString(names: readonly string[], req: SigningRequest): string {
  const lines: string[] = [];
  for (const name of names) {
    const value = req.header(name);
    if (value !== undefined) lines.push(`${name}: ${value}`);
    else if (name === '@request-target') lines.push(`${name}: ${req.method.toLowerCase()} ${req.pathWithQuery}`);
    else if (name === 'request-line') lines.push(`${req.method} ${req.pathWithQuery} HTTP/${req.httpVersion.toFixed(1)}`);
    else lines.push(`${name}:`);
  }
  return lines.join('\n');
}

const DIGEST_OF: Readonly<Record<HmacAlgorithm, string>> = {
  'hmac-sha1': 'sha1',
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
};

export function hmacDigest(algorithm: HmacAlgorithm, secret: string, data: string): Buffer {
  return createHmac(DIGEST_OF[algorithm], secret).update(data).digest();
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 (the signature as sent), null when it is not base64. */
export function decodeBase64(text: string): Buffer | null {
  if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) return null;
  return Buffer.from(text, 'base64');
}

/** Whether the sent signature is the expected digest, compared in constant time. */
export function signatureMatches(expected: Buffer, sent: string): boolean {
  const given = decodeBase64(sent);
  if (given === null || given.length !== expected.length) return false;
  return timingSafeEqual(given, expected);
}

/** The Digest header value for a body: `SHA-256=` and the base64 of its SHA-256. */
export function bodyDigest(body: Buffer | string): string {
  return `SHA-256=${createHash('sha256').update(body).digest('base64')}`;
}

const MONTHS: Readonly<Record<string, number>> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
// The three HTTP-date forms (RFC 9110 §5.6.7) as nginx reads them: IMF-fixdate, RFC 850 and asctime.
const IMF_FIXDATE = /^\s*[A-Za-z]{3}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT\s*$/;
const RFC850 = /^\s*[A-Za-z]{6,9}, (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT\s*$/;
const ASCTIME = /^\s*[A-Za-z]{3} ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})\s*$/;

/** Seconds since the epoch of an HTTP date, or null when the value is not one. */
export function parseHttpDate(value: string): number | null {
  let day: string, month: string, year: number, hh: string, mm: string, ss: string;
  let m = IMF_FIXDATE.exec(value);
  if (m !== null) {
    [, day, month, , hh, mm, ss] = m;
    year = Number(m[3]);
  } else if ((m = RFC850.exec(value)) !== null) {
    [, day, month, , hh, mm, ss] = m;
    const yy = Number(m[3]);
    year = yy < 70 ? 2000 + yy : 1900 + yy;
  } else if ((m = ASCTIME.exec(value)) !== null) {
    [, month, day, hh, mm, ss] = m;
    year = Number(m[6]);
  } else {
    return null;
  }
  const monthIndex = MONTHS[month];
  if (monthIndex === undefined) return null;
  const d = Number(day.trim());
  const h = Number(hh);
  const mi = Number(mm);
  const s = Number(ss);
  if (d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const ms = Date.UTC(year, monthIndex, d, h, mi, s);
  // 31 Feb and the like roll over in Date.UTC; nginx refuses them.
  if (new Date(ms).getUTCDate() !== d) return null;
  return ms / 1000;
}
