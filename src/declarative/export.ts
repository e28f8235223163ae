/**
 * Writes a flat configuration back as a declarative file, as Kong's `GET /config` and
 * `kong config db_export` do: `_format_version: "3.0"`, `_transform: false` (passwords are already
 * hashed), then each non-empty collection in dependency order, every field written out and foreign keys
 * as plain id strings.
 */
import { dumpYaml } from './yaml.ts';
import { ENTITY_ORDER, ENTITIES } from '../entities/index.ts';
import type { FlatConfig } from './types.ts';

function exportEntity(entity: Record<string, unknown>, foreignFields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...entity };
  for (const field of foreignFields) {
    const value = out[field];
    if (typeof value === 'object' && value !== null && 'id' in value) out[field] = (value as { id: unknown }).id;
  }
  return out;
}

/** The configuration as declarative YAML text (loadable again with the same ids and values). */
export function exportDeclarative(config: FlatConfig): string {
  const document: Record<string, unknown> = { _format_version: '3.0', _transform: false };
  for (const name of ENTITY_ORDER) {
    const entities = config[name] as unknown as Record<string, unknown>[];
    if (!entities || entities.length === 0) continue;
    const foreignFields = ENTITIES[name].foreignKeys.map((fk) => fk.field);
    document[name] = entities.map((entity) => exportEntity(entity, foreignFields));
  }
  return dumpYaml(document);
}
