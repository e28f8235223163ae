/**
 * Kong's decoding of form arguments (`application/x-www-form-urlencoded`, `multipart/form-data`) into
 * nested values, before the entity schema coerces the strings:
 *
 * - `a.b.c=v` nests objects: `config.minute=5` -> `{config: {minute: "5"}}`;
 * - `x[]=a&x[]=b`, `x[1]=a&x[2]=b` (1-based) and repeated `x=a&x=b` build arrays;
 * - `x[key]=v` (non-numeric key) builds a map.
 *
 * Values stay strings here; see `schema-coercion.ts` for the types.
 */

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
  if (parsed === null) return { [name]: value };
  const path: Segment[] = [{ kind: 'key', key: parsed.root }, ...parsed.segments];
  let inner: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) {
    const segment = path[i];
    if (segment.kind === 'key') inner = { [segment.key]: inner };
    else if (segment.kind === 'index') inner = { [String(segment.index)]: inner };
    // `x[]` with repeated values takes them all; with one value it is the first position.
    else inner = i === path.length - 1 && isTable(inner) ? inner : { '1': inner };
  }
  return inner as Table;
}

/** Kong's `combine`: merges one decoded argument into the result; clashing scalars become arrays. */
function combine(to: Table, arg: unknown): void {
  if (!isTable(arg)) {
    to[String(length(to) + 1)] = arg;
    return;
  }
  for (const [key, value] of Object.entries(arg)) {
    const current = to[key];
    if (current === undefined) to[key] = value;
    else if (isTable(current)) combine(current, value);
    else {
      const table: Table = { '1': current };
      to[key] = table;
      combine(table, value);
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
    const list = grouped.get(name);
    if (list === undefined) grouped.set(name, [value]);
    else list.push(value);
  }
  const result: Table = {};
  for (const [name, values] of grouped) {
    let value: string | Table;
    if (values.length === 1) value = values[0];
    else {
      const table: Table = {};
      values.forEach((v, i) => (table[String(i + 1)] = v));
      value = table;
    }
    combine(result, nest(name, value));
  }
  // The top level is always an object, even when every name looks like a position.
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(result)) out[key] = finish(result[key]);
  return out;
}
