/**
 * request-transformer's value templates: text with `$(expression)` parts, compiled once at config time into a
 * small tree and evaluated against the request — never run as code.
 *
 * Kong evaluates these expressions as sandboxed Lua. Tollgate understands the subset Kong's documentation
 * and tests use, with Lua's meaning:
 *
 * - the roots `headers`, `query_params`, `uri_captures` and `shared` (kong.ctx.shared), indexed with `.name`,
 *   `["name"]` or `[n]` (headers case-insensitively, `_` matching `-`; lists from 1, `uri_captures[0]` is
 *   the whole match);
 * - string literals (`'...'`, `"..."`, `[[...]]`), numbers, `nil`, `true`, `false`, parentheses;
 * - `a or b`, `a and b`, `not a`, `a == b`, `a ~= b`, `a .. b` (concatenation), `type(a)`, `tostring(a)`.
 *
 * Anything else (other names, calls, assignments, arithmetic) is refused when the configuration is
 * validated. Rendering follows Lua's `tostring(value or '')`: nil and false render as nothing. A list (a header
 * sent twice) renders as its values joined by ", ".
 */

/** A value during evaluation: Lua's nil is `undefined`; tables are arrays or records. */
type Value = undefined | string | number | boolean | readonly unknown[] | Readonly<Record<string, unknown>>;

/** What templates read; each root is fetched at most once per request, on first use. */
export interface TemplateSource {
  headers(): Readonly<Record<string, unknown>>;
  query_params(): Readonly<Record<string, unknown>>;
  uri_captures(): Readonly<Record<string, unknown>>;
  shared(): Readonly<Record<string, unknown>>;
  /** The log record (`kong.log.serialize()`): only for templates compiled with it among their roots (the log plugins' `custom_fields`). */
  record?(): Readonly<Record<string, unknown>>;
}

export type RootName = keyof TemplateSource;
/** The roots request-transformer's templates may name. */
export const REQUEST_ROOTS: ReadonlySet<RootName> = new Set<RootName>(['headers', 'query_params', 'uri_captures', 'shared']);
const FUNCTIONS: ReadonlySet<string> = new Set(['type', 'tostring']);

type Node =
  | { readonly k: 'lit'; readonly v: Value }
  | { readonly k: 'root'; readonly name: RootName }
  | { readonly k: 'index'; readonly target: Node; readonly key: Node }
  | { readonly k: 'call'; readonly fn: string; readonly arg: Node }
  | { readonly k: 'not'; readonly arg: Node }
  | { readonly k: 'bin'; readonly op: 'or' | 'and' | '==' | '~=' | '..'; readonly left: Node; readonly right: Node };

/** A configuration value that is not a template Tollgate can evaluate; the message says where and why. */
export class TemplateError extends Error {}

/** An expression that fails on this request (Kong's render error: the request gets a 500). */
export class TemplateRenderError extends Error {}

/** Deepest nesting of parentheses, indexes and operators accepted (a bound on the parser's recursion). */
const MAX_DEPTH = 32;
/** Longest expression accepted, in characters. */
const MAX_EXPRESSION = 1024;

// ---------------------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { readonly t: 'name'; readonly v: string; readonly at: number }
  | { readonly t: 'str'; readonly v: string; readonly at: number }
  | { readonly t: 'num'; readonly v: number; readonly at: number }
  | { readonly t: 'op'; readonly v: string; readonly at: number }
  | { readonly t: 'end'; readonly at: number };

const KEYWORDS = new Set(['or', 'and', 'not', 'nil', 'true', 'false']);
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", '0': '\0' };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const at = i;
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j])) j++;
      tokens.push({ t: 'name', v: src.slice(i, j), at });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      tokens.push({ t: 'num', v: Number(m[0]), at });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let out = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length || src[j] === '\n') throw new TemplateError(`unfinished string at position ${at + 1}`);
        const ch = src[j];
        if (ch === c) break;
        if (ch === '\\') {
          const esc = ESCAPES[src[j + 1]];
          if (esc === undefined) throw new TemplateError(`invalid escape sequence '\\${src[j + 1] ?? ''}' at position ${j + 1}`);
          out += esc;
          j += 2;
          continue;
        }
        out += ch;
        j++;
      }
      tokens.push({ t: 'str', v: out, at });
      i = j + 1;
      continue;
    }
    if (c === '[' && src[i + 1] === '[') {
      const end = src.indexOf(']]', i + 2);
      if (end === -1) throw new TemplateError(`unfinished long string at position ${at + 1}`);
      tokens.push({ t: 'str', v: src.slice(i + 2, end), at });
      i = end + 2;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '~=' || two === '..') {
      tokens.push({ t: 'op', v: two, at });
      i += 2;
      continue;
    }
    if ('.[]()'.includes(c)) {
      tokens.push({ t: 'op', v: c, at });
      i++;
      continue;
    }
    throw new TemplateError(`unexpected '${c}' at position ${at + 1}`);
  }
  tokens.push({ t: 'end', at: src.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------
// Parser: or > and > comparison > concatenation (right-associative) > not > postfix (index) > primary

class Parser {
  readonly #tokens: Token[];
  #pos = 0;
  #depth = 0;
  readonly #roots: ReadonlySet<string>;
  constructor(tokens: Token[], roots: ReadonlySet<string>) {
    this.#tokens = tokens;
    this.#roots = roots;
  }

  #peek(): Token {
    return this.#tokens[this.#pos];
  }
  #next(): Token {
    return this.#tokens[this.#pos++];
  }
  #isOp(v: string): boolean {
    const t = this.#peek();
    return t.t === 'op' && t.v === v;
  }
  #isWord(v: string): boolean {
    const t = this.#peek();
    return t.t === 'name' && t.v === v;
  }
  #expect(v: string): void {
    const t = this.#next();
    if (t.t !== 'op' || t.v !== v) throw new TemplateError(`'${v}' expected at position ${t.at + 1}`);
  }
  #enter(): void {
    if (++this.#depth > MAX_DEPTH) throw new TemplateError(`expression nested deeper than ${MAX_DEPTH} levels`);
  }

  parse(): Node {
    const node = this.#or();
    const t = this.#peek();
    if (t.t !== 'end') throw new TemplateError(`unexpected ${describe(t)} at position ${t.at + 1}`);
    return node;
  }

  #or(): Node {
    this.#enter();
    let left = this.#and();
    while (this.#isWord('or')) {
      this.#next();
      left = { k: 'bin', op: 'or', left, right: this.#and() };
    }
    this.#depth--;
    return left;
  }
  #and(): Node {
    let left = this.#compare();
    while (this.#isWord('and')) {
      this.#next();
      left = { k: 'bin', op: 'and', left, right: this.#compare() };
    }
    return left;
  }
  #compare(): Node {
    let left = this.#concat();
    while (this.#isOp('==') || this.#isOp('~=')) {
      const op = (this.#next() as { v: string }).v as '==' | '~=';
      left = { k: 'bin', op, left, right: this.#concat() };
    }
    return left;
  }
  #concat(): Node {
    const left = this.#unary();
    if (!this.#isOp('..')) return left;
    this.#next();
    this.#enter();
    const right = this.#concat();
    this.#depth--;
    return { k: 'bin', op: '..', left, right };
  }
  #unary(): Node {
    if (!this.#isWord('not')) return this.#postfix();
    this.#next();
    this.#enter();
    const arg = this.#unary();
    this.#depth--;
    return { k: 'not', arg };
  }
  #postfix(): Node {
    let node = this.#primary();
    for (;;) {
      if (this.#isOp('.')) {
        this.#next();
        const t = this.#next();
        if (t.t !== 'name') throw new TemplateError(`a name expected after '.' at position ${t.at + 1}`);
        node = { k: 'index', target: node, key: { k: 'lit', v: t.v } };
      } else if (this.#isOp('[')) {
        this.#next();
        const key = this.#or();
        this.#expect(']');
        node = { k: 'index', target: node, key };
      } else return node;
    }
  }
  #primary(): Node {
    const t = this.#next();
    if (t.t === 'str' || t.t === 'num') return { k: 'lit', v: t.v };
    if (t.t === 'op' && t.v === '(') {
      const inner = this.#or();
      this.#expect(')');
      return inner;
    }
    if (t.t === 'name') {
      if (t.v === 'nil') return { k: 'lit', v: undefined };
      if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true' };
      if (this.#roots.has(t.v)) return { k: 'root', name: t.v as RootName };
      if (FUNCTIONS.has(t.v)) {
        this.#expect('(');
        const arg = this.#or();
        this.#expect(')');
        return { k: 'call', fn: t.v, arg };
      }
      if (!KEYWORDS.has(t.v)) {
        throw new TemplateError(`unknown name '${t.v}' at position ${t.at + 1} (templates may use ${[...this.#roots].join(', ')}, type and tostring)`);
      }
    }
    throw new TemplateError(`unexpected ${describe(t)} at position ${t.at + 1}`);
  }
}

function describe(t: Token): string {
  if (t.t === 'end') return 'end of expression';
  if (t.t === 'str') return 'string';
  return `'${String(t.v)}'`;
}

/** Parses one expression (the text inside `$(...)`). */
export function parseExpression(src: string, roots: ReadonlySet<RootName> = REQUEST_ROOTS): Node {
  if (src.length > MAX_EXPRESSION) throw new TemplateError(`expression longer than ${MAX_EXPRESSION} characters`);
  if (src.trim() === '') throw new TemplateError('empty expression');
  return new Parser(tokenize(src), roots).parse();
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation, with Lua's semantics for the operations above

function luaType(v: unknown): string {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return typeof v;
  return 'table';
}

function truthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== false;
}

function luaNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(14)));
}

/** Looks up `key` in a table; only own data, so nothing reaches prototypes or functions. */
function index(target: unknown, key: unknown, isHeaders: boolean): Value {
  if (target === undefined || target === null || typeof target !== 'object') {
    throw new TemplateRenderError(`attempt to index a ${luaType(target)} value`);
  }
  if (Array.isArray(target)) {
    // Lua lists start at 1.
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 1 || key > target.length) return undefined;
    return plain(target[key - 1]);
  }
  if (typeof key !== 'string' && typeof key !== 'number') return undefined;
  const record = target as Record<string, unknown>;
  let name = typeof key === 'number' ? luaNumber(key) : key;
  if (isHeaders) {
    name = name.toLowerCase();
    if (!Object.hasOwn(record, name)) name = name.replace(/_/g, '-');
  }
  return Object.hasOwn(record, name) ? plain(record[name]) : undefined;
}

/** A value as templates see it: functions, symbols and other exotic values are nil. */
function plain(v: unknown): Value {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'object') return v as Value;
  return undefined;
}

function concatPart(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return luaNumber(v);
  throw new TemplateRenderError(`attempt to concatenate a ${luaType(v)} value`);
}

function toText(v: Value): string {
  if (v === undefined || v === false) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return luaNumber(v);
  if (v === true) return 'true';
  if (Array.isArray(v)) return v.map((item) => toText(plain(item))).join(', ');
  return '';
}

/** Per-request root values, fetched on first use. */
class Scope {
  readonly #source: TemplateSource;
  readonly #roots = new Map<RootName, Readonly<Record<string, unknown>>>();
  constructor(source: TemplateSource) {
    this.#source = source;
  }
  root(name: RootName): Readonly<Record<string, unknown>> {
    let value = this.#roots.get(name);
    if (value === undefined) {
      const fetch = this.#source[name];
      // A root outside the source's roots cannot be compiled in; an empty table keeps evaluation total anyway.
      value = fetch === undefined ? {} : fetch.call(this.#source);
      this.#roots.set(name, value);
    }
    return value;
  }
}

function evaluate(node: Node, scope: Scope): Value {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'root':
      return scope.root(node.name);
    case 'index': {
      const target = evaluate(node.target, scope);
      const isHeaders = node.target.k === 'root' && node.target.name === 'headers';
      return index(target, evaluate(node.key, scope), isHeaders);
    }
    case 'call': {
      const arg = evaluate(node.arg, scope);
      return node.fn === 'type' ? luaType(arg) : toTostring(arg);
    }
    case 'not':
      return !truthy(evaluate(node.arg, scope));
    case 'bin': {
      const left = evaluate(node.left, scope);
      switch (node.op) {
        case 'or':
          return truthy(left) ? left : evaluate(node.right, scope);
        case 'and':
          return truthy(left) ? evaluate(node.right, scope) : left;
        case '==':
          return left === evaluate(node.right, scope);
        case '~=':
          return left !== evaluate(node.right, scope);
        case '..':
          return concatPart(left) + concatPart(evaluate(node.right, scope));
      }
    }
  }
}

function toTostring(v: Value): string {
  if (v === undefined) return 'nil';
  if (v === false) return 'false';
  if (typeof v === 'object') return 'table';
  return toText(v);
}

// ---------------------------------------------------------------------------------------------------------
// Templates

type Part = string | Node;

/** A compiled template: `render` evaluates it for one request. */
export class Template {
  readonly source: string;
  readonly #parts: readonly Part[];
  /** The text itself when the template has no `$(...)` part. */
  readonly constant: string | null;
  constructor(source: string, parts: readonly Part[]) {
    this.source = source;
    this.#parts = parts;
    this.constant = parts.every((p) => typeof p === 'string') ? parts.join('') : null;
  }
  /** Renders with values read from `source` (or from an existing per-request scope). */
  render(source: TemplateSource | TemplateScope): string {
    if (this.constant !== null) return this.constant;
    const scope = source instanceof TemplateScope ? source.scope : new Scope(source);
    let out = '';
    for (const part of this.#parts) out += typeof part === 'string' ? part : toText(evaluate(part, scope));
    return out;
  }
}

/** One request's roots, shared by every template rendered for it (each root is fetched once). */
export class TemplateScope {
  readonly scope: Scope;
  constructor(source: TemplateSource) {
    this.scope = new Scope(source);
  }
}

/** Where the `)` closing the `(` at `open` is, skipping parentheses inside string literals; -1 if none. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c === '[' && text[i + 1] === '[') {
      const end = text.indexOf(']]', i + 2);
      if (end === -1) return -1;
      i = end + 1;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Compiles a template; throws a TemplateError naming the problem. */
export function compileTemplate(text: string, roots: ReadonlySet<RootName> = REQUEST_ROOTS): Template {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('$(', i);
    if (start === -1) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, start);
    const end = closingParen(text, start + 1);
    if (end === -1) throw new TemplateError(`'$(' at position ${start + 1} has no closing ')'`);
    let node: Node;
    try {
      node = parseExpression(text.slice(start + 2, end), roots);
    } catch (err) {
      if (err instanceof TemplateError) throw new TemplateError(`in '${text.slice(start, end + 1)}': ${err.message}`);
      throw err;
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(node.k === 'lit' ? toText(node.v) : node);
    i = end + 1;
  }
  if (literal !== '') parts.push(literal);
  return new Template(text, parts);
}
