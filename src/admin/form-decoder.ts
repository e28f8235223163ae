/**
 * Kong's decoding of form arguments (`application/x-www-form-urlencoded`, `multipart/form-data`) into
 * nested values, before the entity schema coerces the strings:
 *
 * - `a.b.c=v` nests objects: `config.minute=5` -> `{config: {minute: "5"}}`;
 * - `x[]=a&x[]=b`, `x[1]=a&x[2]=b` (1-based) and repeated `x=a&x=b` build arrays;
 * - `x[key]=v` (non-numeric key) builds a map.
 *
 * Values stay strings here; see `schema-coercion.ts` for the types. Tables are built without a prototype, and
 * a name with a `__proto__`, `constructor` or `prototype` part is refused ({@link ForbiddenKeyError}): merging
 * `__proto__[x]=1` into an ordinary object would have written to `Object.prototype`.
 */
import { ForbiddenKeyError, isForbiddenKey } from '../core/safe-keys.ts';

/** A Lua-like table while decoding: numeric keys ("1", "2", ...) are array positions. */
type Table = Record<string, unknown>;

type Segment = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'push' };

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Lua's `#t` for the tables built here: the count of consecutive positions from 1. */
function length(table: Table): number {
  let n = 0;
  while (Object.prototype.hasOwnProperty.call(table, String(n + 1))) n++;
  return n;
}

/** Splits `config.limits[2].name` into the root name and its segments; null when the name is a plain key. */
export function parseArgumentName(name: string): { root: string; segments: Segment[] } | null {
  // Kong reads names that start or end with dots literally.
  if (/^\.|\.$/.test(name)) return null;
  let i = 1;
  while (i < name.length && name[i] !== '.' && name[i] !== '[') i++;
  if (i >= name.length) return null;
  const root = name.slice(0, i);
  const segments: Segment[] = [];
  while (i < name.length) {
    if (name[i] === '.') {
      let j = i + 1;
      while (j < name.length && name[j] !== '.' && name[j] !== '[') j++;
      if (j === i + 1) return null;
      segments.push({ kind: 'key', key: name.slice(i + 1, j) });
      i = j;
    } else if (name[i] === '[') {
      const close = name.indexOf(']', i + 1);
      if (close < 0) return null;
      const inner = name.slice(i + 1, close);
      if (inner === '') segments.push({ kind: 'push' });
      else if (/^[0-9]+$/.test(inner) && Number(inner) > 0) segments.push({ kind: 'index', index: Number(inner) });
      else segments.push({ kind: 'key', key: inner });
      i = close + 1;
    } else {
      return null;
    }
  }
  return { root, segments };
}

/** The value one argument decodes to, as a fresh nested table (Kong decodes each argument on its own). */
function nest(name: string, value: string | Table): Table {
  const parsed = parseArgumentName(name);
  if (parsed === null) return single(name, value);
  const path: Segment[] = [{ kind: 'key', key: parsed.root }, ...parsed.segments];
  let inner: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) {
    const segment = path[i];
    if (segment.kind === 'key') inner = single(segment.key, inner);
    else if (segment.kind === 'index') inner = single(String(segment.index), inner);
    // `x[]` with repeated values takes them all; with one value it is the first position.
    else inner = i === path.length - 1 && isTable(inner) ? inner : single('1', inner);
  }
  return inner as Table;
}

/** A table with no prototype: no key, whatever its name, reaches `Object.prototype`. */
function table(): Table {
  return Object.create(null) as Table;
}

/** One `{key: value}` table. */
function single(key: string, value: unknown): Table {
  const t = table();
  t[key] = value;
  return t;
}

/** Refuses an argument name (form field or query argument) any part of which is a prototype key. */
export function checkArgumentName(name: string): void {
  if (isForbiddenKey(name)) throw new ForbiddenKeyError(name, name);
  const parsed = parseArgumentName(name);
  if (parsed === null) return;
  if (isForbiddenKey(parsed.root)) throw new ForbiddenKeyError(name, parsed.root);
  for (const segment of parsed.segments) {
    if (segment.kind === 'key' && isForbiddenKey(segment.key)) throw new ForbiddenKeyError(name, segment.key);
  }
}

/** Kong's `combine`: merges one decoded argument into the result; clashing scalars become arrays. */
function combine(to: Table, arg: unknown): void {
  if (!isTable(arg)) {
    to[String(length(to) + 1)] = arg;
    return;
  }
  for (const [key, value] of Object.entries(arg)) {
    const current = Object.prototype.hasOwnProperty.call(to, key) ? to[key] : undefined;
    if (current === undefined) to[key] = value;
    else if (isTable(current)) combine(current, value);
    else {
      const list = single('1', current);
      to[key] = list;
      combine(list, value);
    }
  }
}

/** Turns tables whose keys are all positions into arrays (ordered by position, holes dropped). */
function finish(value: unknown): unknown {
  if (!isTable(value)) return value;
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((k) => /^[1-9][0-9]*$/.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => finish(value[String(k)]));
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = finish(value[key]);
  return out;
}

/**
 * Decodes form arguments, in request order, into the nested input Kong's endpoints see.
 * Arguments repeated under the same name are grouped first, as nginx hands them to Kong.
 */
export function decodeFormArguments(pairs: Iterable<readonly [string, string]>): Record<string, unknown> {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    checkArgumentName(name);
    const list = grouped.get(name);
    if (list === undefined) grouped.set(name, [value]);
    else list.push(value);
  }
  const result = table();
  for (const [name, values] of grouped) {
    let value: string | Table;
    if (values.length === 1) value = values[0];
    else {
      const list = table();
      values.forEach((v, i) => (list[String(i + 1)] = v));
      value = list;
    }
    combine(result, nest(name, value));
  }
  // The top level is always an object, even when every name looks like a position.
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(result)) out[key] = finish(result[key]);
  return out;
}
