/**
 * Kong's schema-violation message, built from an error tree:
 * `schema violation (host: required field missing)` for one error,
 * `2 schema violations (@entity msg; path: value must be null)` for several.
 * `@entity` messages come first, then fields in sorted order; one level of nesting is written as
 * `parent.child` (array items 1-based), deeper structures as indented Lua text, as Kong does.
 */
import type { ErrorNode, ErrorTree } from './types.ts';
import { luaDump } from './lua-dump.ts';

/** Keys of an error node in Lua's sort order: array positions 1-based and numeric, names byte-wise. */
export function sortedErrorKeys(node: ErrorTree | readonly (ErrorNode | null)[]): [string, ErrorNode][] {
  if (Array.isArray(node)) {
    const out: [string, ErrorNode][] = [];
    node.forEach((item: ErrorNode | null, i: number) => {
      if (item !== null && item !== undefined) out.push([String(i + 1), item]);
    });
    return out;
  }
  return Object.keys(node)
    .sort(compareKeys)
    .map((key) => [key, (node as ErrorTree)[key]] as [string, ErrorNode]);
}

function compareKeys(a: string, b: string): number {
  const na = /^[1-9][0-9]*$/.test(a);
  const nb = /^[1-9][0-9]*$/.test(b);
  if (na && nb) return Number(a) - Number(b);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The list of `path: message` items of a schema violation, in Kong's order. */
export function schemaViolationItems(errors: ErrorTree): string[] {
  const items: string[] = [];
  const entity = errors['@entity'];
  if (Array.isArray(entity)) for (const message of entity) if (typeof message === 'string') items.push(message);
  for (const [field, value] of sortedErrorKeys(errors)) {
    if (field === '@entity') continue;
    if (typeof value === 'object' && value !== null) {
      for (const [sub, inner] of sortedErrorKeys(value)) {
        const text = typeof inner === 'string' ? inner : luaDump(inner, '  ');
        items.push(`${field}.${sub}: ${text}`);
      }
    } else {
      items.push(`${field}: ${value}`);
    }
  }
  return items;
}

/** Kong's `schema violation (...)` / `N schema violations (...)` message for an error tree. */
export function schemaViolationMessage(errors: ErrorTree): string {
  const items = schemaViolationItems(errors);
  if (items.length === 1) return `schema violation (${items[0]})`;
  return `${items.length} schema violations (${items.join('; ')})`;
}
