/**
 * Parsed request and response bodies read and written as Kong's transformer plugins treat Lua tables: only a
 * body's own fields count (a name such as `constructor` or `__proto__` is just a name, never the prototype's),
 * and "present" means Lua's truth.
 */

/** A parsed JSON object or form. */
export type Fields = Record<string, unknown>;

/** An own value (never one from a prototype). */
export function own(fields: Fields, name: string): unknown {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

/** Sets an own value, also for names such as `__proto__`. */
export function put(fields: Fields, name: string, value: unknown): void {
  Object.defineProperty(fields, name, { value, writable: true, enumerable: true, configurable: true });
}

/** Lua's truth: everything but nil (missing) and false; JSON null counts as present. */
export function truthy(value: unknown): boolean {
  return value !== undefined && value !== false;
}
