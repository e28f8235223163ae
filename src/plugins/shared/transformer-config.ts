/**
 * What the configurations of Kong's request- and response-transformer have in common: lists of `name:value`
 * entries (split as Kong splits them) and header names, checked the same way by both.
 */
import type { FieldDef } from '../../schema/index.ts';

/** A header name as the transformers accept it. */
export const HEADER_NAME = /^[A-Za-z0-9_-]+$/;

/** The schema `match` of a `name:value` entry. */
export const NAME_VALUE = '^[^:]+:[\\s\\S]*$';

/** `name:value` as Kong splits it: the name up to the first colon, then every colon skipped. */
export function splitPair(entry: string): [name: string, value: string] | null {
  const m = /^([^:]+):*([\s\S]*)$/.exec(entry);
  return m === null ? null : [m[1], m[2]];
}

/** An `old:new` header rename: both names valid. */
export function checkHeaderRename(entry: string): string | null {
  const pair = splitPair(entry);
  if (pair === null || !HEADER_NAME.test(pair[0])) return `'${pair?.[0] ?? entry}' is not a valid header`;
  if (!HEADER_NAME.test(pair[1])) return `'${pair[1]}' is not a valid header`;
  return null;
}

/** A list of entries, required and empty by default, as every transformer rule is. */
export function entryList<const E extends FieldDef & { readonly type: 'string' }>(element: E) {
  return { type: 'array', required: true, default: [], elements: element } as const;
}
