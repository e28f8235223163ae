/**
 * Parser for Kong's expressions language, following the `atc-router` grammar:
 *
 *   matcher    = expression EOI
 *   expression = term (("&&" | "||") term)*
 *   term       = predicate | "!"? "(" expression ")"
 *   predicate  = lhs binary_operator rhs
 *   lhs        = ident "(" lhs ")" | ident          (transformations: lower, any)
 *   rhs        = "string" | r#"raw"# | IPv4/IPv6 address or CIDR | integer (decimal, 0x hex, 0 octal)
 *
 * Precedence is atc-router's: `||` binds tighter than `&&` (its Pratt parser registers `&&` first), so
 * `a && b || c` is `a && (b || c)`. Both are left-associative. Errors read like atc-router's (pest) errors,
 * with the line, column and a caret under the offending text.
 */
import { compileHeaderRegex } from '../../core/regex.ts';
import type { BinaryOperator, CidrValue, Expression, IpValue, Literal, Predicate } from './ast.ts';
import { parseIpText } from './ip.ts';

/** A syntax error; `message` is the full pest-style report. */
export class ExpressionSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionSyntaxError';
  }
}

/** Formats a pest-style error report pointing at `start` (and underlining to `end` when given). */
export function formatError(source: string, start: number, message: string, end?: number): string {
  let lineStart = 0;
  let line = 1;
  for (let index = 0; index < start && index < source.length; index++) {
    if (source[index] === '\n') {
      line++;
      lineStart = index + 1;
    }
  }
  let lineEnd = source.indexOf('\n', lineStart);
  if (lineEnd < 0) lineEnd = source.length;
  const column = [...source.slice(lineStart, start)].length + 1;
  const gutter = ' '.repeat(String(line).length);
  let marker = '^---';
  if (end !== undefined) {
    const width = [...source.slice(start, Math.min(end, lineEnd))].length;
    marker = width <= 1 ? '^' : `^${'-'.repeat(width - 2)}^`;
  }
  return [
    `${gutter}--> ${line}:${column}`,
    `${gutter} |`,
    `${line} | ${source.slice(lineStart, lineEnd)}`,
    `${gutter} | ${' '.repeat(column - 1)}${marker}`,
    `${gutter} |`,
    `${gutter} = ${message}`,
  ].join('\n');
}

const OPERATORS: readonly BinaryOperator[] = ['==', '!=', '~', '^=', '=^', '>=', '>', '<=', '<', 'in'];

const IDENT = /[A-Za-z][A-Za-z0-9_.]*/y;
const IPV4 = /[0-9]{1,3}(?:\.[0-9]{1,3}){3}/y;
const IPV6 = /(?::|[0-9A-Fa-f]{1,4}):(?:[0-9A-Fa-f]{1,4}|:)*/y;
const IPV4_CIDR = /[0-9]{1,3}(?:\.[0-9]{1,3}){3}\/[0-9]{1,2}/y;
const IPV6_CIDR = /(?::|[0-9A-Fa-f]{1,4}):(?:[0-9A-Fa-f]{1,4}|:)*\/[0-9]{1,3}/y;
const INT = /(-?)(?:0([0-7]+)|0x([0-9A-Fa-f]+)|([0-9]+))/y;

const I64_MAX = 2n ** 63n - 1n;

function sticky(pattern: RegExp, source: string, at: number): string | null {
  pattern.lastIndex = at;
  const match = pattern.exec(source);
  return match === null ? null : match[0];
}

function countGroups(regex: RegExp): number {
  return (new RegExp(`${regex.source}|`, regex.flags).exec('')?.length ?? 1) - 1;
}

class Parser {
  readonly source: string;
  pos = 0;

  constructor(source: string) {
    this.source = source;
  }

  fail(at: number, message: string, end?: number): never {
    throw new ExpressionSyntaxError(formatError(this.source, at, message, end));
  }

  skipSpace(): void {
    const source = this.source;
    while (this.pos < source.length) {
      const ch = source[this.pos];
      if (ch !== ' ' && ch !== '\t' && ch !== '\r' && ch !== '\n') break;
      this.pos++;
    }
  }

  peek(text: string): boolean {
    return this.source.startsWith(text, this.pos);
  }

  parseMatcher(): Expression {
    this.skipSpace();
    const expression = this.parseExpression();
    this.skipSpace();
    if (this.pos < this.source.length) this.fail(this.pos, 'expected EOI, and_op, or or_op');
    return expression;
  }

  /** term (op term)*, then precedence climbing with `||` above `&&`. */
  parseExpression(): Expression {
    const terms: Expression[] = [this.parseTerm()];
    const ops: Array<'&&' | '||'> = [];
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      if (this.peek('&&') || this.peek('||')) {
        ops.push(this.source.slice(this.pos, this.pos + 2) as '&&' | '||');
        this.pos += 2;
        this.skipSpace();
        terms.push(this.parseTerm());
      } else {
        this.pos = save;
        break;
      }
    }
    // Group the `||` runs first (higher precedence), then join the groups with `&&`; both left-associative.
    const groups: Expression[] = [];
    let current = terms[0];
    for (let index = 0; index < ops.length; index++) {
      if (ops[index] === '||') {
        current = { kind: 'or', left: current, right: terms[index + 1] };
      } else {
        groups.push(current);
        current = terms[index + 1];
      }
    }
    groups.push(current);
    let result = groups[0];
    for (let index = 1; index < groups.length; index++) result = { kind: 'and', left: result, right: groups[index] };
    return result;
  }

  parseTerm(): Expression {
    const start = this.pos;
    const ch = this.source[this.pos];
    if (ch === '!' || ch === '(') {
      let negate = false;
      if (ch === '!') {
        negate = true;
        this.pos++;
        this.skipSpace();
        if (!this.peek('(')) this.fail(start, 'expected term');
      }
      this.pos++; // (
      this.skipSpace();
      const inner = this.parseExpression();
      this.skipSpace();
      if (!this.peek(')')) this.fail(this.pos, 'expected and_op or or_op');
      this.pos++;
      return negate ? { kind: 'not', operand: inner } : inner;
    }
    return this.parsePredicate(start);
  }

  parseLhs(termStart: number, isArgument: boolean): { field: string; transforms: string[]; start: number; end: number } {
    const start = this.pos;
    const name = sticky(IDENT, this.source, this.pos);
    if (name === null) this.fail(isArgument ? start : termStart, isArgument ? 'expected lhs' : 'expected term');
    this.pos += name.length;
    const afterName = this.pos;
    this.skipSpace();
    if (this.peek('(')) {
      this.pos++;
      this.skipSpace();
      const inner = this.parseLhs(termStart, true);
      this.skipSpace();
      if (!this.peek(')')) this.fail(this.pos, 'expected binary_operator');
      this.pos++;
      if (name !== 'lower' && name !== 'any') this.fail(start, `unknown transformation function: ${name}`, this.pos);
      return { field: inner.field, transforms: [...inner.transforms, name], start, end: this.pos };
    }
    this.pos = afterName;
    return { field: name, transforms: [], start, end: afterName };
  }

  parseOperator(): BinaryOperator {
    const at = this.pos;
    for (const op of OPERATORS) {
      if (this.peek(op)) {
        this.pos += op.length;
        return op;
      }
    }
    if (this.peek('not')) {
      this.pos += 3;
      this.skipSpace();
      if (this.peek('in')) {
        this.pos += 2;
        return 'not in';
      }
    } else if (this.peek('contains')) {
      this.pos += 8;
      return 'contains';
    }
    return this.fail(at, 'expected binary_operator');
  }

  parsePredicate(termStart: number): Predicate {
    const lhs = this.parseLhs(termStart, false);
    this.skipSpace();
    const op = this.parseOperator();
    this.skipSpace();
    const rhsStart = this.pos;
    const rhs = this.parseRhs();
    const rhsEnd = this.pos;
    let literal: Literal = rhs;
    if (op === '~') {
      if (rhs.type !== 'String') this.fail(rhsStart, 'regex operator can only be used with String operands', rhsEnd);
      let regex: RegExp;
      try {
        regex = compileHeaderRegex(rhs.value);
      } catch (error) {
        const reason = (error as Error).message.replace(/^pcre2_compile\(\) failed: (.*) in ".*"$/s, '$1');
        this.fail(rhsStart, `regex parse error: ${reason}`, rhsEnd);
      }
      literal = { type: 'Regex', source: rhs.value, regex, hasGroups: countGroups(regex) > 0 };
    }
    return {
      kind: 'predicate',
      field: lhs.field,
      lower: lhs.transforms.includes('lower'),
      any: lhs.transforms.includes('any'),
      op,
      rhs: literal,
      span: { start: lhs.start, end: rhsEnd },
    };
  }

  parseRhs(): Literal {
    const source = this.source;
    const start = this.pos;
    if (source[start] === '"') return { type: 'String', value: this.parseString() };
    if (source.startsWith('r#"', start)) {
      const end = source.indexOf('"#', start + 3);
      if (end < 0) this.fail(start, 'expected rhs');
      this.pos = end + 2;
      return { type: 'String', value: source.slice(start + 3, end) };
    }
    for (const [pattern, kind] of [
      [IPV4_CIDR, 'cidr'],
      [IPV6_CIDR, 'cidr'],
      [IPV4, 'ip'],
      [IPV6, 'ip'],
    ] as const) {
      const text = sticky(pattern, source, start);
      if (text === null) continue;
      this.pos = start + text.length;
      const parsed = parseIpText(text);
      if (typeof parsed === 'string') this.fail(start, parsed, this.pos);
      if (kind === 'ip') {
        if ('prefixLength' in parsed) this.fail(start, 'invalid IP address syntax', this.pos);
        return { type: 'IpAddr', value: parsed as IpValue };
      }
      return { type: 'IpCidr', value: parsed as CidrValue };
    }
    INT.lastIndex = start;
    const int = INT.exec(source);
    if (int !== null) {
      this.pos = start + int[0].length;
      const digits = int[2] ?? int[3] ?? int[4];
      const radix = int[2] !== undefined ? 8 : int[3] !== undefined ? 16 : 10;
      let value = 0n;
      for (const digit of digits.toLowerCase()) value = value * BigInt(radix) + BigInt(parseInt(digit, 16));
      if (value > I64_MAX) this.fail(start + (int[1] === '-' ? 1 : 0) + (radix === 16 ? 2 : radix === 8 ? 1 : 0), 'number too large to fit in target type', this.pos);
      return { type: 'Int', value: Number(int[1] === '-' ? -value : value) };
    }
    return this.fail(start, 'expected rhs');
  }

  parseString(): string {
    const source = this.source;
    const start = this.pos;
    let index = start + 1;
    let out = '';
    while (index < source.length) {
      const ch = source[index];
      if (ch === '"') {
        this.pos = index + 1;
        return out;
      }
      if (ch === '\\') {
        const next = source[index + 1];
        const escaped = next === '"' ? '"' : next === '\\' ? '\\' : next === 'n' ? '\n' : next === 'r' ? '\r' : next === 't' ? '\t' : null;
        if (escaped === null) break;
        out += escaped;
        index += 2;
        continue;
      }
      out += ch;
      index++;
    }
    return this.fail(start, 'expected rhs');
  }
}

/** Parses an expression; throws ExpressionSyntaxError with a pest-style report. */
export function parseExpression(source: string): Expression {
  return new Parser(source).parseMatcher();
}
