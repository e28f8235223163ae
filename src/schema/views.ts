/**
 * Two read-only views of a schema: JSON Schema (for editors, docs and external validators) and Kong's
 * `GET /schemas/{entity}` shape (`{fields: [{name: {...}}], entity_checks: [...]}`, functions removed),
 * which Kong Manager reads to build its forms.
 */
import type { EntityCheck, FieldDef, FieldsDef, SchemaDef } from './types.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

// ---------------------------------------------------------------------------------------------------------
// Kong's schema view

function kongValue(value: unknown, parentType: string | undefined, key: string): JsonValue | undefined {
  if (typeof value === 'function' || value === undefined) return undefined;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (value === Infinity) return 'inf';
    if (value === -Infinity) return '-inf';
    return value;
  }
  if (value === null || typeof value !== 'object') return value as JsonValue;
  if (Array.isArray(value)) return value.map((item) => kongValue(item, undefined, '') ?? null);
  if (key === 'fields' && parentType === 'record') return kongFields(value as FieldsDef);
  return kongObject(value as Record<string, unknown>);
}

function kongObject(obj: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  const type = typeof obj.type === 'string' ? obj.type : undefined;
  for (const [key, value] of Object.entries(obj)) {
    const converted = kongValue(value, type, key);
    if (converted !== undefined) out[key] = converted;
  }
  return out;
}

function kongFields(fields: FieldsDef): JsonValue[] {
  return Object.entries(fields).map(([name, def]) => ({ [name]: kongObject(def as unknown as Record<string, unknown>) }));
}

/** Kong's `GET /schemas/{name}` body for a schema: ordered `fields` and `entity_checks`, no functions. */
export function toKongSchemaView(schema: { readonly fields: FieldsDef; readonly entity_checks?: readonly EntityCheck[] }): {
  fields: JsonValue[];
  entity_checks: JsonValue[];
} {
  return {
    fields: kongFields(schema.fields),
    entity_checks: (schema.entity_checks ?? []).map((check) => kongObject(check as unknown as Record<string, unknown>)),
  };
}

// ---------------------------------------------------------------------------------------------------------
// JSON Schema

function fieldSchema(def: FieldDef): JsonObject {
  const out: JsonObject = {};
  switch (def.type) {
    case 'string':
      out.type = 'string';
      if (def.uuid) out.format = 'uuid';
      if (def.len_min !== 0) out.minLength = def.len_min ?? 1;
      if (def.len_max !== undefined) out.maxLength = def.len_max;
      if (def.len_eq !== undefined) out.minLength = out.maxLength = def.len_eq;
      if (def.match !== undefined) out.pattern = def.match;
      else if (def.starts_with !== undefined) out.pattern = `^${def.starts_with.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`;
      break;
    case 'integer':
    case 'number':
      out.type = def.type;
      if (def.between) {
        out.minimum = def.between[0];
        out.maximum = def.between[1];
      }
      if (def.gt !== undefined) out.exclusiveMinimum = def.gt;
      break;
    case 'boolean':
      out.type = 'boolean';
      break;
    case 'array':
    case 'set':
      out.type = 'array';
      if (def.elements) out.items = fieldSchema(def.elements);
      if (def.type === 'set') out.uniqueItems = true;
      if (def.len_min !== undefined) out.minItems = def.len_min;
      if (def.len_max !== undefined) out.maxItems = def.len_max;
      break;
    case 'map':
      out.type = 'object';
      if (def.keys) out.propertyNames = fieldSchema(def.keys);
      if (def.values) out.additionalProperties = fieldSchema(def.values);
      break;
    case 'record':
      Object.assign(out, def.fields ? recordSchema(def.fields) : { type: 'object' });
      break;
    case 'foreign':
      out.type = 'object';
      out.properties = { id: { type: 'string', format: 'uuid' } };
      out.required = ['id'];
      if (def.reference) out['x-reference'] = def.reference;
      break;
    case 'any':
      break;
  }
  if (def.one_of) out.enum = [...def.one_of];
  if (def.description !== undefined) out.description = def.description;
  if (def.default !== undefined) out.default = def.default as JsonValue;
  if (def.eq === null) return { type: 'null' };
  const nullable = !def.required && !(def.type === 'record' && def.required !== false) && !def.auto;
  if (nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

function recordSchema(fields: FieldsDef): JsonObject {
  const properties: JsonObject = {};
  const required: string[] = [];
  for (const [name, def] of Object.entries(fields)) {
    properties[name] = fieldSchema(def);
    if (def.required && def.default === undefined && !def.auto) required.push(name);
  }
  const out: JsonObject = { type: 'object', properties, additionalProperties: false };
  if (required.length > 0) out.required = required;
  return out;
}

/**
 * A JSON Schema (draft 2020-12) describing valid input for a schema: required fields are those without a
 * default; nullable fields accept null. Entity checks and custom validators are not expressible and are
 * left out, so this view accepts a superset of what validation accepts.
 */
export function toJsonSchema(schema: SchemaDef): JsonObject {
  const out: JsonObject = { $schema: 'https://json-schema.org/draft/2020-12/schema' };
  if (schema.name !== undefined) out.title = schema.name;
  const body = recordSchema(schema.fields);
  for (const [name, def] of Object.entries(schema.shorthand_fields ?? {})) {
    (body.properties as JsonObject)[name] = fieldSchema(def);
  }
  return Object.assign(out, body);
}
