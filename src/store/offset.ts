/**
 * Paging tokens in Kong's PostgreSQL format: base64 (no padding) of the JSON array of the last key of the
 * previous page (`["<id>"]`; the /tags listing adds the tag's position: `["<id>", 2]`). Tokens made by Kong
 * for the same rows therefore work here too.
 */
import { StoreError, type StoreErrorSubject } from './types.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The token after a page ending with `key`. */
export function encodeOffset(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64').replace(/=+$/, '');
}

/**
 * The key inside a token, or a StoreError (`invalid_offset`) whose message is Kong's
 * (`'x' is not a valid offset: bad base64 encoding` / `bad json encoding`).
 */
export function decodeOffset(token: string, subject: StoreErrorSubject): [string, number | null] {
  const invalid = (why: string) =>
    new StoreError('invalid_offset', subject, `'${token}' is not a valid offset: ${why}`, { offset: token });
  if (token === '' || !BASE64.test(token) || token.replace(/=+$/, '').length % 4 === 1) {
    throw invalid('bad base64 encoding');
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw invalid('bad json encoding');
  }
  // Kong would pass anything else on to the database and fail there; we say what is wrong instead.
  if (!Array.isArray(decoded) || typeof decoded[0] !== 'string') throw invalid('bad json encoding');
  const position = decoded[1];
  return [decoded[0].toLowerCase(), typeof position === 'number' && Number.isInteger(position) ? position : null];
}
