/**
 * The public validation entry points: validate an entity (or any record schema) against its definition,
 * filling defaults and auto fields, and get either the typed value or a Kong-shaped error tree.
 */
import type { EntityType, ErrorNode, ErrorTree, FieldDef, SchemaDef, SubschemaDef, ValidationResult } from './types.ts';
import { ENTITY_CHECK_MESSAGES, MSG, UPDATE_ENTITY_CHECK_MESSAGES } from './messages.ts';
import { compileField, isPlainObject } from './field.ts';
import { compileRecord, processRecord, type RunState } from './record.ts';

export interface ValidateOptions {
  /**
   * `insert`/`upsert` (default): a complete entity; missing fields get defaults, auto fields are generated.
   * `update`: Kong's update validation of an entity the caller already merged with the stored one (records
   * merged field by field): nothing is defaulted or generated except `updated_at`, only explicit nulls of
   * required fields fail, and some entity-check messages read "when updating".
   */
  context?: 'insert' | 'upsert' | 'update';
  /** Milliseconds since the epoch used for `created_at`/`updated_at` (default: `Date.now()`). */
  now?: number;
  /** Subschemas chosen by the subschema key at run time (plugins: plugin name -> config schema). */
  subschemas?: ReadonlyMap<string, SubschemaDef>;
  /** The schema of a referenced collection, to check the fields of a reference given without its id. */
  foreignSchema?: (reference: string) => SchemaDef | undefined;
}

/**
 * Validates `input` against `schema` and returns the processed entity (defaults filled, sets de-duplicated,
 * foreign keys as `{id}`) or the error tree (`{field: message, '@entity': [...]}`) Kong would report.
 * The input is never modified.
 */
export function validateRecord<S extends SchemaDef>(
  schema: S,
  input: unknown,
  options: ValidateOptions = {},
): ValidationResult<EntityType<S>> {
  if (!isPlainObject(input)) return { ok: false, errors: { '@entity': [MSG.RECORD] } };
  const partial = options.context === 'update';
  const state: RunState = {
    out: undefined,
    now: options.now ?? Date.now(),
    messages: partial ? UPDATE_ENTITY_CHECK_MESSAGES : ENTITY_CHECK_MESSAGES,
    foreignSchema: options.foreignSchema,
  };
  const errors = processRecord(compileRecord(schema), input, state, options.subschemas ?? null, partial);
  if (errors !== undefined) return { ok: false, errors };
  return { ok: true, value: state.out as EntityType<S> };
}

/**
 * Validates a single value against a field definition (null and missing handled as for a record field).
 * Returns undefined when valid, else the error.
 */
export function validateFieldValue(field: FieldDef, value: unknown, now: number = Date.now()): ErrorNode | undefined {
  const compiled = compileField(field);
  if (value === null || value === undefined) {
    return compiled.nullError ?? (field.required ?? field.type === 'record' ? MSG.REQUIRED : undefined);
  }
  const state: RunState = { out: undefined, now, messages: ENTITY_CHECK_MESSAGES };
  return compiled.check(value, state);
}

/**
 * Kong's immutable-field rule for updates: a field declared `immutable` may not change once stored.
 * Returns the errors (`{field: 'immutable field cannot be updated'}`) or null.
 */
export function checkImmutableFields(
  schema: SchemaDef,
  update: Readonly<Record<string, unknown>>,
  stored: Readonly<Record<string, unknown>>,
): ErrorTree | null {
  let errors: Record<string, string> | null = null;
  for (const [name, def] of Object.entries(schema.fields)) {
    if (!def.immutable || !(name in update) || stored[name] === undefined) continue;
    if (!sameValue(update[name], stored[name], def.type === 'set')) (errors ??= {})[name] = MSG.IMMUTABLE;
  }
  return errors;
}

function sameValue(a: unknown, b: unknown, unordered: boolean): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    if (unordered) return a.every((item) => b.some((other) => sameValue(item, other, false)));
    return a.every((item, i) => sameValue(item, b[i], false));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => sameValue(a[key], b[key], false));
  }
  return false;
}
