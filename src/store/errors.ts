/**
 * StoreError builders with Kong's messages (`Kong/kong:kong/db/errors.lua` wording, paraphrased by the
 * reference in /work/shared/reference/admin-api.md §6).
 */
import type { EntityName } from '../entities/index.ts';
import { luaQuote } from '../schema/index.ts';
import { StoreError, type StoreErrorSubject } from './types.ts';

/**
 * A key as Kong prints it in messages: a Lua table with sorted keys, strings quoted, nulls as `null`,
 * foreign keys nested (`{consumer=null,name="cors",route=null,service={id="..."}}`).
 */
export function luaKeyText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return luaQuote(value);
  if (typeof value !== 'object') return String(value);
  const keys = Object.keys(value).sort();
  const record = value as Record<string, unknown>;
  return `{${keys.map((key) => `${key}=${luaKeyText(record[key])}`).join(',')}}`;
}

export function uniqueViolation(entity: EntityName, fields: Record<string, unknown>): StoreError {
  return new StoreError('unique', entity, `UNIQUE violation detected on '${luaKeyText(fields)}'`, fields);
}

export function primaryKeyViolation(entity: EntityName, id: string): StoreError {
  return new StoreError('primary_key', entity, `primary key violation on key '${luaKeyText({ id })}'`, { id });
}

export function foreignKeyViolation(entity: EntityName, field: string, reference: EntityName, id: string): StoreError {
  return new StoreError(
    'foreign_key',
    entity,
    `the foreign key '${luaKeyText({ id })}' does not reference an existing '${reference}' entity.`,
    { [field]: { id } },
  );
}

export function referencedViolation(entity: EntityName, referencedBy: EntityName): StoreError {
  return new StoreError(
    'referenced',
    entity,
    `an existing '${referencedBy}' entity references this '${entity}' entity`,
    { '@referenced_by': referencedBy },
    referencedBy,
  );
}

export function notFound(entity: EntityName, id: string): StoreError {
  return new StoreError('not_found', entity, `could not find the entity with primary key '${luaKeyText({ id })}'`, { id });
}

/** Any other database failure; the message keeps the driver's text for the error log. */
export function databaseError(subject: StoreErrorSubject, cause: unknown): StoreError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const error = new StoreError('database', subject, message);
  error.cause = cause;
  return error;
}
