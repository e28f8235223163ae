/**
 * Validation messages, worded exactly as Kong words them: clients (decK, Kong Manager, scripts) match on
 * these strings, so they are part of the compatibility surface.
 */

export const MSG = {
  ARRAY: 'expected an array',
  SET: 'expected a set',
  MAP: 'expected a map',
  RECORD: 'expected a record',
  STRING: 'expected a string',
  NUMBER: 'expected a number',
  BOOLEAN: 'expected a boolean',
  INTEGER: 'expected an integer',
  REQUIRED: 'required field missing',
  UNKNOWN: 'unknown field',
  IMMUTABLE: 'immutable field cannot be updated',
  TIMESTAMP: 'expected a valid timestamp',
  UUID: 'expected a valid UUID',
  MISSING_PK: 'missing primary key',
  REQUIRED_FOR_ENTITY_CHECK: 'field required for entity check',
  ABSTRACT_FIELD: 'error in schema definition: abstract field was not specialized',
  ENTITY_CHECK_FAILED: 'entity check failed',
} as const;

/** Lua's `tostring` for the values schemas compare against. */
export function luaToString(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  return String(value);
}

export const eqMessage = (wanted: unknown): string => `value must be ${luaToString(wanted)}`;
export const neMessage = (what: unknown): string => `value must not be ${luaToString(what)}`;
export const gtMessage = (limit: number): string => `value must be greater than ${limit}`;
/** Kong formats the bounds with `%d`, i.e. as integers. */
export const betweenMessage = (min: number, max: number): string =>
  `value should be between ${Math.trunc(min)} and ${Math.trunc(max)}`;
export const lenEqMessage = (n: number): string => `length must be ${n}`;
export const lenMinMessage = (n: number): string => `length must be at least ${n}`;
export const lenMaxMessage = (n: number): string => `length must be at most ${n}`;
export const invalidValueMessage = (value: unknown): string => `invalid value: ${luaToString(value)}`;
export const startsWithMessage = (prefix: string): string => `should start with: ${prefix}`;
export const containsMessage = (wanted: unknown): string => `expected to contain: ${luaToString(wanted)}`;
export const oneOfMessage = (options: readonly unknown[]): string =>
  `expected one of: ${options.map(luaToString).join(', ')}`;
export const notOneOfMessage = (options: readonly unknown[]): string =>
  `must not be one of: ${options.map(luaToString).join(', ')}`;
export const failedValidatingMessage = (value: unknown): string => `failed validating: ${luaToString(value)}`;
export const subschemaUnknownMessage = (key: string): string => `unknown type: ${key}`;

/** `'a', 'b', 'c'`; nested lists become `('a', 'b'), ('c')`. */
export function quotedList(words: readonly (string | readonly string[])[]): string {
  return words.map((w) => (typeof w === 'string' ? `'${w}'` : `(${quotedList(w)})`)).join(', ');
}

/** Entity-check messages by checker name; `%s` receives the checker's detail (usually a quoted list). */
export const ENTITY_CHECK_MESSAGES: Readonly<Record<string, string>> = {
  REQUIRED_FOR_ENTITY_CHECK: 'field required for entity check',
  conditional: "failed conditional validation given value of field '%s'",
  at_least_one_of: 'at least one of these fields must be non-empty: %s',
  conditional_at_least_one_of: 'at least one of these fields must be non-empty: %s',
  only_one_of: 'exactly one of these fields must be non-empty: %s',
  distinct: 'values of these fields must be distinct: %s',
  mutually_required: 'all or none of these fields must be set: %s',
  mutually_exclusive: 'only one or none of these fields must be set: %s',
  mutually_exclusive_sets: 'these sets are mutually exclusive: %s',
};

/** Kong rewords a few messages when validating a partial update. */
export const UPDATE_ENTITY_CHECK_MESSAGES: Readonly<Record<string, string>> = {
  ...ENTITY_CHECK_MESSAGES,
  REQUIRED_FOR_ENTITY_CHECK: 'field required for entity check when updating',
  at_least_one_of: 'when updating, at least one of these fields must be non-empty: %s',
  conditional_at_least_one_of: 'when updating, at least one of these fields must be non-empty: %s',
};

export const mutuallyExclusiveSetsMessage = (groups: readonly (readonly string[])[]): string =>
  `these sets are mutually exclusive: ${quotedList(groups)}`;

/** Lua's `string.format` for the single `%s` our templates carry. */
export function formatTemplate(template: string, value: string): string {
  return template.replace('%s', () => value);
}
