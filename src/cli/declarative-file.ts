import { readFileSync } from 'node:fs';
import { formatErrorTree, loadDeclarative, type FlatConfig } from '../declarative/index.ts';
import type { PluginSchemaRegistry } from '../entities/index.ts';

export type DeclarativeFileResult =
  | { ok: true; config: FlatConfig; text: string }
  /** `problem` is `cannot read ...`, or the indented error tree of `tollgate config parse`. */
  | { ok: false; unreadable: boolean; problem: string };

/** Reads and validates a declarative file the way every command does (start, parse, db_import). */
export function readDeclarativeFile(file: string, plugins: PluginSchemaRegistry): DeclarativeFileResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, unreadable: true, problem: `cannot read ${file}: ${(err as Error).message}` };
  }
  return validateDeclarativeText(text, file, plugins);
}

export function validateDeclarativeText(text: string, filename: string | undefined, plugins: PluginSchemaRegistry): DeclarativeFileResult {
  const result = loadDeclarative(text, { filename, plugins });
  if (!result.ok) return { ok: false, unreadable: false, problem: formatErrorTree(result.error) };
  return { ok: true, config: result.config, text };
}
