/**
 * Kong's Admin API error bodies (`kong/db/errors.lua` codes and texts, `kong/api/endpoints.lua` statuses),
 * built in one place so that every endpoint words them the same way. Handlers throw an {@link AdminError};
 * the server turns it into the response.
 */
import { luaQuote, schemaViolationMessage, type ErrorTree } from '../schema/index.ts';
import { StoreError } from '../store/types.ts';

/** A response that ends the request: status plus Kong's JSON body. */
export class AdminError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  constructor(status: number, body: Record<string, unknown>) {
    super(String(body.message ?? status));
    this.status = status;
    this.body = body;
  }
}

/** Kong's error codes (`kong/db/errors.lua`). */
export const ERROR_CODES = {
  INVALID_PRIMARY_KEY: 1,
  SCHEMA_VIOLATION: 2,
  PRIMARY_KEY_VIOLATION: 3,
  FOREIGN_KEY_VIOLATION: 4,
  UNIQUE_VIOLATION: 5,
  NOT_FOUND: 6,
  INVALID_OFFSET: 7,
  INVALID_SIZE: 9,
  INVALID_UNIQUE: 10,
  INVALID_OPTIONS: 11,
  OPERATION_UNSUPPORTED: 12,
  FOREIGN_KEYS_UNRESOLVED: 13,
  REFERENCED_BY_OTHERS: 19,
} as const;

export const NOT_FOUND_BODY = { message: 'Not found' } as const;
export const METHOD_NOT_ALLOWED_BODY = { message: 'Method not allowed' } as const;
export const UNEXPECTED_BODY = { message: 'An unexpected error occurred' } as const;

/** 404 `{"message":"Not found"}`, the answer to unknown paths and missing parents or children. */
export function notFound(): AdminError {
  return new AdminError(404, { ...NOT_FOUND_BODY });
}

/** 405 `{"message":"Method not allowed"}`. */
export function methodNotAllowed(): AdminError {
  return new AdminError(405, { ...METHOD_NOT_ALLOWED_BODY });
}

/** 400 `{"message": text}`, for request-level problems that are not database errors. */
export function badRequest(message: string): AdminError {
  return new AdminError(400, { message });
}

/**
 * A value as Kong prints keys in its messages: a one-line Lua table with sorted keys, double-quoted strings,
 * and `null` for JSON nulls (`{consumer=null,name="acl",service={id="..."}}`).
 */
export function luaInline(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return luaQuote(value);
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `{${value.map(luaInline).join(',')}}`;
  const record = value as Record<string, unknown>;
  const entries = Object.keys(record)
    .sort()
    .map((key) => `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${luaQuote(key)}]`}=${luaInline(record[key])}`);
  return `{${entries.join(',')}}`;
}

function dbError(status: number, code: number, name: string, message: string, fields?: Record<string, unknown>): AdminError {
  const body: Record<string, unknown> = { code, name, message };
  if (fields !== undefined) body.fields = fields;
  return new AdminError(status, body);
}

/** 400 code 2 with the error tree as `fields`. */
export function schemaViolation(errors: ErrorTree): AdminError {
  return dbError(400, ERROR_CODES.SCHEMA_VIOLATION, 'schema violation', schemaViolationMessage(errors), errors as Record<string, unknown>);
}

/** 409 code 5: `UNIQUE violation detected on '{name="x"}'`. */
export function uniqueViolation(key: Record<string, unknown>): AdminError {
  return dbError(409, ERROR_CODES.UNIQUE_VIOLATION, 'unique constraint violation', `UNIQUE violation detected on '${luaInline(key)}'`, key);
}

/** 400 code 4: a foreign key naming a parent that does not exist. */
export function foreignKeyViolation(field: string, key: Record<string, unknown>, parentCollection: string): AdminError {
  return dbError(
    400,
    ERROR_CODES.FOREIGN_KEY_VIOLATION,
    'foreign key violation',
    `the foreign key '${luaInline(key)}' does not reference an existing '${parentCollection}' entity.`,
    { [field]: key },
  );
}

/** 400 code 4: a restrict delete blocked by children (`an existing 'routes' entity references this 'services' entity`). */
export function referencedBy(parentCollection: string, childCollection: string): AdminError {
  return dbError(
    400,
    ERROR_CODES.FOREIGN_KEY_VIOLATION,
    'foreign key violation',
    `an existing '${childCollection}' entity references this '${parentCollection}' entity`,
    { '@referenced_by': childCollection },
  );
}

/** One foreign reference that could not be resolved: `service.name` with value `x` among `services`. */
export interface UnresolvedReference {
  field: string;
  keyField: string;
  value: unknown;
  parentCollection: string;
}

/** 400 code 13: references given by name that match nothing. */
export function foreignKeysUnresolved(unresolved: readonly UnresolvedReference[]): AdminError {
  const fields: Record<string, Record<string, string>> = {};
  for (const u of unresolved) {
    const text = `the foreign key cannot be resolved with '${luaInline({ [u.keyField]: u.value })}' for an existing '${u.parentCollection}' entity`;
    (fields[u.field] ??= {})[u.keyField] = text;
  }
  const items: string[] = [];
  for (const field of Object.keys(fields).sort()) {
    for (const sub of Object.keys(fields[field]).sort()) items.push(`${field}.${sub}: ${fields[field][sub]}`);
  }
  const message = items.length === 1 ? `foreign key unresolved (${items[0]})` : `${items.length} foreign keys unresolved (${items.join('; ')})`;
  return dbError(400, ERROR_CODES.FOREIGN_KEYS_UNRESOLVED, 'foreign keys unresolved', message, fields);
}

/** 404 code 6 for a primary key: `could not find the entity with primary key '{id="..."}'`. */
export function notFoundByPrimaryKey(id: string): AdminError {
  return dbError(404, ERROR_CODES.NOT_FOUND, 'not found', `could not find the entity with primary key '${luaInline({ id })}'`, { id });
}

/** 404 code 6 for an endpoint key: `could not find the entity with '{name="..."}'`. */
export function notFoundByField(field: string, value: unknown): AdminError {
  return dbError(404, ERROR_CODES.NOT_FOUND, 'not found', `could not find the entity with '${luaInline({ [field]: value })}'`, { [field]: value });
}

/** 400 code 1: a non-UUID key where only a primary key can address the entity. */
export function invalidPrimaryKey(errors: Record<string, unknown>): AdminError {
  return dbError(400, ERROR_CODES.INVALID_PRIMARY_KEY, 'invalid primary key', `invalid primary key: '${luaInline(errors)}'`, errors);
}

/**
 * 400 code 10: a URL names an entity by its endpoint key with a value that field could never hold (an IP
 * address as an upstream name); Kong's DAO checks the value before looking, so this is no 404.
 */
export function invalidUnique(field: string, message: string): AdminError {
  return dbError(400, ERROR_CODES.INVALID_UNIQUE, `invalid unique ${field}`, message);
}

/** 400 code 7. */
export function invalidOffset(offset: string, why: string): AdminError {
  return dbError(400, ERROR_CODES.INVALID_OFFSET, 'invalid offset', `'${offset}' is not a valid offset: ${why}`);
}

/** 400 code 9. */
export function invalidSize(message: string): AdminError {
  return dbError(400, ERROR_CODES.INVALID_SIZE, 'invalid size', message);
}

/** 400 code 11; Kong puts the details under `options`, not `fields`. */
export function invalidOptions(options: Record<string, string>): AdminError {
  const items = Object.keys(options)
    .sort()
    .map((k) => `${k}: ${options[k]}`);
  const message = items.length === 1 ? `invalid option (${items[0]})` : `${items.length} option violations (${items.join('; ')})`;
  return new AdminError(400, { code: ERROR_CODES.INVALID_OPTIONS, name: 'invalid options', message, options });
}

/** 405 code 12: a write in DB-less mode (`cannot create 'routes' entities when not using a database`). */
export function operationUnsupported(verb: string, collection: string, byField: string | null): AdminError {
  const by = byField === null ? '' : ` by '${byField}'`;
  return new AdminError(405, {
    code: ERROR_CODES.OPERATION_UNSUPPORTED,
    name: 'operation unsupported',
    message: `cannot ${verb} '${collection}' entities${by} when not using a database`,
  });
}

/** 400 code 19: an entity other entities still point to outside foreign keys (CA certificates in services). */
export function referencedByOthers(message: string): AdminError {
  return dbError(400, ERROR_CODES.REFERENCED_BY_OTHERS, 'referenced by others', message);
}

/**
 * Kong's response to a store failure (the store already words the message as Kong does), or null for
 * database errors, which are a 500 and go to the error log.
 */
export function fromStoreError(err: StoreError): AdminError | null {
  switch (err.kind) {
    case 'unique':
      return dbError(409, ERROR_CODES.UNIQUE_VIOLATION, 'unique constraint violation', err.message, err.fields);
    case 'primary_key':
      return dbError(400, ERROR_CODES.PRIMARY_KEY_VIOLATION, 'primary key violation', err.message, err.fields);
    case 'foreign_key':
    case 'referenced':
      return dbError(400, ERROR_CODES.FOREIGN_KEY_VIOLATION, 'foreign key violation', err.message, err.fields);
    case 'not_found':
      return dbError(404, ERROR_CODES.NOT_FOUND, 'not found', err.message, err.fields);
    case 'invalid_offset':
      return dbError(400, ERROR_CODES.INVALID_OFFSET, 'invalid offset', err.message);
    default:
      return null;
  }
}
