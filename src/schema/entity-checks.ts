/**
 * Entity-level (cross-field) checks: at_least_one_of, conditional, only_one_of, ... compiled once per schema.
 * Each check follows Kong's gating rules: some run even when their fields failed validation or are
 * missing, others are skipped; their messages go to `@entity` (and conditionals also mark the field).
 */
import type { EntityCheck, EntityView, ErrorNode, FieldDef, MatchSpec } from './types.ts';
import { MSG, formatTemplate, quotedList } from './messages.ts';
import { compileField, type CompiledField } from './field.ts';
import type { RunState } from './record.ts';
import { isReference } from '../core/vault-reference.ts';

/** Mutable error tree of one record while it is being validated. */
export type ErrorBag = Record<string, ErrorNode>;

export type CompiledCheck = (entity: Record<string, unknown>, errors: ErrorBag, state: RunState, fullCheck: boolean) => void;

/** What a checker function reports: nothing when the entity passes. */
interface CheckFailure {
  /** Filled into the checker's message template. */
  detail: string;
  /** A message chosen by the schema, used verbatim instead of the template. */
  custom?: string | undefined;
}

interface CheckerSpec {
  name: string;
  fields: readonly string[];
  required: ReadonlySet<string>;
  runWithMissing: boolean;
  runWithInvalid: boolean;
  fn: (entity: Record<string, unknown>, errors: ErrorBag, state: RunState) => CheckFailure | undefined;
}

/** Reads `a.b.c` from nested objects. */
export function getPath(entity: unknown, path: string): unknown {
  if (entity === null || entity === undefined || typeof entity !== 'object') return undefined;
  const dot = path.indexOf('.');
  if (dot < 0) return (entity as Record<string, unknown>)[path];
  return getPath((entity as Record<string, unknown>)[path.slice(0, dot)], path.slice(dot + 1));
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const dot = path.indexOf('.');
  if (dot < 0) {
    target[path] = value;
    return;
  }
  const head = path.slice(0, dot);
  let sub = target[head];
  if (typeof sub !== 'object' || sub === null) {
    sub = {};
    target[head] = sub;
  }
  setPath(sub as Record<string, unknown>, path.slice(dot + 1), value);
}

/** Kong's notion of "set": not null, not an empty string, not an empty list or map. */
export function isNonEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') {
    for (const _ in value) return true;
    return false;
  }
  return true;
}

export function addEntityError(errors: ErrorBag, message: string): void {
  const list = errors['@entity'];
  if (Array.isArray(list)) (list as string[]).push(message);
  else errors['@entity'] = [message];
}

/** Compiles a match spec against the field it refines: unspecified rules come from the field. */
function compileMatch(spec: MatchSpec, field: FieldDef | undefined): CompiledField {
  const merged = { type: 'any', ...field, ...spec } as FieldDef;
  return compileField(merged);
}

/** Kong's `validate_field` on a single value, used to evaluate `if_match`/`then_match`. */
function matchValue(match: CompiledField, value: unknown, state: RunState): ErrorNode | undefined {
  if (value === null) return match.nullError;
  if (value === undefined) return MSG.REQUIRED;
  return match.check(value, state);
}

function conditionalSpec(
  arg: Extract<EntityCheck, { conditional: unknown }>['conditional'],
  fieldOf: (name: string) => FieldDef | undefined,
): CheckerSpec {
  const ifMatch = compileMatch(arg.if_match, fieldOf(arg.if_field));
  const thenMatch = compileMatch(arg.then_match, fieldOf(arg.then_field));
  const thenRequired = arg.then_match.required === true;
  return {
    name: 'conditional',
    fields: [arg.if_field, arg.then_field],
    required: new Set([arg.if_field]),
    runWithMissing: false,
    runWithInvalid: true,
    fn: (entity, errors, state) => {
      if (matchValue(ifMatch, getPath(entity, arg.if_field), state) !== undefined) return undefined;
      let thenValue = getPath(entity, arg.then_field);
      if (thenValue === undefined) thenValue = null;
      if (thenRequired && thenValue === null) {
        setPath(errors, arg.then_field, MSG.REQUIRED);
        return { detail: arg.if_field };
      }
      const err = matchValue(thenMatch, thenValue, state);
      if (err === undefined) return undefined;
      setPath(errors, arg.then_field, err);
      return { detail: arg.if_field, custom: arg.then_err && formatTemplate(arg.then_err, arg.if_field) };
    },
  };
}

function conditionalAtLeastOneOfSpec(
  arg: Extract<EntityCheck, { conditional_at_least_one_of: unknown }>['conditional_at_least_one_of'],
  fieldOf: (name: string) => FieldDef | undefined,
): CheckerSpec {
  const ifField = fieldOf(arg.if_field);
  const ifMatch = compileMatch(arg.if_match, ifField);
  const elseMatch = arg.else_match ? compileMatch(arg.else_match, ifField) : null;
  const thenList = quotedList(arg.then_at_least_one_of);
  const elseNames = arg.else_then_at_least_one_of ?? [];
  const elseList = quotedList(elseNames);
  return {
    name: 'conditional_at_least_one_of',
    fields: [arg.if_field, ...arg.then_at_least_one_of, ...elseNames],
    // Kong declares its required fields in a shape it never reads, so none are required.
    required: new Set(),
    runWithMissing: true,
    runWithInvalid: true,
    fn: (entity, _errors, state) => {
      const ifValue = getPath(entity, arg.if_field);
      if (ifValue === undefined) return undefined;
      if (matchValue(ifMatch, ifValue, state) !== undefined) {
        if (elseMatch === null || matchValue(elseMatch, ifValue, state) !== undefined) return undefined;
        if (elseNames.some((name) => isNonEmpty(getPath(entity, name)))) return undefined;
        return { detail: elseList, custom: arg.else_then_err && formatTemplate(arg.else_then_err, elseList) };
      }
      if (arg.then_at_least_one_of.some((name) => isNonEmpty(getPath(entity, name)))) return undefined;
      return { detail: thenList, custom: arg.then_err && formatTemplate(arg.then_err, thenList) };
    },
  };
}

function checkerSpec(check: EntityCheck, fieldOf: (name: string) => FieldDef | undefined): CheckerSpec {
  if ('at_least_one_of' in check) {
    const names = check.at_least_one_of;
    const detail = quotedList(names);
    return {
      name: 'at_least_one_of',
      fields: names,
      required: new Set(names),
      runWithMissing: true,
      runWithInvalid: true,
      fn: (entity) => (names.some((n) => isNonEmpty(getPath(entity, n))) ? undefined : { detail }),
    };
  }
  if ('only_one_of' in check) {
    const names = check.only_one_of;
    const detail = quotedList(names);
    return {
      name: 'only_one_of',
      fields: names,
      required: new Set(names),
      runWithMissing: false,
      runWithInvalid: true,
      fn: (entity) => (names.filter((n) => isNonEmpty(getPath(entity, n))).length === 1 ? undefined : { detail }),
    };
  }
  if ('distinct' in check) {
    const names = check.distinct;
    const detail = quotedList(names);
    return {
      name: 'distinct',
      fields: names,
      required: new Set(names),
      runWithMissing: false,
      runWithInvalid: true,
      fn: (entity) => {
        const seen = new Set<unknown>();
        for (const name of names) {
          const value = getPath(entity, name);
          if (!isNonEmpty(value)) continue;
          if (seen.has(value)) return { detail };
          seen.add(value);
        }
        return undefined;
      },
    };
  }
  if ('mutually_required' in check || 'mutually_exclusive' in check) {
    const required = 'mutually_required' in check;
    const names = required ? check.mutually_required : (check as { mutually_exclusive: readonly string[] }).mutually_exclusive;
    const detail = quotedList(names);
    return {
      name: required ? 'mutually_required' : 'mutually_exclusive',
      fields: names,
      required: new Set(names),
      runWithMissing: true,
      runWithInvalid: false,
      fn: (entity) => {
        const set = names.filter((n) => isNonEmpty(getPath(entity, n))).length;
        const ok = required ? set === 0 || set === names.length : set <= 1;
        return ok ? undefined : { detail };
      },
    };
  }
  if ('mutually_exclusive_sets' in check) {
    const { set1, set2 } = check.mutually_exclusive_sets;
    return {
      name: 'mutually_exclusive_sets',
      fields: [...set1, ...set2],
      required: new Set([...set1, ...set2]),
      runWithMissing: true,
      runWithInvalid: false,
      fn: (entity) => {
        const in1 = set1.filter((n) => isNonEmpty(getPath(entity, n)));
        const in2 = set2.filter((n) => isNonEmpty(getPath(entity, n)));
        return in1.length > 0 && in2.length > 0 ? { detail: `(${quotedList(in1)}), (${quotedList(in2)})` } : undefined;
      },
    };
  }
  if ('conditional' in check) return conditionalSpec(check.conditional, fieldOf);
  if ('conditional_at_least_one_of' in check) return conditionalAtLeastOneOfSpec(check.conditional_at_least_one_of, fieldOf);
  const arg = check.custom_entity_check;
  return {
    name: 'custom_entity_check',
    fields: arg.field_sources,
    required: new Set(arg.field_sources),
    runWithMissing: arg.run_with_missing_fields ?? false,
    runWithInvalid: arg.run_with_invalid_fields ?? false,
    fn: (entity) => {
      const message = arg.fn(entity as EntityView);
      return message === null || message === undefined ? undefined : { detail: message || MSG.ENTITY_CHECK_FAILED };
    },
  };
}

/**
 * Compiles a list of entity checks. `fieldOf` resolves the field definitions the checks refer to (from the
 * subschema when one applies), which conditional checks use to complete their match specs.
 */
export function compileEntityChecks(
  checks: readonly EntityCheck[] | undefined,
  fieldOf: (name: string) => FieldDef | undefined,
): CompiledCheck[] {
  if (!checks) return [];
  return checks.map((check) => {
    const spec = checkerSpec(check, fieldOf);
    const { fields, required, runWithMissing, runWithInvalid, fn, name } = spec;
    // A check over a referenceable field cannot judge a reference (its value is not known yet): skipped, as Kong does.
    const referenceable = new Set(fields.filter((field) => fieldOf(field)?.referenceable === true));
    return (entity, errors, state, fullCheck) => {
      let missing: string[] | null = null;
      let allNil = true;
      let allOk = true;
      for (const field of fields) {
        const value = getPath(entity, field);
        if (referenceable.size > 0 && referenceable.has(field) && isReference(value)) return;
        if (value === undefined) {
          if (!runWithMissing && required.has(field)) (missing ??= []).push(field);
        } else {
          allNil = false;
        }
        if (errors[field] !== undefined) allOk = false;
      }
      if (!allOk && !runWithInvalid) return;
      if (allNil && !(runWithMissing && fullCheck)) return;
      if (missing) {
        for (const field of missing) setPath(errors, field, state.messages.REQUIRED_FOR_ENTITY_CHECK);
        return;
      }
      const failure = fn(entity, errors, state);
      if (failure === undefined) return;
      if (failure.custom) {
        addEntityError(errors, failure.custom);
        return;
      }
      const template = state.messages[name];
      addEntityError(errors, template ? formatTemplate(template, failure.detail) : failure.detail);
    };
  });
}
