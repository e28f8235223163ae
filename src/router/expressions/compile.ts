/**
 * From expression text to a checked, compiled matcher, and the route check the schema runs under
 * `router_flavor = expressions` (Kong's `validate_route`, with its messages).
 */
import type { Expression } from './ast.ts';
import { ExpressionSyntaxError, parseExpression } from './parser.ts';
import { subsystemOf, validateExpression, type Subsystem } from './schema.ts';
import { amendExpression } from './transform.ts';

export type CheckedExpression = { ok: true; expression: Expression } | { ok: false; message: string };

/** Parses and type-checks an expression for a subsystem; the message is atc-router's. */
export function checkExpression(source: string, subsystem: Subsystem): CheckedExpression {
  let expression: Expression;
  try {
    expression = parseExpression(source);
  } catch (error) {
    if (error instanceof ExpressionSyntaxError) return { ok: false, message: error.message };
    throw error;
  }
  const invalid = validateExpression(expression, subsystem);
  return invalid === null ? { ok: true, expression } : { ok: false, message: invalid };
}

const PREFIX = 'Router Expression failed validation: ';
const TRADITIONAL_FIELDS = ['snis', 'sources', 'destinations', 'methods', 'hosts', 'paths', 'headers'] as const;

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/**
 * Kong's route check for the expressions flavor: `expression` excludes the traditional fields and
 * `regex_priority`, `priority` needs `expression`, and the expression must parse and type-check.
 * Returns the `@entity` message, or null.
 */
export function expressionRouteError(route: Readonly<Record<string, unknown>>): string | null {
  const expression = route.expression;
  const expressionEmpty = expression === null || expression === undefined;
  const othersEmpty = TRADITIONAL_FIELDS.every((field) => isEmpty(route[field]));
  if (expressionEmpty && othersEmpty) return null;
  if (!expressionEmpty && !othersEmpty) {
    return `${PREFIX}cannot set 'expression' with 'methods', 'hosts', 'paths', 'headers', 'snis', 'sources' or 'destinations' simultaneously`;
  }
  const regexPriority = route.regex_priority;
  if (!expressionEmpty && regexPriority !== null && regexPriority !== undefined && regexPriority !== 0) {
    return `${PREFIX}cannot set 'regex_priority' with 'expression' simultaneously`;
  }
  const priority = route.priority;
  if (!othersEmpty && priority !== null && priority !== undefined && priority !== 0) {
    return `${PREFIX}cannot set 'priority' with 'methods', 'hosts', 'paths', 'headers', 'snis', 'sources' or 'destinations' simultaneously`;
  }
  if (expressionEmpty || typeof expression !== 'string') return null;
  const protocols = Array.isArray(route.protocols) ? (route.protocols as string[]) : null;
  const checked = checkExpression(amendExpression(expression), subsystemOf(protocols));
  return checked.ok ? null : `${PREFIX}${checked.message}`;
}
