/**
 * The log plugins' custom fields. Kong's `custom_fields_by_lua` is Lua code run per request; Tollgate runs no
 * Lua, so the field is accepted in Kong's shape but refused with a 400 naming it whenever it holds code, and
 * Tollgate offers `custom_fields` instead: dotted record paths mapped to safe templates (literal text with
 * `$(headers.x)`, `$(query_params.y)`, `$(uri_captures.z)`, `$(shared.k)` or `$(record.route.name)` parts (the
 * log record as it is before these fields are set) — request-transformer's
 * evaluator, which parses and evaluates, never runs code), compiled once per configuration.
 */
import type { FieldDef } from '../../schema/index.ts';
import type { Kong } from '../../pdk/index.ts';
import { compileTemplate, REQUEST_ROOTS, Template, TemplateError, TemplateScope, type RootName, type TemplateSource } from '../request-transformer/template.ts';

/** request-transformer's roots, plus `record`: the log record as it is before these fields are set. */
const LOG_ROOTS: ReadonlySet<RootName> = new Set<RootName>([...REQUEST_ROOTS, 'record']);

function refuseLua(value: Readonly<Record<string, unknown>>): string | null {
  const keys = Object.keys(value);
  if (keys.length === 0) return null;
  return `Tollgate does not run Lua code (field '${keys[0]}'); use config.custom_fields instead: a map of log field path to a template such as "$(headers.x_tenant)" or a literal`;
}

function checkTemplate(value: string): string | null {
  try {
    compileTemplate(value, LOG_ROOTS);
    return null;
  } catch (err) {
    if (err instanceof TemplateError) return `value '${value}' is not a valid template: ${err.message}`;
    throw err;
  }
}

function checkPath(path: string): string | null {
  for (const key of path.split('.')) {
    if (key === '') return `'${path}' has an empty segment`;
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return `'${path}' names a reserved key`;
  }
  return null;
}

/** Kong's `custom_fields_by_lua` (typedefs.lua_code), refused when it holds any code. */
export const customFieldsByLuaField = {
  type: 'map',
  keys: { type: 'string', len_min: 1 },
  values: { type: 'string', len_min: 1 },
  custom_validator: refuseLua,
  description: "Kong's Lua field, accepted only empty: Tollgate runs no Lua. Use custom_fields.",
} as const satisfies FieldDef;

/** Tollgate's `custom_fields`: log field path → template. */
export const customFieldsField = {
  type: 'map',
  keys: { type: 'string', len_min: 1, custom_validator: checkPath },
  values: { type: 'string', custom_validator: checkTemplate },
  description: 'Tollgate: fields set (or replaced) in the log record, by dotted path, each a template such as "$(headers.x_tenant)" or literal text.',
} as const satisfies FieldDef;

export type CompiledFields = readonly (readonly [string, Template])[] | null;

/** Compiles `custom_fields` once per configuration; null when there are none. */
export function compileCustomFields(fields: Readonly<Record<string, string>> | null | undefined): CompiledFields {
  if (fields == null) return null;
  const out = Object.entries(fields).map(([path, text]) => [path, compileTemplate(text, LOG_ROOTS)] as const);
  return out.length === 0 ? null : out;
}

function templateSource(kong: Kong): TemplateSource {
  return {
    headers: () => kong.request.getHeaders(),
    query_params: () => kong.request.getQuery(),
    uri_captures: () => {
      const c = kong.request.getUriCaptures();
      const all: Record<string, unknown> = Object.create(null);
      c.unnamed.forEach((v, i) => (all[i] = v));
      for (const name of Object.keys(c.named)) all[name] = c.named[name];
      return all;
    },
    shared: () => kong.ctx.shared,
    record: () => kong.log.serialize() as unknown as Readonly<Record<string, unknown>>,
  };
}

/** Sets the custom fields on this request's log record (before `kong.log.serialize()`). */
export function applyCustomFields(kong: Kong, fields: CompiledFields): void {
  if (fields === null) return;
  const scope = new TemplateScope(templateSource(kong));
  for (const [path, template] of fields) kong.log.setSerializeValue(path, template.render(scope));
}
