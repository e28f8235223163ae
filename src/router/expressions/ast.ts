/**
 * The syntax tree of Kong's expressions language (the `atc-router` grammar): predicates `lhs op rhs`
 * combined with `&&`, `||` and `!( )`.
 */

/** Types of fields and literals (atc-router's `Type`). */
export type ValueType = 'String' | 'IpCidr' | 'IpAddr' | 'Int' | 'Regex';

/** An IPv4 address (one word) or IPv6 address (four words), most significant word first. */
export interface IpValue {
  family: 4 | 6;
  words: readonly number[];
}

export interface CidrValue {
  family: 4 | 6;
  /** Network words (host bits are zero: the parser refuses anything else, as Kong does). */
  words: readonly number[];
  prefixLength: number;
}

export type Literal =
  | { type: 'String'; value: string }
  | { type: 'Int'; value: number }
  | { type: 'IpAddr'; value: IpValue }
  | { type: 'IpCidr'; value: CidrValue }
  | { type: 'Regex'; source: string; regex: RegExp; hasGroups: boolean };

export type BinaryOperator = '==' | '!=' | '~' | '^=' | '=^' | '>=' | '>' | '<=' | '<' | 'in' | 'not in' | 'contains';

/** Where a piece of the source text starts and ends (character offsets). */
export interface Span {
  start: number;
  end: number;
}

export interface Predicate {
  kind: 'predicate';
  /** The field name as written (`http.headers.x_foo`). */
  field: string;
  /** `lower()` applied to the field. */
  lower: boolean;
  /** `any()` applied: one matching value suffices (default: every value must match). */
  any: boolean;
  op: BinaryOperator;
  rhs: Literal;
  span: Span;
}

export type Expression =
  | Predicate
  | { kind: 'and'; left: Expression; right: Expression }
  | { kind: 'or'; left: Expression; right: Expression }
  | { kind: 'not'; operand: Expression };
