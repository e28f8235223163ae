/**
 * Kong's schema syntax, as Kong JavaScript plugins write their `Schema` (an array of one-key objects:
 * `[{message: {type: "string"}}]`, records with `fields` arrays), turned into Tollgate's field
 * definitions (objects keyed by field name). The plugin server wraps `Schema` as
 * `{name, fields: [{config: {type: "record", fields: Schema}}]}`; the result here is that `config` record.
 */
import type { FieldDef, FieldsDef, FieldTypeName } from '../../schema/index.ts';

/** A schema Tollgate cannot take; `path` names the field (`config.limits.second`). */
export class KongSchemaError extends Error {
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.path = path;
  }
}

const TYPES: ReadonlySet<string> = new Set(['string', 'integer', 'number', 'boolean', 'array', 'set', 'map', 'record', 'any']);

/** Field attributes Tollgate's schema engine understands with Kong's meaning. */
const ATTRIBUTES: ReadonlySet<string> = new Set([
  'required', 'default', 'description', 'err', 'auto', 'uuid', 'timestamp', 'unique', 'immutable', 'referenceable', 'encrypted',
  'eq', 'ne', 'gt', 'between', 'one_of', 'not_one_of', 'len_eq', 'len_min', 'len_max', 'starts_with', 'match', 'not_match',
  'match_all', 'match_none', 'match_any', 'contains', 'mutually_exclusive_subsets', 'elements', 'keys', 'values', 'fields', 'entity_checks',
]);

/** Kong attributes that only annotate a field (documentation, deprecation notes): accepted and dropped. */
const ANNOTATIONS: ReadonlySet<string> = new Set(['deprecation', 'examples', 'example', 'legacy', 'translate_backwards']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Converts a Kong `fields` array (`[{name: def}, ...]`) into Tollgate's `{name: def}`, in order. */
export function convertKongFields(fields: unknown, path: string): FieldsDef {
  if (!Array.isArray(fields)) throw new KongSchemaError(path, `'fields' must be an array of {name: definition} objects, got ${describe(fields)}`);
  const out: Record<string, FieldDef> = {};
  fields.forEach((entry, i) => {
    if (!isObject(entry) || Object.keys(entry).length !== 1) {
      throw new KongSchemaError(`${path}[${i}]`, `each entry must be an object with exactly one key, the field name (e.g. {message: {type: "string"}}), got ${describe(entry)}`);
    }
    const [name, def] = Object.entries(entry)[0];
    const fieldPath = `${path}.${name}`;
    if (name in out) throw new KongSchemaError(fieldPath, 'the field is defined twice');
    out[name] = convertKongField(def, fieldPath);
  });
  return out;
}

/** Converts one Kong field definition. */
export function convertKongField(def: unknown, path: string): FieldDef {
  if (!isObject(def)) throw new KongSchemaError(path, `a field definition must be an object such as {type: "string"}, got ${describe(def)}`);
  const type = def.type === 'json' ? 'any' : def.type;
  if (typeof type !== 'string' || !TYPES.has(type)) {
    throw new KongSchemaError(path, `unknown or missing type ${describe(def.type)} (use one of ${[...TYPES, 'json'].join(', ')})`);
  }
  const out: Record<string, unknown> = { type: type as FieldTypeName };
  for (const [key, value] of Object.entries(def)) {
    if (key === 'type' || ANNOTATIONS.has(key)) continue;
    if (!ATTRIBUTES.has(key)) throw new KongSchemaError(path, `attribute '${key}' is not supported by Tollgate's schema engine`);
    switch (key) {
      case 'fields':
        out.fields = convertKongFields(value, path);
        break;
      case 'elements':
      case 'keys':
      case 'values':
        out[key] = convertKongField(value, `${path}.${key}`);
        break;
      default:
        out[key] = value;
    }
  }
  if (type === 'record' && out.fields === undefined) throw new KongSchemaError(path, "a record needs 'fields'");
  if ((type === 'array' || type === 'set') && out.elements === undefined) throw new KongSchemaError(path, `${type === 'array' ? 'an' : 'a'} ${type} needs 'elements'`);
  if (type === 'map' && (out.keys === undefined || out.values === undefined)) throw new KongSchemaError(path, "a map needs 'keys' and 'values'");
  if (out.required !== undefined && typeof out.required !== 'boolean') throw new KongSchemaError(path, "'required' must be true or false");
  for (const list of ['one_of', 'not_one_of'] as const) {
    if (out[list] !== undefined && !Array.isArray(out[list])) throw new KongSchemaError(path, `'${list}' must be an array`);
  }
  return out as unknown as FieldDef;
}

/** Kong's wrapping of a JavaScript plugin's `Schema`: the `config` record of the plugin entity. */
export function kongJsConfigRecord(schema: unknown): FieldDef & { readonly type: 'record'; readonly fields: FieldsDef } {
  return { type: 'record', fields: convertKongFields(schema ?? [], 'Schema') };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return typeof value;
  }
}
