/**
 * The error object of a rejected declarative configuration (Kong's code 14) and the indented text
 * `tollgate config parse` prints for it.
 */
import { luaDump } from '../schema/index.ts';
import type { DeclarativeError, FlattenedError } from './types.ts';

/** Builds the code-14 error for an error tree (and, when given, its flattened form). */
export function declarativeError(fields: Record<string, unknown>, flattened?: FlattenedError[]): DeclarativeError {
  const error: DeclarativeError = {
    code: 14,
    name: 'invalid declarative configuration',
    message: `declarative config is invalid: ${luaDump(fields)}`,
    fields,
  };
  if (flattened) error.flattened_errors = flattened;
  return error;
}

function entries(node: unknown): [string | number, unknown][] {
  if (Array.isArray(node)) {
    const out: [number, unknown][] = [];
    node.forEach((item: unknown, i: number) => {
      if (item !== null && item !== undefined) out.push([i + 1, item]);
    });
    return out;
  }
  if (typeof node === 'object' && node !== null) {
    return Object.keys(node)
      .sort()
      .map((key) => [/^[1-9][0-9]*$/.test(key) ? Number(key) : key, (node as Record<string, unknown>)[key]]);
  }
  return [];
}

function printTree(node: unknown, item: string, indent: string, out: string[]): void {
  for (const [key, value] of entries(node)) {
    const label = typeof key === 'number' ? `- in entry ${key} of '${item}'` : `in '${key}'`;
    if (typeof value === 'object' && value !== null) {
      out.push(`${indent}${label}:`);
      printTree(value, String(key), `${indent}  `, out);
    } else {
      out.push(`${indent}${label}: ${String(value)}`);
    }
  }
}

function flattenedLines(flattened: readonly FlattenedError[]): string[] {
  const out: string[] = [];
  for (const entry of flattened) {
    const name = entry.entity_name ?? entry.entity_id;
    out.push(`in ${entry.entity_type}${name ? ` '${name}'` : ''}:`);
    for (const error of entry.errors) {
      out.push(error.type === 'field' ? `  in '${error.field}': ${error.message}` : `  ${error.message}`);
    }
  }
  return out;
}

/**
 * The error as an indented tree (`in 'services':` / `- in entry 1 of 'services':` / `in 'host': ...`), as
 * `kong config parse` prints it. A file that could not be parsed at all gives just the parser's message.
 */
export function formatErrorTree(error: DeclarativeError): string {
  const fields = error.fields;
  if (typeof fields === 'object' && fields !== null && !Array.isArray(fields)) {
    const keys = Object.keys(fields);
    const only = (fields as Record<string, unknown>).error;
    if (keys.length === 1 && typeof only === 'string' && /^(failed parsing|unknown file type)/.test(only)) return only;
  }
  const out: string[] = [];
  printTree(fields, '', '', out);
  if (error.flattened_errors) out.push(...flattenedLines(error.flattened_errors));
  return out.join('\n');
}
