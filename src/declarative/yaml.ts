/**
 * The one YAML library of Tollgate (js-yaml; it reads a 100,000-route file about eight times faster than the
 * `yaml` package), used both ways so that what Tollgate writes it reads back unchanged:
 *
 * - reading uses the YAML 1.2 core schema: `true`/`false`, `null`/`~`, decimal, `0o`/`0x` integers and floats
 *   are typed, every other plain scalar is a string (`off`, `yes`, `on` are strings, as YAML 1.2 says);
 * - writing quotes every string that some YAML reader, 1.1 or 1.2, would take for another type (`off`, `on`,
 *   `yes`, `null`, `~`, `007`, `1e3`, `2001-12-14`, ...), so exports also survive Kong's libyaml and decK.
 */
import { CORE_SCHEMA, DUMP_SCHEMA, dump, load } from 'js-yaml';

/** Parses YAML text (one document) with the YAML 1.2 core schema; a repeated key keeps its last value. */
export function loadYaml(text: string): unknown {
  return load(text, { schema: CORE_SCHEMA, json: true, maxAliases: 10000 });
}

/** Writes a value as block YAML; strings another reader would type differently are double-quoted. */
export function dumpYaml(value: unknown): string {
  return dump(value, { schema: DUMP_SCHEMA, lineWidth: -1, noRefs: true, quoteStyle: 'double', seqNoIndent: true });
}
