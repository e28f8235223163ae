/**
 * Record processing: the heart of validation. For one record (an entity, a plugin configuration, a nested
 * structure) it expands shorthand fields, picks the subschema, fills defaults and auto values, checks every
 * field, reports unknown fields and runs the entity checks, in one pass over the fields.
 */
import { randomUUID } from 'node:crypto';
import type { EntityCheck, ErrorNode, ErrorTree, FieldDef, FieldsDef, SchemaDef, SubschemaDef } from './types.ts';
import { MSG, formatTemplate, subschemaUnknownMessage } from './messages.ts';
import { compileField, isPlainObject, type CompiledField } from './field.ts';
import { compileEntityChecks, type CompiledCheck, type ErrorBag } from './entity-checks.ts';
import { randomString } from './random.ts';

/** Per-validation state shared by every field and check of one call. */
export interface RunState {
  /** Output slot: the normalised value of the last successful field check. */
  out: unknown;
  /** Milliseconds since the epoch, for auto timestamps. */
  readonly now: number;
  /** Entity-check message templates (Kong rewords some for updates). */
  readonly messages: Readonly<Record<string, string>>;
  /** The schema of a foreign field's collection, to report what is wrong in a reference given without its id. */
  readonly foreignSchema?: (reference: string) => SchemaDef | undefined;
}

type AutoKind = 'uuid' | 'string' | 'created_at' | 'updated_at' | null;

/** The fields and checks in force for one subschema (or for the base schema). */
interface FieldPlan {
  readonly names: readonly string[];
  readonly fields: readonly CompiledField[];
  readonly required: readonly boolean[];
  readonly auto: readonly AutoKind[];
  readonly byName: ReadonlyMap<string, CompiledField>;
  readonly checks: readonly CompiledCheck[];
}

interface CompiledShorthand {
  readonly name: string;
  readonly field: CompiledField;
  readonly func: (value: unknown) => Readonly<Record<string, unknown>> | null | undefined;
}

export interface CompiledRecord {
  readonly base: FieldPlan;
  readonly shorthands: readonly CompiledShorthand[];
  readonly subschemaKey: string | null;
  readonly subschemaError: string | null;
  readonly staticSubschemas: ReadonlyMap<string, FieldPlan>;
  /** Plans for subschemas supplied at validation time (plugins), built on first use. */
  readonly dynamicPlans: WeakMap<SubschemaDef, FieldPlan>;
  readonly baseFields: FieldsDef;
  readonly baseChecks: readonly EntityCheck[] | undefined;
  readonly ttl: boolean;
}

const compiledRecords = new WeakMap<object, CompiledRecord>();

/** Whether a missing value is an error: records count as required unless they say otherwise. */
function isRequired(def: FieldDef): boolean {
  return def.required ?? def.type === 'record';
}

function autoKindOf(name: string, def: FieldDef): AutoKind {
  if (!def.auto) return null;
  if (def.uuid) return 'uuid';
  if (def.type === 'integer' || def.type === 'number') {
    if (name === 'created_at') return 'created_at';
    if (name === 'updated_at') return 'updated_at';
    return null;
  }
  if (def.type === 'string') return 'string';
  return null;
}

function buildPlan(
  baseFields: FieldsDef,
  baseChecks: readonly EntityCheck[] | undefined,
  sub: SubschemaDef | null,
): FieldPlan {
  const overrides = sub?.fields ?? {};
  for (const name of Object.keys(overrides)) {
    if (!Object.prototype.hasOwnProperty.call(baseFields, name)) {
      throw new Error(`subschema '${sub?.name ?? '?'}' declares field '${name}' that the base schema lacks`);
    }
  }
  const names = Object.keys(baseFields);
  const defs = names.map((name) => overrides[name] ?? baseFields[name]);
  const byDef = new Map<string, FieldDef>(names.map((name, i) => [name, defs[i]]));
  const checks = [
    ...compileEntityChecks(baseChecks, (name) => baseFields[name]),
    ...compileEntityChecks(sub?.entity_checks, (name) => byDef.get(name)),
  ];
  const fields = defs.map(compileField);
  return {
    names,
    fields,
    required: defs.map(isRequired),
    auto: names.map((name, i) => autoKindOf(name, defs[i])),
    byName: new Map(names.map((name, i) => [name, fields[i]])),
    checks,
  };
}

/** Compiles (or returns the cached compilation of) a record schema or a record field. */
export function compileRecord(def: SchemaDef | FieldDef): CompiledRecord {
  const cached = compiledRecords.get(def);
  if (cached) return cached;
  const baseFields = def.fields ?? {};
  const schema = def as SchemaDef;
  const staticSubschemas = new Map<string, FieldPlan>();
  for (const [key, sub] of Object.entries(schema.subschemas ?? {})) {
    staticSubschemas.set(key, buildPlan(baseFields, def.entity_checks, sub));
  }
  const shorthands = Object.entries(schema.shorthand_fields ?? {}).map(([name, sdef]) => ({
    name,
    field: compileField(sdef),
    func: sdef.func as (value: unknown) => Readonly<Record<string, unknown>> | null | undefined,
  }));
  const compiled: CompiledRecord = {
    base: buildPlan(baseFields, def.entity_checks, null),
    shorthands,
    subschemaKey: schema.subschema_key ?? null,
    subschemaError: schema.subschema_error ?? null,
    staticSubschemas,
    dynamicPlans: new WeakMap(),
    baseFields,
    baseChecks: def.entity_checks,
    ttl: schema.ttl === true,
  };
  compiledRecords.set(def, compiled);
  return compiled;
}

function expandShorthands(
  record: CompiledRecord,
  input: Record<string, unknown>,
  state: RunState,
): { data: Record<string, unknown>; errors: ErrorBag | null } {
  let data = input;
  let errors: ErrorBag | null = null;
  let copied = false;
  for (const shorthand of record.shorthands) {
    const value = data[shorthand.name];
    if (value === undefined) continue;
    if (!copied) {
      data = { ...data };
      copied = true;
    }
    const err = value === null ? shorthand.field.nullError : shorthand.field.check(value, state);
    if (err !== undefined) {
      (errors ??= {})[shorthand.name] = err;
      continue;
    }
    delete data[shorthand.name];
    let expanded: Record<string, unknown> | null | undefined;
    try {
      expanded = shorthand.func(value);
    } catch {
      // Whatever the value, a bad shorthand is the user's error on that field, never a crash.
      (errors ??= {})[shorthand.name] = 'invalid value';
      continue;
    }
    if (!expanded) continue;
    for (const key of Object.keys(expanded)) {
      const next = expanded[key];
      if (isPlainObject(next)) {
        const current = data[key];
        data[key] = { ...(isPlainObject(current) ? current : {}), ...next };
      } else {
        data[key] = next;
      }
    }
  }
  return { data, errors };
}

/** The subschema key's value as Kong prints it in `unknown type: %s`. */
function subschemaKeyText(key: unknown): string {
  if (typeof key === 'string') return key;
  if (Array.isArray(key)) return key.length > 0 ? String(key[0]) : 'nil';
  return String(key);
}

function selectPlan(
  record: CompiledRecord,
  data: Record<string, unknown>,
  dynamic: ReadonlyMap<string, SubschemaDef> | null,
): FieldPlan | ErrorTree {
  const keyName = record.subschemaKey;
  if (keyName === null) return record.base;
  let key = data[keyName];
  if (key === undefined) key = record.base.byName.get(keyName)?.makeDefault?.();
  if (key === null || key === undefined) return { [keyName]: MSG.REQUIRED };
  const find = (k: unknown): FieldPlan | undefined => {
    if (typeof k !== 'string') return undefined;
    if (dynamic) {
      const sub = dynamic.get(k);
      if (!sub) return undefined;
      let plan = record.dynamicPlans.get(sub);
      if (!plan) {
        plan = buildPlan(record.baseFields, record.baseChecks, sub);
        record.dynamicPlans.set(sub, plan);
      }
      return plan;
    }
    return record.staticSubschemas.get(k);
  };
  let plan: FieldPlan | undefined;
  if (typeof key === 'string') plan = find(key);
  else if (Array.isArray(key)) {
    for (const k of key) {
      plan = find(k);
      if (plan) break;
    }
  }
  if (plan) return plan;
  const template = record.subschemaError;
  const text = subschemaKeyText(key);
  return { [keyName]: template ? formatTemplate(template, text) : subschemaUnknownMessage(text) };
}

function timestampFor(field: CompiledField, now: number): number {
  return field.type === 'integer' ? Math.floor(now / 1000) : Math.round(now) / 1000;
}

/**
 * Validates one record and fills it in. On success writes the processed record to `state.out` and returns
 * undefined; otherwise returns the error tree. `partial` validates an update: missing fields stay missing,
 * only explicit nulls of required fields fail, and entity checks skip what is absent.
 */
export function processRecord(
  record: CompiledRecord,
  input: Record<string, unknown>,
  state: RunState,
  dynamicSubschemas: ReadonlyMap<string, SubschemaDef> | null,
  partial: boolean,
): ErrorTree | undefined {
  let data = input;
  if (record.shorthands.length > 0) {
    const expanded = expandShorthands(record, input, state);
    if (expanded.errors) return expanded.errors;
    data = expanded.data;
  }

  const selected = selectPlan(record, data, dynamicSubschemas);
  if (!('byName' in selected)) return selected as ErrorTree;
  const plan = selected as FieldPlan;

  const out: Record<string, unknown> = {};
  const errors: ErrorBag = {};
  let failed = false;
  const { names, fields, required, auto } = plan;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const field = fields[i];
    const value = data[name];
    const autoKind = auto[i];
    if (autoKind !== null) {
      // updated_at is always stamped and never validated; created_at is kept when given.
      if (autoKind === 'updated_at') {
        out[name] = timestampFor(field, state.now);
        continue;
      }
      if (!partial && (value === undefined || (value === null && autoKind === 'created_at'))) {
        if (autoKind === 'created_at') out[name] = timestampFor(field, state.now);
        else if (autoKind === 'uuid') out[name] = randomUUID();
        else out[name] = randomString();
        continue;
      }
    }
    if (value === undefined) {
      if (partial) continue;
      const makeDefault = field.makeDefault;
      if (makeDefault !== undefined) {
        const fallback = makeDefault();
        if (field.record !== null && isPlainObject(fallback)) {
          const err = processRecord(field.record, fallback, state, null, false);
          if (err !== undefined) {
            errors[name] = err;
            failed = true;
          } else {
            out[name] = state.out;
          }
        } else {
          out[name] = fallback;
        }
      } else if (!required[i]) {
        out[name] = null;
      } else if (field.record !== null) {
        const err = processRecord(field.record, {}, state, null, false);
        if (err !== undefined) {
          errors[name] = err;
          failed = true;
        } else {
          out[name] = state.out;
        }
      } else {
        errors[name] = MSG.REQUIRED;
        failed = true;
      }
      continue;
    }
    if (value === null) {
      // Deviation from Kong (which stores the null): an optional field with a default falls back to it,
      // so a validated entity never holds null where its type promises a value.
      if (field.makeDefault !== undefined && field.nullError === undefined && !field.record) {
        const fallback = field.makeDefault();
        if (fallback !== null) {
          out[name] = fallback;
          continue;
        }
      }
      const err = required[i] && field.nullError === undefined ? MSG.REQUIRED : field.nullError;
      if (err !== undefined) {
        errors[name] = err;
        failed = true;
      }
      out[name] = null;
      continue;
    }
    const err: ErrorNode | undefined = field.check(value, state);
    if (err !== undefined) {
      errors[name] = err;
      failed = true;
      // Entity checks still see the rejected value, as in Kong (an invalid path still counts as "set").
      out[name] = value;
    } else {
      out[name] = state.out;
    }
  }

  const byName = plan.byName;
  for (const key in data) {
    if (byName.has(key)) continue;
    if (record.ttl && key === 'ttl') {
      out.ttl = data.ttl;
      continue;
    }
    errors[key] = MSG.UNKNOWN;
    failed = true;
  }

  const checks = plan.checks;
  for (let i = 0; i < checks.length; i++) checks[i](out, errors, state, !partial);
  if (!failed) {
    for (const _ in errors) {
      failed = true;
      break;
    }
  }
  if (failed) return errors;
  state.out = out;
  return undefined;
}
