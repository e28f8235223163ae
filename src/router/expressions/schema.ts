/**
 * The fields an expression may test, their types, and atc-router's type rules (semantic validation), with
 * its error messages. HTTP routes see every field; stream routes (tcp, tls, udp, tls_passthrough) only
 * `net.*` and `tls.sni`.
 */
import type { Expression, Predicate, ValueType } from './ast.ts';

export type Subsystem = 'http' | 'stream';

const HTTP_FIELDS: Readonly<Record<string, ValueType>> = {
  'net.protocol': 'String',
  'tls.sni': 'String',
  'http.method': 'String',
  'http.host': 'String',
  'http.path': 'String',
  'http.path.segments.*': 'String',
  'http.headers.*': 'String',
  'http.queries.*': 'String',
  'net.src.port': 'Int',
  'net.dst.port': 'Int',
  'http.path.segments.len': 'Int',
  'net.src.ip': 'IpAddr',
  'net.dst.ip': 'IpAddr',
};

const STREAM_FIELDS: Readonly<Record<string, ValueType>> = {
  'net.protocol': 'String',
  'tls.sni': 'String',
  'net.src.port': 'Int',
  'net.dst.port': 'Int',
  'net.src.ip': 'IpAddr',
  'net.dst.ip': 'IpAddr',
};

const STREAM_PROTOCOLS = new Set(['tcp', 'tls', 'udp', 'tls_passthrough']);

/** Kong picks the schema from the route's first protocol. */
export function subsystemOf(protocols: readonly string[] | null | undefined): Subsystem {
  return protocols !== null && protocols !== undefined && protocols.length > 0 && STREAM_PROTOCOLS.has(protocols[0]) ? 'stream' : 'http';
}

/** The type of a field, or undefined when the schema has no such field (`name.*` covers one more label). */
export function fieldType(field: string, subsystem: Subsystem): ValueType | undefined {
  const fields = subsystem === 'http' ? HTTP_FIELDS : STREAM_FIELDS;
  const exact = fields[field];
  if (exact !== undefined) return exact;
  const dot = field.lastIndexOf('.');
  return dot < 0 ? undefined : fields[`${field.slice(0, dot)}.*`];
}

const SEGMENTS_PREFIX = 'http.path.segments.';
const SEGMENTS_SUFFIX = /^(0|[1-9]\d*)(_([1-9]\d*))?$/;

function validatePredicate(p: Predicate, subsystem: Subsystem): string | null {
  const lhsType = fieldType(p.field, subsystem);
  if (lhsType === undefined) return 'Unknown LHS field';
  const op = p.op;
  if (op !== '~' && op !== 'in' && op !== 'not in' && lhsType !== p.rhs.type) {
    return 'Type mismatch between the LHS and RHS values of predicate';
  }
  if (p.lower && lhsType !== 'String') return 'lower-case transformation function only supported with String type fields';
  switch (op) {
    case '==':
    case '!=':
      return null;
    case '~':
      return lhsType === 'String' ? null : 'Regex operators only supports string operands';
    case '^=':
    case '=^':
      return p.rhs.type === 'String' ? null : 'Prefix/Postfix operators only supports string operands';
    case '>':
    case '>=':
    case '<':
    case '<=':
      return p.rhs.type === 'Int' ? null : 'Greater/GreaterOrEqual/Less/LessOrEqual operators only supports integer operands';
    case 'in':
    case 'not in':
      return lhsType === 'IpAddr' && p.rhs.type === 'IpCidr' ? null : 'In/NotIn operators only supports IP in CIDR';
    case 'contains':
      return p.rhs.type === 'String' ? null : 'Contains operator only supports string operands';
  }
}

function predicates(expression: Expression, out: Predicate[]): Predicate[] {
  switch (expression.kind) {
    case 'predicate':
      out.push(expression);
      break;
    case 'not':
      predicates(expression.operand, out);
      break;
    default:
      predicates(expression.left, out);
      predicates(expression.right, out);
  }
  return out;
}

/**
 * atc-router's semantic check plus Kong's check of `http.path.segments.*` names; returns the error
 * message or null. Predicates are checked left to right and the first error wins.
 */
export function validateExpression(expression: Expression, subsystem: Subsystem): string | null {
  const list = predicates(expression, []);
  for (const p of list) {
    const error = validatePredicate(p, subsystem);
    if (error !== null) return error;
  }
  for (const p of list) {
    if (!p.field.startsWith(SEGMENTS_PREFIX)) continue;
    const suffix = p.field.slice(SEGMENTS_PREFIX.length);
    if (suffix === 'len') continue;
    const m = SEGMENTS_SUFFIX.exec(suffix);
    if (m === null || (m[2] !== undefined && Number(m[1]) >= Number(m[3]))) return 'illformed http.path.segments.* field';
  }
  return null;
}

export { predicates as collectPredicates };
