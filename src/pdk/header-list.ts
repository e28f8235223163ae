/**
 * Edits of flat `[name, value, name, value, ...]` header lists, the form the proxy sends upstream and
 * downstream. Names compare case-insensitively.
 */

/** Index of the first header called `name` at or after `from`, or -1. */
function indexOf(list: readonly string[], lowerName: string, from: number): number {
  for (let i = from; i < list.length; i += 2) if (sameName(list[i], lowerName)) return i;
  return -1;
}

/** Whether header `name` is `lowerName`, comparing lengths before lower-casing (most names differ in length). */
export function sameName(name: string, lowerName: string): boolean {
  return name.length === lowerName.length && (name === lowerName || name.toLowerCase() === lowerName);
}

/** Removes every header called `name`, never touching entries before `keepFirst` (e.g. the Host slot). */
export function clearHeader(list: string[], name: string, keepFirst = 0): void {
  clearLowerHeader(list, name.toLowerCase(), keepFirst);
}

/** {@link clearHeader} for a name already in lower case. */
export function clearLowerHeader(list: string[], lower: string, keepFirst = 0): void {
  for (let i = list.length - 2; i >= keepFirst; i -= 2) if (sameName(list[i], lower)) list.splice(i, 2);
}

/** Replaces every header called `name` with one header of that value. */
export function setHeader(list: string[], name: string, value: string, keepFirst = 0): void {
  clearHeader(list, name, keepFirst);
  list.push(name, value);
}

/** The first value of the header called `name`, or undefined. */
export function getHeader(list: readonly string[], name: string): string | undefined {
  const i = indexOf(list, name.toLowerCase(), 0);
  return i === -1 ? undefined : list[i + 1];
}
