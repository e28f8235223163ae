/**
 * Replaces the vault references in a configuration's `referenceable` fields (certificates' keys, keys'
 * JWK/PEM, plugin secrets such as a Redis password, plugins' own entities) by their values, for compiling
 * a snapshot. The configuration itself is not changed: it keeps the references that the Admin API,
 * exports and hybrid pushes show. Entities without references are the same objects in the result, so
 * whatever the snapshot reuses by identity is still reused. A reference that cannot be resolved becomes
 * null (as in Kong) and is reported by the reference, never by a value.
 */
import { ENTITY_SCHEMAS } from '../entities/index.ts';
import { isReference, type FieldDef, type FieldsDef } from '../schema/index.ts';
import type { VaultResolver } from './resolver.ts';

export interface ResolvedConfig<T> {
  readonly input: T;
  /** One line per reference that could not be resolved: where it is used and why. */
  readonly errors: readonly string[];
}

const hasReferenceableCache = new WeakMap<object, boolean>();

/** Whether a field (or any field inside it) may hold a reference. */
function mayHoldReference(def: FieldDef | undefined): boolean {
  if (def === undefined) return false;
  const cached = hasReferenceableCache.get(def);
  if (cached !== undefined) return cached;
  let result = def.referenceable === true;
  if (!result && def.fields !== undefined) result = Object.values(def.fields).some(mayHoldReference);
  if (!result) result = mayHoldReference(def.elements) || mayHoldReference(def.values);
  hasReferenceableCache.set(def, result);
  return result;
}

function fieldsMayHoldReference(fields: FieldsDef): boolean {
  const cached = hasReferenceableCache.get(fields);
  if (cached !== undefined) return cached;
  const result = Object.values(fields).some(mayHoldReference);
  hasReferenceableCache.set(fields, result);
  return result;
}

class Walker {
  readonly errors: string[] = [];
  readonly #resolver: VaultResolver;
  #where = '';

  constructor(resolver: VaultResolver) {
    this.#resolver = resolver;
  }

  entity(where: string, entity: Record<string, unknown>, fields: FieldsDef, config: FieldDef | undefined): Record<string, unknown> {
    this.#where = where;
    let out: Record<string, unknown> | null = null;
    for (const [name, def] of Object.entries(fields)) {
      const field = name === 'config' && config !== undefined ? config : def;
      if (!mayHoldReference(field)) continue;
      const before = entity[name];
      const after = this.#value(field, before, name);
      if (after !== before) (out ??= { ...entity })[name] = after;
    }
    return out ?? entity;
  }

  #value(def: FieldDef, value: unknown, path: string): unknown {
    if (value === null || value === undefined) return value;
    if (def.type === 'string') return def.referenceable === true && isReference(value) ? this.#resolve(value, path) : value;
    if ((def.type === 'array' || def.type === 'set') && def.elements !== undefined && Array.isArray(value)) {
      const elements = def.elements;
      let changed = false;
      const out = value.map((item, i) => {
        const next = this.#value(elements, item, `${path}.${i + 1}`);
        if (next !== item) changed = true;
        return next;
      });
      return changed ? out : value;
    }
    if (typeof value !== 'object' || Array.isArray(value)) return value;
    const record = value as Record<string, unknown>;
    if (def.type === 'map' && def.values !== undefined) {
      let out: Record<string, unknown> | null = null;
      for (const [key, item] of Object.entries(record)) {
        const next = this.#value(def.values, item, `${path}.${key}`);
        if (next !== item) (out ??= { ...record })[key] = next;
      }
      return out ?? value;
    }
    if (def.type === 'record' && def.fields !== undefined) {
      let out: Record<string, unknown> | null = null;
      for (const [name, sub] of Object.entries(def.fields)) {
        if (!mayHoldReference(sub)) continue;
        const next = this.#value(sub, record[name], `${path}.${name}`);
        if (next !== record[name]) (out ??= { ...record })[name] = next;
      }
      return out ?? value;
    }
    return value;
  }

  #resolve(reference: string, path: string): string | null {
    const read = this.#resolver.resolve(reference);
    if (read.ok) return read.value;
    this.errors.push(`${this.#where} field '${path}': could not resolve reference: ${read.error}`);
    return null;
  }
}

/**
 * The configuration with references resolved. `pluginConfigs` gives each enabled plugin's `config` field
 * definition (plugins' referenceable fields are in their own schemas).
 */
export function resolveConfigReferences<T extends { readonly [collection: string]: readonly object[] | undefined }>(
  input: T,
  resolver: VaultResolver,
  pluginConfigs: ReadonlyMap<string, FieldDef>,
): ResolvedConfig<T> {
  const walker = new Walker(resolver);
  resolver.beginPass();
  let out: Record<string, readonly object[] | undefined> | null = null;
  for (const [collection, entities] of Object.entries(input)) {
    const schema = ENTITY_SCHEMAS[collection];
    if (schema === undefined || entities === undefined || entities.length === 0) continue;
    const isPlugins = collection === 'plugins';
    if (!isPlugins && !fieldsMayHoldReference(schema.fields)) continue;
    let changed = false;
    const next = entities.map((item) => {
      const entity = item as Record<string, unknown>;
      const config = isPlugins ? pluginConfigs.get(entity.name as string) : undefined;
      if (isPlugins && !mayHoldReference(config) && !fieldsMayHoldReference(schema.fields)) return item;
      const where = isPlugins ? `plugin '${String(entity.name)}' (${String(entity.id)})` : `${collection} ${String(entity.id)}`;
      const resolved = walker.entity(where, entity, schema.fields, config);
      if (resolved !== entity) changed = true;
      return resolved;
    });
    if (changed) (out ??= { ...input })[collection] = next;
  }
  resolver.dropUnused();
  return { input: (out ?? input) as T, errors: walker.errors };
}
