/**
 * Random values for `auto` string fields (API keys, secrets): 32 characters from
 * 24 random bytes, base64 with `/` and `+` replaced by letters, like Kong's generated credentials.
 */
import { randomBytes, randomInt } from 'node:crypto';

/** A new 32-character random alphanumeric string. */
export function randomString(): string {
  const base64 = randomBytes(24).toString('base64');
  let out = '';
  for (let i = 0; i < base64.length; i++) {
    const c = base64[i];
    if (c === '/') out += String.fromCharCode(randomInt(65, 91));
    else if (c === '+') out += String.fromCharCode(randomInt(97, 123));
    else out += c;
  }
  return out;
}
