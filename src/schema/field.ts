/**
 * Compiles one field definition into a checker: type check, element/entry/sub-field validation and value
 * rules, producing the normalised value (defaults inside records, de-duplicated sets) and a Kong-shaped
 * error. Compiled once per definition object; validating a value allocates only its output.
 */
import type { ErrorNode, FieldDef, FieldTypeName } from './types.ts';
import { MSG, UPDATE_ENTITY_CHECK_MESSAGES, eqMessage, neMessage } from './messages.ts';
import { compileValueRules, isUuid, type ValueRule } from './validators.ts';
import { compileRecord, processRecord, type CompiledRecord, type RunState } from './record.ts';
import { isReference } from '../core/vault-reference.ts';

export interface CompiledField {
  readonly def: FieldDef;
  readonly type: FieldTypeName;
  /**
   * Validates a value that is neither null nor undefined. On success writes the normalised value to
   * `state.out` and returns undefined; otherwise returns the error.
   */
  readonly check: (value: unknown, state: RunState) => ErrorNode | undefined;
  /** The error an explicit null gets, or undefined when null is acceptable. */
  readonly nullError: string | undefined;
  /** Records: the compiled sub-schema (missing required records expand into their defaults). */
  readonly record: CompiledRecord | null;
  /** A fresh copy of the default value, or undefined when the field has no default. */
  readonly makeDefault: (() => unknown) | undefined;
}

const compiledFields = new WeakMap<FieldDef, CompiledField>();

/** True for a plain object (a JSON/YAML map), not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An empty JSON array and an empty JSON object decode to the same Lua table in Kong; accept both ways. */
function isEmptyObject(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  for (const _ in value) return false;
  return true;
}

function deepCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deepCopy);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = deepCopy(value[key]);
    return out;
  }
  return value;
}

function nullErrorOf(def: FieldDef): string | undefined {
  if (Object.prototype.hasOwnProperty.call(def, 'ne') && def.ne === null) return def.err ?? neMessage(null);
  if (def.eq !== undefined && def.eq !== null) return eqMessage(def.eq);
  if (def.required) return MSG.REQUIRED;
  return undefined;
}

/** Compiles (or returns the cached compilation of) a field definition. */
export function compileField(def: FieldDef): CompiledField {
  const cached = compiledFields.get(def);
  if (cached) return cached;
  const compiled = buildField(def);
  compiledFields.set(def, compiled);
  return compiled;
}

function buildField(def: FieldDef): CompiledField {
  const rules = compileValueRules(def);
  const mustBeNull = Object.prototype.hasOwnProperty.call(def, 'eq') && def.eq === null;
  const mustBeNullError = def.err ?? eqMessage(null);
  const record = def.type === 'record' && def.fields ? compileRecord(def) : null;
  let typed: (value: unknown, state: RunState) => ErrorNode | undefined;

  if (def.abstract) {
    typed = () => MSG.ABSTRACT_FIELD;
  } else {
    typed = buildTypedCheck(def, rules, record);
    if (def.referenceable && def.type === 'string') typed = acceptingReferences(typed);
  }

  const check = mustBeNull ? () => mustBeNullError : typed;
  let makeDefault: (() => unknown) | undefined;
  if (def.default !== undefined) {
    const value = def.default;
    makeDefault = typeof value === 'object' && value !== null ? () => deepCopy(value) : () => value;
  }
  return { def, type: def.type, check, nullError: nullErrorOf(def), record, makeDefault };
}

/**
 * A referenceable field takes a vault reference in place of its value; the value's own rules apply only once
 * it is resolved (Kong checks nothing but the reference's look at write time).
 */
function acceptingReferences(check: (value: unknown, state: RunState) => ErrorNode | undefined): (value: unknown, state: RunState) => ErrorNode | undefined {
  return (value, state) => {
    if (isReference(value)) {
      state.out = value;
      return undefined;
    }
    return check(value, state);
  };
}

function withRules(
  rules: ValueRule | null,
  state: RunState,
  value: unknown,
  out: unknown,
): ErrorNode | undefined {
  if (rules !== null) {
    const err = rules(value);
    if (err !== undefined) return err;
  }
  state.out = out;
  return undefined;
}

function buildTypedCheck(
  def: FieldDef,
  rules: ValueRule | null,
  record: CompiledRecord | null,
): (value: unknown, state: RunState) => ErrorNode | undefined {
  switch (def.type) {
    case 'string':
      return (value, state) => (typeof value === 'string' ? withRules(rules, state, value, value) : MSG.STRING);
    case 'integer':
      return (value, state) =>
        typeof value === 'number' && Number.isInteger(value) ? withRules(rules, state, value, value) : MSG.INTEGER;
    case 'number':
      return (value, state) => (typeof value === 'number' ? withRules(rules, state, value, value) : MSG.NUMBER);
    case 'boolean':
      return (value, state) => (typeof value === 'boolean' ? withRules(rules, state, value, value) : MSG.BOOLEAN);
    case 'any':
      return (value, state) => withRules(rules, state, value, value);
    case 'array':
    case 'set':
      return buildSequenceCheck(def, rules);
    case 'map':
      return buildMapCheck(def, rules);
    case 'record':
      return buildRecordCheck(def, rules, record);
    case 'foreign':
      return buildForeignCheck(def.reference, rules);
  }
}

function buildSequenceCheck(def: FieldDef, rules: ValueRule | null): (value: unknown, state: RunState) => ErrorNode | undefined {
  const isSet = def.type === 'set';
  const typeError = isSet ? MSG.SET : MSG.ARRAY;
  const elements = def.elements ? compileField(def.elements) : null;
  // Elements are always required: a null inside an array is an error.
  const elementNullError = elements ? (elements.nullError ?? MSG.REQUIRED) : MSG.REQUIRED;
  return (value, state) => {
    let items: unknown[];
    if (Array.isArray(value)) items = value;
    else if (isEmptyObject(value)) items = [];
    else return typeError;
    if (isSet) items = dedupe(items);
    const out = new Array<unknown>(items.length);
    let errors: (ErrorNode | null)[] | null = null;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      let err: ErrorNode | undefined;
      if (item === null || item === undefined) {
        err = elementNullError;
      } else if (elements) {
        err = elements.check(item, state);
        if (err === undefined) out[i] = state.out;
      } else {
        out[i] = item;
      }
      if (err !== undefined) {
        errors ??= new Array<ErrorNode | null>(i).fill(null);
        errors[i] = err;
      } else if (errors) {
        errors[i] = null;
      }
    }
    if (errors) {
      // Like Lua's sparse tables, nothing follows the last failing element.
      let last = errors.length - 1;
      while (last >= 0 && errors[last] === null) last--;
      errors.length = last + 1;
      return errors;
    }
    return withRules(rules, state, out, out);
  };
}

/** Sets drop repeated scalars (first occurrence wins), as Kong does when it stores them. */
function dedupe(items: unknown[]): unknown[] {
  if (items.length < 2) return items;
  const seen = new Set<unknown>();
  let duplicates = false;
  for (const item of items) {
    if (typeof item === 'object' && item !== null) continue;
    if (seen.has(item)) {
      duplicates = true;
      break;
    }
    seen.add(item);
  }
  if (!duplicates) return items;
  seen.clear();
  const out: unknown[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) {
      if (seen.has(item)) continue;
      seen.add(item);
    }
    out.push(item);
  }
  return out;
}

function buildMapCheck(def: FieldDef, rules: ValueRule | null): (value: unknown, state: RunState) => ErrorNode | undefined {
  const keys = def.keys ? compileField(def.keys) : null;
  const values = def.values ? compileField(def.values) : null;
  return (value, state) => {
    if (Array.isArray(value)) {
      if (value.length > 0) {
        // A non-empty list read as a map has integer keys; report what the key rule says about them.
        const err = keys ? keys.check(1, state) : undefined;
        return err ?? MSG.MAP;
      }
      value = {};
    }
    if (!isPlainObject(value)) return MSG.MAP;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (keys) {
        const err = keys.check(key, state);
        if (err !== undefined) return err;
      }
      const item = value[key];
      if (item === null || item === undefined) {
        return values?.nullError ?? MSG.REQUIRED;
      }
      if (values) {
        const err = values.check(item, state);
        if (err !== undefined) return err;
        out[key] = state.out;
      } else {
        out[key] = item;
      }
    }
    return withRules(rules, state, out, out);
  };
}

function buildRecordCheck(
  def: FieldDef,
  rules: ValueRule | null,
  record: CompiledRecord | null,
): (value: unknown, state: RunState) => ErrorNode | undefined {
  return (value, state) => {
    if (Array.isArray(value) && value.length === 0) value = {};
    if (!isPlainObject(value)) return MSG.RECORD;
    if (record === null) return withRules(rules, state, value, deepCopy(value));
    // A record inside a partial update is still checked (and filled) as a whole, as Kong does.
    const errors = processRecord(record, value, state, null, false);
    if (errors !== undefined) return errors;
    return withRules(rules, state, state.out, state.out);
  };
}

function buildForeignCheck(reference: string | undefined, rules: ValueRule | null): (value: unknown, state: RunState) => ErrorNode | undefined {
  return (value, state) => {
    if (!isPlainObject(value)) return { id: MSG.MISSING_PK };
    const id = value.id;
    if (id === undefined) return foreignWithoutId(reference, value, state);
    if (id === null) return { id: MSG.REQUIRED };
    if (typeof id !== 'string') return { id: MSG.STRING };
    if (!isUuid(id)) return { id: MSG.UUID };
    const out = { id };
    return withRules(rules, state, out, out);
  };
}

/**
 * A reference without its id. Like Kong, the fields it does give are first checked (as a partial entity)
 * against the referenced collection's schema, so `service: {protocol: "foo"}` names the bad protocol;
 * a reference whose fields are fine still lacks its primary key.
 */
function foreignWithoutId(reference: string | undefined, value: Record<string, unknown>, state: RunState): ErrorNode {
  const schema = reference === undefined ? undefined : state.foreignSchema?.(reference);
  if (schema !== undefined) {
    const inner: RunState = { out: undefined, now: state.now, messages: UPDATE_ENTITY_CHECK_MESSAGES };
    const errors = processRecord(compileRecord(schema), value, inner, null, true);
    if (errors !== undefined) return errors;
  }
  return { id: MSG.MISSING_PK };
}
