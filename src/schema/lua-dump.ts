/**
 * Renders JSON-like values the way Kong prints Lua tables in error messages (Penlight's `pretty.write`):
 * `{services={{host="required field missing"}}}` on one line, or indented over several lines. Kong's
 * `declarative config is invalid: ...` and nested schema-violation messages embed this text, so clients
 * comparing messages see the same characters.
 *
 * Arrays become Lua sequences: elements up to the first null print bare, later ones as `[n]=` (1-based);
 * map keys print bare when they are Lua identifiers, else as `["key"]=`, sorted.
 */

const LUA_KEYWORDS = new Set([
  'and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'goto', 'if', 'in',
  'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while',
]);

function isIdentifier(key: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && !LUA_KEYWORDS.has(key);
}

/** The highest count of `=` in any `[[`, `]]`, `[=[`, `]=]`-like sequence, or -1 when there is none. */
function longQuoteLevel(s: string): number {
  let level = -1;
  const re = /([[\]])(=*)\1/g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    level = Math.max(level, m[2].length);
    re.lastIndex = m.index + 1;
  }
  return level;
}

/** Lua's string quoting as Penlight does it: `%q`, or a long bracket for multi-line text. */
export function luaQuote(s: string): string {
  const level = longQuoteLevel(`${s}]`);
  if ((s.includes('\n') || level >= 0) && !s.includes('\r')) {
    const equals = '='.repeat(level + 1);
    const body = s.startsWith('\n') ? `\n${s}` : s;
    return `[${equals}[${body}]${equals}]`;
  }
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const code = s.charCodeAt(i);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\r') out += '\\r';
    else if (c === '\n') out += '\\\n';
    else if (code === 0) out += '\\0';
    else if (code < 32 || code === 127) out += `\\${code}`;
    else out += c;
  }
  return `${out}"`;
}

function isIndexKey(key: string): boolean {
  return /^[1-9][0-9]*$/.test(key);
}

function scalarText(value: unknown): string {
  if (typeof value === 'string') return luaQuote(value);
  if (value === null || value === undefined) return 'nil';
  const text = String(value);
  return text.includes(' ') ? luaQuote(text) : text;
}

/**
 * Lua text of a value. `space` is the indent unit: '' writes everything on one line with `key=value`,
 * anything else writes one entry per line with `key = value`.
 */
export function luaDump(value: unknown, space: string = ''): string {
  if (typeof value !== 'object' || value === null) return scalarText(value);
  const set = space === '' ? '=' : ' = ';
  const lines: string[] = [];
  let line = '';
  const put = (s: string): void => {
    line += s;
  };
  const putln = (s: string): void => {
    if (line.length > 0) {
      lines.push(line + s);
      line = '';
    } else {
      lines.push(s);
    }
  };
  const eatLastComma = (): void => {
    const n = lines.length - 1;
    if (n >= 0 && lines[n].endsWith(',')) lines[n] = lines[n].slice(0, -1);
  };

  const write = (t: unknown, oldIndent: string, indent: string): void => {
    if (typeof t !== 'object' || t === null) {
      putln(`${scalarText(t)},`);
      return;
    }
    const newIndent = indent + space;
    putln('{');
    const entries: [string, unknown][] = [];
    const numbered: [number, unknown][] = [];
    if (Array.isArray(t)) {
      let i = 0;
      for (; i < t.length && t[i] !== null && t[i] !== undefined; i++) {
        put(indent);
        write(t[i], indent, newIndent);
      }
      for (; i < t.length; i++) if (t[i] !== null && t[i] !== undefined) numbered.push([i + 1, t[i]]);
    } else {
      for (const [key, item] of Object.entries(t as Record<string, unknown>)) {
        if (item === undefined) continue;
        if (isIndexKey(key)) numbered.push([Number(key), item]);
        else entries.push([key, item]);
      }
      entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      numbered.sort((a, b) => a[0] - b[0]);
    }
    for (const [key, item] of entries) {
      let text = isIdentifier(key) ? key : luaQuote(key);
      if (!isIdentifier(key)) text = `[${text.startsWith('[') ? ` ${text} ` : text}]`;
      put(indent + text + set);
      write(item, indent, newIndent);
    }
    for (const [index, item] of numbered) {
      put(`${indent}[${index}]${set}`);
      write(item, indent, newIndent);
    }
    eatLastComma();
    putln(`${oldIndent}},`);
  };

  write(value, '', space);
  eatLastComma();
  return lines.join(space.length > 0 ? '\n' : '');
}
