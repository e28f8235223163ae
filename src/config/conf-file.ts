/**
 * Reads `tollgate.conf` text the way Kong reads kong.conf, so that a kong.conf carries over:
 *
 * - one `key = value` per line; blank lines and lines starting with `#` or `;` are ignored;
 * - a line ending with `\` continues on the next line (the backslash is dropped, the lines are joined);
 * - in a value, an unescaped `#` starts a comment (with the whitespace before it); `\#` is a literal `#`;
 * - characters other than letters and digits in a key become `_` (`proxy-listen` is `proxy_listen`);
 * - quotes are not special: `pg_password = "x"` sets a value of three characters, quotes included;
 * - a later line for the same key wins.
 *
 * Unlike Kong, a line without `=` (including `[section]` headers) is an error rather than silently ignored.
 */

/** One `key = value` line. `line` is 1-based; for continued lines it is the first one. */
export interface ConfFileEntry {
  key: string;
  value: string;
  line: number;
}

/** A syntax problem on one line (1-based). */
export interface ConfFileProblem {
  line: number;
  message: string;
}

export interface ParsedConfFile {
  entries: ConfFileEntry[];
  problems: ConfFileProblem[];
}

// A `#` not preceded by a backslash, and the whitespace before it, up to the end of the value.
const TRAILING_COMMENT = /\s*(?<!\\)#.*$/s;
const CONTINUATION = /\\\s*$/;
const COMMENT_LINE = /^\s*[#;]/;

/** Removes a trailing comment from a value and turns `\#` into `#`. */
export function stripComment(value: string): string {
  return value.replace(TRAILING_COMMENT, '').replaceAll('\\#', '#');
}

/** Parses configuration text into entries and syntax problems (it never throws). */
export function parseConfText(text: string): ParsedConfFile {
  const entries: ConfFileEntry[] = [];
  const problems: ConfFileProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);

  let pending = '';
  let pendingLine = 0;
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index];
    // Blank and comment lines are skipped even in the middle of a continued line, as Kong does.
    if (!/\S/.test(text) || COMMENT_LINE.test(text)) continue;
    const continued = CONTINUATION.exec(text);
    if (continued) {
      if (pending === '') pendingLine = index + 1;
      pending += text.slice(0, continued.index);
      continue;
    }
    const lineNumber = pending === '' ? index + 1 : pendingLine;
    readLine(pending + text, lineNumber);
    pending = '';
  }
  if (pending !== '') readLine(pending, pendingLine);

  function readLine(line: string, lineNumber: number): void {
    const equals = line.indexOf('=');
    if (equals < 0) {
      problems.push({ line: lineNumber, message: `expected 'key = value', got '${line.trim()}'` });
      return;
    }
    const rawKey = line.slice(0, equals).trim();
    if (rawKey === '') {
      problems.push({ line: lineNumber, message: `missing property name before '=' in '${line.trim()}'` });
      return;
    }
    const key = rawKey.replace(/[^A-Za-z0-9]/g, '_');
    const value = stripComment(line.slice(equals + 1)).trim();
    entries.push({ key, value, line: lineNumber });
  }

  return { entries, problems };
}
