/**
 * Compiles the PCRE regexes of Kong route configuration (regex paths `~/...`, header values `~*...`)
 * into JavaScript RegExps, once per configuration.
 *
 * PCRE and JavaScript agree on the everyday syntax. The PCRE-only constructs people use in routes are
 * translated: `(?P<name>` / `(?P=name)`, `\A \z \Z \G \h \H \R \Q..\E`, `\g{n}`, POSIX classes
 * (`[[:digit:]]`), leading inline flags (`(?i)`), `(?#comments)`, a `]` first in a class. Two are
 * approximated: atomic groups `(?>..)` and possessive quantifiers (`a++`) become their backtracking
 * forms, which match the same strings except in patterns that rely on the missing backtracking to fail.
 * Recursion, branch reset, `\K`, callouts and verbs have no JavaScript equivalent and are rejected.
 *
 * Bounded cost (Kong runs PCRE with a match limit; a route like `~/redos/(a+)+$` must not freeze a worker):
 * every process that matches requests runs V8 with REGEXP_ENGINE_FLAGS, which move a match that
 * backtracks too much to V8's linear-time engine. That engine cannot run case-insensitive (`(?i)`),
 * back-reference or lookahead patterns; for those, a pattern that repeats a repeated group (`(a+)+`,
 * `(\w*)*`), the shape of catastrophic backtracking, is refused at configuration time (UnboundedRegexError).
 * See docs/security.md for the measurements behind this choice.
 */

/**
 * V8 flags under which a regex that backtracks more than this many times finishes on V8's linear-time
 * engine instead (same result, bounded cost). Passed by bin/tollgate and to every worker.
 */
export const REGEXP_ENGINE_FLAGS: readonly string[] = [
  '--enable-experimental-regexp-engine-on-excessive-backtracks',
  '--regexp-backtracks-before-fallback=50000',
];

const POSIX_CLASSES: Record<string, string> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  ascii: '\\x00-\\x7f',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '\\x21-\\x7e',
  lower: 'a-z',
  print: '\\x20-\\x7e',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '\\w',
  xdigit: '0-9A-Fa-f',
};

/** V8's syntax error reasons, reworded as PCRE2 reports them. */
const PCRE_REASONS: Array<[v8: string, pcre: string]> = [
  ['Unterminated group', 'missing closing parenthesis'],
  ["Unmatched ')'", 'unmatched closing parenthesis'],
  ['Nothing to repeat', 'quantifier does not follow a repeatable item'],
  ['Unterminated character class', 'missing terminating ] for character class'],
  ['numbers out of order in {} quantifier', 'numbers out of order in {} quantifier'],
  ['Range out of order in character class', 'range out of order in character class'],
  ['\\ at end of pattern', '\\ at end of pattern'],
  ['Invalid capture group name', 'subpattern name expected'],
  ['Duplicate capture group name', 'two named subpatterns have the same name (PCRE2_DUPNAMES not set)'],
  ['Invalid named capture referenced', 'reference to non-existent subpattern'],
  ['Invalid named reference', 'reference to non-existent subpattern'],
  ['Invalid group', 'unrecognized character after (? or (?-'],
  ['Incomplete quantifier', 'quantifier does not follow a repeatable item'],
  ['Lone quantifier brackets', 'quantifier does not follow a repeatable item'],
  ['Invalid regular expression flags', 'unrecognized character after (? or (?-'],
];

class PcreSyntaxError extends Error {
  constructor(source: string, reason: string) {
    super(`pcre2_compile() failed: ${reason} in "${source}"`);
    this.name = 'PcreSyntaxError';
  }
}

function escapeLiteral(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

interface Translation {
  pattern: string;
  flags: string;
}

/** Rewrites PCRE syntax into equivalent JavaScript syntax (see the module comment for the list). */
function translatePcre(source: string): Translation {
  let flags = '';
  let index = 0;
  const leadingFlags = /^\(\?([imsx]+)\)/.exec(source);
  if (leadingFlags !== null) {
    const letters = leadingFlags[1];
    if (letters.includes('x')) throw new PcreSyntaxError(source, 'extended mode (?x) is not supported by Tollgate');
    flags = [...new Set(letters)].join('');
    index = leadingFlags[0].length;
  }

  let out = '';
  let inClass = false;
  let classStart = -1; // index in `out` right after `[` or `[^`
  while (index < source.length) {
    const ch = source[index];

    if (ch === '\\') {
      const next = source[index + 1];
      if (next === undefined) throw new PcreSyntaxError(source, '\\ at end of pattern');
      if (next === 'Q') {
        const end = source.indexOf('\\E', index + 2);
        const literal = source.slice(index + 2, end < 0 ? source.length : end);
        out += escapeLiteral(literal);
        index = end < 0 ? source.length : end + 2;
        continue;
      }
      if (next === 'E') {
        index += 2; // a stray \E is ignored by PCRE
        continue;
      }
      if (inClass) {
        out += next === 'h' ? ' \\t' : '\\' + next;
        index += 2;
        continue;
      }
      switch (next) {
        case 'A':
        case 'G':
          // Without the m flag, ^ and $ are exactly \A and \z, and keep the pattern within what V8's
          // linear-time engine runs (it has no lookahead).
          out += flags.includes('m') ? '(?<![\\s\\S])' : '^';
          break;
        case 'z':
          out += flags.includes('m') ? '(?![\\s\\S])' : '$';
          break;
        case 'Z':
          out += '(?=\\n?(?![\\s\\S]))';
          break;
        case 'h':
          out += '[ \\t]';
          break;
        case 'H':
          out += '[^ \\t]';
          break;
        case 'R':
          out += '(?:\\r\\n|[\\n\\v\\f\\r\\x85\\u2028\\u2029])';
          break;
        case 'K':
          throw new PcreSyntaxError(source, '\\K is not supported by Tollgate');
        case 'g': {
          const reference = /^\\g(?:\{(-?\w+)\}|(-?\d+))/.exec(source.slice(index));
          if (reference === null) throw new PcreSyntaxError(source, 'a numbered reference must not be zero');
          const target = reference[1] ?? reference[2];
          if (target.startsWith('-')) throw new PcreSyntaxError(source, 'relative references are not supported by Tollgate');
          out += /^\d+$/.test(target) ? `\\${target}` : `\\k<${target}>`;
          index += reference[0].length;
          continue;
        }
        default:
          out += '\\' + next;
      }
      index += 2;
      continue;
    }

    if (inClass) {
      if (ch === '[' && source[index + 1] === ':') {
        const posix = /^\[:(\^?)([a-z]+):\]/.exec(source.slice(index));
        if (posix !== null) {
          const range = POSIX_CLASSES[posix[2]];
          if (range === undefined) throw new PcreSyntaxError(source, 'unknown POSIX class name');
          if (posix[1] === '^') throw new PcreSyntaxError(source, 'negated POSIX classes are not supported by Tollgate');
          out += range;
          index += posix[0].length;
          continue;
        }
      }
      if (ch === ']' && out.length === classStart) {
        out += '\\]'; // PCRE reads a leading ] as a literal; JavaScript would close an empty class
      } else {
        if (ch === ']') inClass = false;
        out += ch === '[' ? '\\[' : ch;
      }
      index++;
      continue;
    }

    if (ch === '[') {
      inClass = true;
      out += source[index + 1] === '^' ? '[^' : '[';
      index += source[index + 1] === '^' ? 2 : 1;
      classStart = out.length;
      continue;
    }

    if (ch === '(' && source[index + 1] === '?') {
      const rest = source.slice(index + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        index += 4;
        continue;
      }
      const namedBackReference = /^P=(\w+)\)/.exec(rest);
      if (namedBackReference !== null) {
        out += `\\k<${namedBackReference[1]}>`;
        index += 2 + namedBackReference[0].length;
        continue;
      }
      if (rest.startsWith('>')) {
        out += '(?:';
        index += 3;
        continue;
      }
      if (rest.startsWith('#')) {
        const end = source.indexOf(')', index);
        if (end < 0) throw new PcreSyntaxError(source, 'missing ) after (?# comment');
        index = end + 1;
        continue;
      }
      if (/^(?:R|[+-]?\d|P>|&|\||C)/.test(rest)) {
        throw new PcreSyntaxError(source, 'recursion, branch reset and callouts are not supported by Tollgate');
      }
    }
    if (ch === '(' && source[index + 1] === '*') {
      throw new PcreSyntaxError(source, 'backtracking control verbs are not supported by Tollgate');
    }

    // A `+` right after a quantifier makes it possessive; keep the quantifier, drop the `+`.
    if (ch === '+' && index > 0 && isAfterQuantifier(out)) {
      index++;
      continue;
    }

    out += ch;
    index++;
  }
  return { pattern: out, flags };
}

/** Whether `out` ends with a complete quantifier (so a following `+` means "possessive"). */
function isAfterQuantifier(out: string): boolean {
  const last = out[out.length - 1];
  if (last !== '*' && last !== '+' && last !== '?' && last !== '}') return false;
  // The quantifier character itself must not be escaped.
  let backslashes = 0;
  for (let k = out.length - 2; k >= 0 && out[k] === '\\'; k--) backslashes++;
  if (backslashes % 2 === 1) return false;
  if (last === '}') return /\{\d+(?:,\d*)?\}$/.test(out);
  // `a?+`-style possessive; `(?` or a lazy `*?` followed by + is left for the compiler to judge.
  return true;
}

/** A regex whose matching cost cannot be bounded: refused at configuration time. */
export class UnboundedRegexError extends Error {
  constructor(source: string, group: string, reason: string) {
    super(
      `regex "${source}" can backtrack catastrophically: "${group}" repeats a repeated pattern, and its ${reason} keep it ` +
        `off the linear-time engine that bounds the cost of other regexes; remove the nested repetition (e.g. "(a+)+" -> "a+")`,
    );
    this.name = 'UnboundedRegexError';
  }
}

/** What keeps a (translated) pattern off V8's linear-time engine, or null when it can run there. */
function linearEngineObstacle(pattern: string, flags: string): string | null {
  if (flags.includes('i')) return 'case-insensitive matching ((?i))';
  if (/\\[1-9]|\\k</.test(pattern)) return 'back-references';
  if (/\(\?[=!]/.test(pattern)) return 'lookahead assertions';
  return null;
}

/**
 * The first group that is repeated without bound while holding an unbounded repetition itself (`(a+)+`,
 * `(?:x*y?)*`, `(a{2,})+`), or null. Star height above one is what makes backtracking exponential.
 */
export function nestedRepetition(pattern: string): string | null {
  const groups: { start: number; repeats: boolean }[] = [];
  let index = 0;
  const unboundedAt = (at: number): number => {
    const ch = pattern[at];
    if (ch === '*' || ch === '+') return 1;
    if (ch === '{') {
      const quantifier = /^\{\d+,(\d*)\}/.exec(pattern.slice(at));
      if (quantifier !== null && (quantifier[1] === '' || Number(quantifier[1]) > 1)) return quantifier[0].length;
    }
    return 0;
  };
  while (index < pattern.length) {
    const ch = pattern[index];
    if (ch === '\\') {
      index += 2;
    } else if (ch === '[') {
      index++;
      if (pattern[index] === '^') index++;
      if (pattern[index] === ']') index++;
      while (index < pattern.length && pattern[index] !== ']') index += pattern[index] === '\\' ? 2 : 1;
      index++;
    } else if (ch === '(') {
      groups.push({ start: index, repeats: false });
      index++;
      continue;
    } else if (ch === ')') {
      const group = groups.pop();
      index++;
      if (group === undefined) continue;
      const quantified = unboundedAt(index) > 0;
      if (quantified && group.repeats) return pattern.slice(group.start, index + unboundedAt(index));
      const inner = group.repeats || quantified;
      if (groups.length > 0) groups[groups.length - 1].repeats ||= inner;
      continue;
    } else {
      index++;
    }
    // An atom ended at `index`: an unbounded quantifier after it makes the enclosing group repeat.
    const length = unboundedAt(index);
    if (length > 0) {
      if (groups.length > 0) groups[groups.length - 1].repeats = true;
      index += length;
    }
  }
  return null;
}

function compile(source: string, translation: Translation, wrap: (pattern: string) => string): RegExp {
  try {
    // Compile the translated source on its own first: wrapping could hide an unbalanced `)`.
    new RegExp(translation.pattern, translation.flags);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const known = PCRE_REASONS.find(([v8]) => message.endsWith(v8));
    throw new PcreSyntaxError(source, known === undefined ? message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') : known[1]);
  }
  const obstacle = linearEngineObstacle(translation.pattern, translation.flags);
  if (obstacle !== null) {
    const nested = nestedRepetition(translation.pattern);
    if (nested !== null) throw new UnboundedRegexError(source, nested, obstacle);
  }
  return new RegExp(wrap(translation.pattern), translation.flags);
}

/**
 * Compiles a route regex path (the text after `~`) into a RegExp anchored at the start of the subject
 * only, as Kong's router applies it. Named groups may be written `(?<name>` or `(?P<name>`.
 * Throws an Error whose message reads like PCRE2's (`pcre2_compile() failed: missing closing parenthesis
 * in "/users/(foo"`) when the pattern does not compile.
 */
export function compileRouteRegex(source: string): RegExp {
  return compile(source, translatePcre(source), (pattern) => `^(?:${pattern})`);
}

/**
 * Compiles a header value regex (the text after `~*`) for an unanchored search. The caller decides
 * whether to lower-case the pattern (flavors differ, see router.md section 10).
 */
export function compileHeaderRegex(source: string): RegExp {
  return compile(source, translatePcre(source), (pattern) => pattern);
}
