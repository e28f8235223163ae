/**
 * Query strings as Kong's PDK presents them: a name without `=` is `true`, a repeated name gives an array.
 */

/** One query argument's value(s). */
export type QueryValue = string | true | (string | true)[];

function decode(text: string): string {
  const plus = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/** Parses a raw query string (without `?`) into arguments by decoded name. */
export function parseQuery(raw: string): Map<string, QueryValue> {
  const args = new Map<string, QueryValue>();
  if (raw === '') return args;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq === -1 ? part : part.slice(0, eq));
    if (name === '') continue;
    const value: string | true = eq === -1 ? true : decode(part.slice(eq + 1));
    const seen = args.get(name);
    if (seen === undefined) args.set(name, value);
    else if (Array.isArray(seen)) seen.push(value);
    else args.set(name, [seen, value]);
  }
  return args;
}

/** A request target (`/path?query`) without the named query argument; other arguments keep their raw form. */
export function withoutQueryArg(target: string, name: string): string {
  const q = target.indexOf('?');
  if (q === -1) return target;
  const kept: string[] = [];
  for (const part of target.slice(q + 1).split('&')) {
    const eq = part.indexOf('=');
    if (decode(eq === -1 ? part : part.slice(0, eq)) !== name) kept.push(part);
  }
  const path = target.slice(0, q);
  return kept.length === 0 ? path : `${path}?${kept.join('&')}`;
}
