/**
 * Building blocks that turn one trimmed configuration value into its typed form, or throw an
 * {@link InvalidValue} carrying only the reason; the loader adds the source, key and value around it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/** Thrown by a value parser; `reason` completes "invalid value for 'key' ('value'): <reason>". */
export class InvalidValue extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidValue';
    this.reason = reason;
  }
}

/** What a parser may need besides the text. */
export interface ParseContext {
  /** Directory that relative paths are resolved against (the current directory at start). */
  cwd: string;
}

export type ValueParser<T> = (raw: string, context: ParseContext) => T;

/** Formats accepted values for a message: `'a', 'b' or 'c'`. */
export function quotedAlternatives(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

/** A value that must not be empty. */
export function requiredString(): ValueParser<string> {
  return (raw) => {
    if (raw === '') throw new InvalidValue('must not be empty');
    return raw;
  };
}

/** A value that may be left empty (then null). */
export function optionalString(): ValueParser<string | null> {
  return (raw) => (raw === '' ? null : raw);
}

/**
 * One of a fixed set of values (exact, lower-case like Kong). `refusals` gives a specific reason for
 * values we know about but do not accept, e.g. a feature Tollgate does not implement.
 */
export function oneOf<const T extends string>(values: readonly T[], refusals: Record<string, string> = {}): ValueParser<T> {
  return (raw) => {
    if ((values as readonly string[]).includes(raw)) return raw as T;
    const refusal = Object.hasOwn(refusals, raw) ? refusals[raw] : undefined;
    throw new InvalidValue(refusal ?? `must be ${quotedAlternatives(values)}`);
  };
}

/** `on`/`off` (also `true`/`false`), case-insensitive. Kong reads anything else as off; we refuse it. */
export function onOff(): ValueParser<boolean> {
  return (raw) => {
    const v = raw.toLowerCase();
    if (v === 'on' || v === 'true') return true;
    if (v === 'off' || v === 'false') return false;
    throw new InvalidValue(`must be 'on' or 'off'`);
  };
}

const INTEGER = /^[+]?\d+$/;

/** A decimal integer within [min, max]. */
export function integerInRange(min: number, max: number = Number.MAX_SAFE_INTEGER): ValueParser<number> {
  return (raw) => {
    const n = INTEGER.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidValue(max === Number.MAX_SAFE_INTEGER ? `must be an integer, ${min} or greater` : `must be an integer between ${min} and ${max}`);
    }
    return n;
  };
}

const DECIMAL = /^[+]?(\d+(\.\d*)?|\.\d+)$/;

/** A non-negative decimal number (e.g. seconds, fractions allowed). */
export function nonNegativeNumber(): ValueParser<number> {
  return (raw) => {
    if (!DECIMAL.test(raw)) throw new InvalidValue('must be a number, 0 or greater');
    return Number(raw);
  };
}

/** Splits a comma-separated value into trimmed, non-empty entries (Kong's array rule). */
export function splitList(raw: string): string[] {
  const out: string[] = [];
  for (const part of raw.split(',')) {
    const entry = part.trim();
    if (entry !== '') out.push(entry);
  }
  return out;
}

/** A comma-separated list; `checkEntry` throws {@link InvalidValue} for a bad entry. */
export function list(checkEntry?: (entry: string, context: ParseContext) => string): ValueParser<string[]> {
  return (raw, context) => {
    const entries = splitList(raw);
    return checkEntry ? entries.map((entry) => checkEntry(entry, context)) : entries;
  };
}

/** A path to an existing file, resolved to an absolute path; empty means unset (null). */
export function existingFile(): ValueParser<string | null> {
  return (raw, context) => {
    if (raw === '') return null;
    const path = resolve(context.cwd, raw);
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
    } catch {
      throw new InvalidValue(`no such file: ${path}`);
    }
    if (!isFile) throw new InvalidValue(`not a regular file: ${path}`);
    return path;
  };
}

const PEM_MARKER = '-----BEGIN ';
const BASE64 = /^[A-Za-z0-9+/\s]+={0,2}$/;

/**
 * A certificate or key given like Kong accepts it: a path to a file (made absolute), the PEM text itself,
 * or the PEM text base64-encoded (decoded here). Loading and checking the PEM is left to the TLS code.
 */
export function pemSource(entry: string, context: ParseContext): string {
  const path = resolve(context.cwd, entry);
  if (existsSync(path)) return path;
  if (entry.includes(PEM_MARKER)) return entry;
  if (BASE64.test(entry)) {
    const decoded = Buffer.from(entry, 'base64').toString('utf8');
    if (decoded.includes(PEM_MARKER)) return decoded;
  }
  throw new InvalidValue(`no file at ${path}, and not PEM text or base64-encoded PEM`);
}

/**
 * The PEM text of a certificate/key setting value: the value itself when it is PEM text, else the file it
 * names (values were made absolute paths or decoded PEM by {@link pemSource}).
 */
export function readPem(value: string): string {
  return value.includes(PEM_MARKER) ? value : readFileSync(value, 'utf8');
}

/** A single optional certificate/key (see {@link pemSource}). */
export function optionalPem(): ValueParser<string | null> {
  return (raw, context) => (raw === '' ? null : pemSource(raw, context));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An optional UUID, kept as written in lower case. */
export function optionalUuid(): ValueParser<string | null> {
  return (raw) => {
    if (raw === '') return null;
    if (!UUID.test(raw)) throw new InvalidValue('must be a valid UUID');
    return raw.toLowerCase();
  };
}

const SIZE = /^(\d+)([kKmMgG]?)$/;

/** Parses a Kong/nginx-style size (`128m`, `512k`, `1g`, `1048576`) into bytes; -1 when it is not one. */
export function sizeInBytes(raw: string): number {
  const match = SIZE.exec(raw);
  if (!match) return -1;
  const unit = match[2].toLowerCase();
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const bytes = Number(match[1]) * factor;
  return Number.isSafeInteger(bytes) ? bytes : -1;
}

/** A size with an optional `k`, `m` or `g` unit, kept as written. */
export function size(): ValueParser<string> {
  return (raw) => {
    const bytes = sizeInBytes(raw);
    if (bytes <= 0) throw new InvalidValue(`must be a size such as '128m', '512k', '1g' or a number of bytes, greater than 0`);
    return raw;
  };
}

export const TLS_PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Space-separated TLS versions, as nginx's `ssl_protocols`. */
export function sslProtocols(raw: string): string {
  const tokens = raw.split(/\s+/).filter((t) => t !== '');
  if (tokens.length === 0) throw new InvalidValue(`must list at least one of ${quotedAlternatives(TLS_PROTOCOLS)}, separated by spaces`);
  for (const token of tokens) {
    if (!TLS_PROTOCOLS.includes(token)) throw new InvalidValue(`unknown protocol '${token}' (accepted: ${TLS_PROTOCOLS.join(', ')}, separated by spaces)`);
  }
  return tokens.join(' ');
}
