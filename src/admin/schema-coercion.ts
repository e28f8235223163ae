/**
 * Kong's "inference" of form arguments: form values arrive as strings, and the entity schema turns them
 * into numbers, booleans, arrays, foreign keys, records and maps before validation. An empty string
 * becomes null, which is how form clients clear a field. JSON bodies are never coerced.
 */
import { ENTITIES, pluginSubschemas, type EntityMeta, type EntityName, type PluginSchemaRegistry } from '../entities/index.ts';
import type { FieldDef, FieldsDef } from '../schema/index.ts';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const HEX = /^0[xX][0-9a-fA-F]+$/;

/** Lua's `tonumber` for the texts forms carry: decimal or hex, surrounding spaces allowed; else null. */
export function luaToNumber(text: string): number | null {
  const trimmed = text.trim();
  if (DECIMAL.test(trimmed) || HEX.test(trimmed)) return Number(trimmed);
  return null;
}

/** Coerces one value by its field definition (Kong's `infer_value`). */
export function coerceValue(value: unknown, def: FieldDef | undefined): unknown {
  if (value === undefined || value === null || def === undefined) return value;
  if (value === '') return null;
  switch (def.type) {
    case 'integer':
    case 'number':
      return typeof value === 'string' ? (luaToNumber(value) ?? value) : value;
    case 'boolean':
      if (value === 'true') return true;
      if (value === 'false') return false;
      return value;
    case 'array':
    case 'set': {
      const items = Array.isArray(value) ? value : [value];
      return items.map((item) => coerceValue(item, def.elements));
    }
    case 'foreign': {
      if (!isPlainObject(value) || def.reference === undefined) return value;
      const parent = ENTITIES[def.reference as EntityName] as EntityMeta | undefined;
      return parent === undefined ? value : coerceFields(value, parent.schema.fields);
    }
    case 'map': {
      if (!isPlainObject(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = coerceValue(v, def.values);
      return out;
    }
    case 'record':
      if (def.abstract || def.fields === undefined || !isPlainObject(value)) return value;
      return coerceFields(value, def.fields);
    default:
      return value;
  }
}

/** Coerces the known fields of a record; unknown keys are left for validation to report. */
export function coerceFields(input: Record<string, unknown>, fields: FieldsDef, extra?: FieldsDef): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  for (const key of Object.keys(input)) {
    const def = Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : extra?.[key];
    if (def !== undefined) out[key] = coerceValue(input[key], def);
  }
  return out;
}

/**
 * The field definitions a form body is coerced by: the entity's, with a plugin's own definitions (its
 * `config` record, protocols, scopes) in place of the generic ones when the body names an enabled plugin.
 */
export function fieldsForInput(meta: EntityMeta, pluginName: unknown, plugins: PluginSchemaRegistry): FieldsDef {
  // Static subschemas picked by a name (a vault's backend) specialise fields the same way.
  const statics = meta.schema.subschemas;
  if (statics !== undefined && meta.schema.subschema_key === 'name' && typeof pluginName === 'string' && Object.prototype.hasOwnProperty.call(statics, pluginName)) {
    return { ...meta.schema.fields, ...statics[pluginName].fields };
  }
  if (meta.name !== 'plugins' || typeof pluginName !== 'string') return meta.schema.fields;
  const sub = pluginSubschemas(plugins).get(pluginName);
  return sub === undefined ? meta.schema.fields : { ...meta.schema.fields, ...sub.fields };
}

/** Coerces a decoded form body for an entity (Kong's `infer`): fields, shorthand fields and `ttl`. */
export function coerceEntityInput(meta: EntityMeta, input: Record<string, unknown>, plugins: PluginSchemaRegistry): Record<string, unknown> {
  const fields = fieldsForInput(meta, input.name, plugins);
  const out = coerceFields(input, fields, meta.schema.shorthand_fields);
  if (meta.ttl && typeof out.ttl === 'string') out.ttl = luaToNumber(out.ttl) ?? out.ttl;
  return out;
}
