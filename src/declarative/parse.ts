/**
 * Turns declarative text into a document: JSON for `*.json` files, YAML for `*.yml`/`*.yaml`, and without a
 * file name JSON first, then YAML (see `yaml.ts`: the YAML 1.2 core schema, the same library that writes
 * exports, so an export always reads back). A repeated key keeps its last value.
 */
import { loadYaml } from './yaml.ts';
import { FORBIDDEN_KEYS, findForbiddenKey } from '../core/safe-keys.ts';

export type ParseResult = { ok: true; document: Record<string, unknown> } | { ok: false; error: string };

const PREFIX = 'failed parsing declarative configuration';

function isDocument(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+$/, '');
}

/** Parses declarative configuration text; errors read `failed parsing declarative configuration: ...`. */
export function parseDeclarativeText(text: string, filename?: string): ParseResult {
  const result = parseText(text, filename);
  if (!result.ok) return result;
  // A `__proto__` (or `constructor`/`prototype`) key would poison objects built from the document later on.
  const forbidden = findForbiddenKey(result.document);
  if (forbidden === null) return result;
  const where = filename === undefined ? '' : ` in ${filename}`;
  return {
    ok: false,
    error: `${PREFIX}: '${forbidden.path}'${where}: '${forbidden.key}' is not allowed as a key (${FORBIDDEN_KEYS.map((k) => `'${k}'`).join(', ')} are refused)`,
  };
}

function parseText(text: string, filename?: string): ParseResult {
  const lower = filename?.toLowerCase();
  const tryJson = lower === undefined || lower.endsWith('json');
  const tryYaml = lower === undefined || /ya?ml$/.test(lower);
  if (!tryJson && !tryYaml) {
    return { ok: false, error: `unknown file type: ${filename}. (Accepted types: json, yaml)` };
  }
  let error: string | undefined;
  // JSON is YAML: a YAML file written as JSON takes the much faster JSON parser.
  if (!tryJson && text.trimStart().startsWith('{')) {
    try {
      const value: unknown = JSON.parse(text);
      if (isDocument(value)) return { ok: true, document: value };
    } catch {
      // Not strict JSON after all: the YAML parser decides.
    }
  }
  if (tryJson) {
    try {
      const value: unknown = JSON.parse(text);
      if (isDocument(value)) return { ok: true, document: value };
      error = 'expected an object';
    } catch (err) {
      error = errorText(err);
    }
  }
  if (tryYaml) {
    try {
      const value: unknown = loadYaml(text);
      if (isDocument(value)) return { ok: true, document: value };
      error = 'expected an object';
    } catch (err) {
      error = errorText(err);
    }
  }
  return { ok: false, error: `${PREFIX}: ${error ?? 'expected an object'}` };
}
