/**
 * Keys that must never become object properties from user input: assigning `__proto__` (or walking
 * `constructor.prototype`) on an ordinary object reaches `Object.prototype`, and one poisoned prototype changes
 * every object of the process (prototype pollution). Every decoder that turns user input into objects (form and
 * multipart bodies, JSON bodies, query strings, declarative files) refuses them with the field's name.
 */

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** The keys refused in user input, for messages. */
export const FORBIDDEN_KEYS: readonly string[] = [...FORBIDDEN];

/** True for `__proto__`, `constructor` and `prototype`. */
export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN.has(key);
}

/** Thrown by decoders for a refused key; `field` is the field as the user wrote it (`__proto__[x]`, `config.constructor`). */
export class ForbiddenKeyError extends Error {
  readonly field: string;
  readonly key: string;

  constructor(field: string, key: string) {
    super(`'${field}': '${key}' is not allowed as a field name (${FORBIDDEN_KEYS.map((k) => `'${k}'`).join(', ')} are refused)`);
    this.name = 'ForbiddenKeyError';
    this.field = field;
    this.key = key;
  }
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/**
 * The path (`services[0].__proto__`) of the first refused key anywhere in a decoded value, or null. Walks
 * iteratively, so a deeply nested document cannot overflow the stack.
 */
export function findForbiddenKey(value: unknown): { path: string; key: string } | null {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push([current[i], childPath(path, i)]);
      continue;
    }
    // Own keys only, `__proto__` included (JSON.parse and YAML loaders create it as an own property).
    const keys = Object.keys(current);
    for (const key of keys) {
      if (FORBIDDEN.has(key)) return { path: childPath(path, key), key };
    }
    for (let i = keys.length - 1; i >= 0; i--) stack.push([(current as Record<string, unknown>)[keys[i]], childPath(path, keys[i])]);
  }
  return null;
}

/** Throws {@link ForbiddenKeyError} when `value` holds a refused key anywhere. */
export function assertNoForbiddenKeys(value: unknown): void {
  const found = findForbiddenKey(value);
  if (found !== null) throw new ForbiddenKeyError(found.path, found.key);
}

/**
 * The path of the first string (value or key) holding a NUL character, or null. PostgreSQL cannot store NUL in
 * text or jsonb, so such input is refused at the door as the user's error instead of failing in the database.
 */
export function findNulCharacter(value: unknown): string | null {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\0')) return path;
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push([current[i], childPath(path, i)]);
      continue;
    }
    for (const key of Object.keys(current)) {
      if (key.includes('\0')) return childPath(path, key);
      stack.push([(current as Record<string, unknown>)[key], childPath(path, key)]);
    }
  }
  return null;
}
