/**
 * Compiles a validated expression into a function of the request, with atc-router's semantics:
 * - a field without a value fails every predicate (also `!=` and `not in`);
 * - a field with several values (repeated headers or query arguments) passes only when every value
 *   passes, unless `any()` is applied, when one value suffices;
 * - a passing `==`, `^=`, `=^` or `~` on `http.path` records the matched text (the literal, or the regex
 *   match), which strip_path removes; a passing regex records its captures (for uri_captures).
 * The record is kept across the branches of one route's evaluation, as in atc-router.
 */
import type { Expression, Literal, Predicate } from './ast.ts';
import { cidrContains, ipEquals } from './ip.ts';
import { fieldReader, type ExpressionRequest, type FieldValue } from './request.ts';
import type { IpValue } from './ast.ts';

/** What one route's evaluation records. */
export class MatchRecord {
  /** Matched text of `http.path`, or undefined. */
  path: string | undefined = undefined;
  captures: Record<string, string> | null = null;

  reset(): void {
    this.path = undefined;
    this.captures = null;
  }
}

export type Evaluator = (request: ExpressionRequest, record: MatchRecord) => boolean;

type ValueTest = (value: FieldValue, record: MatchRecord) => boolean;

function recordCaptures(record: MatchRecord, match: RegExpExecArray): void {
  const captures = (record.captures ??= {});
  for (let index = 0; index < match.length; index++) {
    const value = match[index];
    if (value !== undefined) captures[index] = value;
  }
  const groups = match.groups;
  if (groups !== undefined) {
    for (const name of Object.keys(groups)) {
      const value = groups[name];
      if (value !== undefined) captures[name] = value;
    }
  }
}

function valueTest(p: Predicate, withCaptures: boolean): ValueTest {
  const rhs: Literal = p.rhs;
  const isPath = p.field === 'http.path';
  const lower = p.lower;
  const text = (value: FieldValue): string => (lower ? (value as string).toLowerCase() : (value as string));
  switch (p.op) {
    case '==':
      if (rhs.type === 'String') {
        const literal = rhs.value;
        return (value, record) => {
          if (text(value) !== literal) return false;
          if (isPath) record.path = literal;
          return true;
        };
      }
      if (rhs.type === 'Int') return (value) => value === rhs.value;
      if (rhs.type === 'IpAddr') return (value) => ipEquals(value as IpValue, rhs.value);
      break;
    case '!=':
      if (rhs.type === 'String') return (value) => text(value) !== rhs.value;
      if (rhs.type === 'Int') return (value) => value !== rhs.value;
      if (rhs.type === 'IpAddr') return (value) => !ipEquals(value as IpValue, rhs.value);
      break;
    case '~': {
      if (rhs.type !== 'Regex') break;
      const regex = rhs.regex;
      if (!withCaptures && !isPath) return (value) => regex.test(text(value));
      return (value, record) => {
        const match = regex.exec(text(value));
        if (match === null) return false;
        if (isPath) record.path = match[0];
        if (withCaptures) recordCaptures(record, match);
        return true;
      };
    }
    case '^=':
      if (rhs.type === 'String') {
        const literal = rhs.value;
        return (value, record) => {
          if (!text(value).startsWith(literal)) return false;
          if (isPath) record.path = literal;
          return true;
        };
      }
      break;
    case '=^':
      if (rhs.type === 'String') {
        const literal = rhs.value;
        return (value, record) => {
          if (!text(value).endsWith(literal)) return false;
          if (isPath) record.path = literal;
          return true;
        };
      }
      break;
    case '>':
      if (rhs.type === 'Int') return (value) => (value as number) > rhs.value;
      break;
    case '>=':
      if (rhs.type === 'Int') return (value) => (value as number) >= rhs.value;
      break;
    case '<':
      if (rhs.type === 'Int') return (value) => (value as number) < rhs.value;
      break;
    case '<=':
      if (rhs.type === 'Int') return (value) => (value as number) <= rhs.value;
      break;
    case 'in':
      if (rhs.type === 'IpCidr') return (value) => cidrContains(rhs.value, value as IpValue);
      break;
    case 'not in':
      if (rhs.type === 'IpCidr') return (value) => !cidrContains(rhs.value, value as IpValue);
      break;
    case 'contains':
      if (rhs.type === 'String') return (value) => text(value).includes(rhs.value);
      break;
  }
  throw new Error(`invalid predicate '${p.field} ${p.op}': the expression was not validated`);
}

function compilePredicate(p: Predicate, withCaptures: boolean): Evaluator {
  const read = fieldReader(p.field);
  const test = valueTest(p, withCaptures);
  const any = p.any;
  return (request, record) => {
    const values = read(request);
    if (values === undefined) return false;
    if (!Array.isArray(values)) return test(values as FieldValue, record);
    const list = values as readonly FieldValue[];
    if (list.length === 0) return false;
    for (let index = 0; index < list.length; index++) {
      const passed = test(list[index], record);
      if (any && passed) return true;
      if (!any && !passed) return false;
    }
    return !any;
  };
}

/** Whether a regex with capture groups occurs (then every regex of the route records its captures). */
export function hasCapturingRegex(expression: Expression): boolean {
  switch (expression.kind) {
    case 'predicate':
      return expression.rhs.type === 'Regex' && expression.rhs.hasGroups;
    case 'not':
      return hasCapturingRegex(expression.operand);
    default:
      return hasCapturingRegex(expression.left) || hasCapturingRegex(expression.right);
  }
}

export function compileEvaluator(expression: Expression, withCaptures: boolean): Evaluator {
  switch (expression.kind) {
    case 'predicate':
      return compilePredicate(expression, withCaptures);
    case 'not': {
      const operand = compileEvaluator(expression.operand, withCaptures);
      return (request, record) => !operand(request, record);
    }
    case 'and': {
      const left = compileEvaluator(expression.left, withCaptures);
      const right = compileEvaluator(expression.right, withCaptures);
      return (request, record) => left(request, record) && right(request, record);
    }
    case 'or': {
      const left = compileEvaluator(expression.left, withCaptures);
      const right = compileEvaluator(expression.right, withCaptures);
      return (request, record) => left(request, record) || right(request, record);
    }
  }
}
