/**
 * Route `headers`, `paths` and `snis` compiled for matching, with the per-flavor differences of
 * router.md sections 4 and 10.
 */
import { compileHeaderRegex, compileRouteRegex } from '../core/regex.ts';
import type { RequestView } from './request-view.ts';

export interface HeaderCondition {
  /** Lower-case header name. */
  name: string;
  /** Configured values, lower-cased. */
  exact: Set<string>;
  /** `~*` patterns (traditional: only when it is the single value; compatible: any value). */
  regexes: RegExp[];
}

/** True when an ASCII upper-case letter occurs (the only case folding that changes header values here). */
function hasUpperCase(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0x41 && code <= 0x5a) return true;
    if (code > 0x7f) return true; // let toLowerCase decide for non-ASCII
  }
  return false;
}

/** Lower-cases only when needed, so the common all-lower-case value costs no allocation. */
export function lowerCase(text: string): string {
  return hasUpperCase(text) ? text.toLowerCase() : text;
}

/**
 * Compiles one configured header for a flavor.
 * - traditional: a `~*` value is a regex only when it is the only value; the pattern keeps its case
 *   (so upper-case letters in it never match the lower-cased request value, as in Kong).
 * - compatible: every `~*` value is a regex, and the pattern is lower-cased too.
 */
export function compileHeaderCondition(name: string, values: string[], compatible: boolean): HeaderCondition {
  const exact = new Set<string>();
  const regexes: RegExp[] = [];
  if (compatible) {
    for (const value of values) {
      if (value.startsWith('~*')) regexes.push(compileHeaderRegex(value.slice(2).toLowerCase()));
      else exact.add(value.toLowerCase());
    }
  } else {
    for (const value of values) exact.add(value.toLowerCase());
    if (values.length === 1 && values[0].startsWith('~*')) regexes.push(compileHeaderRegex(values[0].slice(2)));
  }
  // Kong looks headers up through nginx, where `user_agent` finds `User-Agent`.
  return { name: name.toLowerCase().replaceAll('_', '-'), exact, regexes };
}

function headerValueMatches(condition: HeaderCondition, value: string): boolean {
  const lowered = lowerCase(value);
  if (condition.exact.has(lowered)) return true;
  const regexes = condition.regexes;
  for (let index = 0; index < regexes.length; index++) {
    if (regexes[index].test(lowered)) return true;
  }
  return false;
}

/** Every configured header must be present with one matching value (repeated headers: any of them). */
export function headersMatch(conditions: HeaderCondition[], view: RequestView): boolean {
  for (let index = 0; index < conditions.length; index++) {
    const condition = conditions[index];
    const value = view.headerValue(condition.name);
    if (value === undefined) return false;
    if (typeof value === 'string') {
      if (!headerValueMatches(condition, value)) return false;
      continue;
    }
    let found = false;
    for (let item = 0; item < value.length; item++) {
      if (headerValueMatches(condition, value[item])) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

export interface RegexPath {
  /** The configured path without `~`. */
  source: string;
  regex: RegExp;
  /** A literal every match starts with, tested before running the regex ('' when unknown). */
  literalPrefix: string;
  hasGroups: boolean;
}

/**
 * The literal text a regex match must start with: characters up to the first metacharacter, minus a
 * final one that a quantifier could remove. Empty whenever the pattern has an alternation anywhere or
 * starts with a flag group, since then no such literal is certain.
 */
export function literalPrefixOf(source: string): string {
  if (source.includes('|')) return '';
  let end = 0;
  while (end < source.length && !'\\^$.|?*+()[]{}'.includes(source[end])) end++;
  const next = source[end];
  if (next === '?' || next === '*' || next === '{') end--;
  return end > 0 ? source.slice(0, end) : '';
}

function countCaptureGroups(regex: RegExp): number {
  // An empty alternative makes the regex match '', which reveals how many groups it has.
  return (new RegExp(`${regex.source}|`, regex.flags).exec('')?.length ?? 1) - 1;
}

/** Compiles a regex path (text after `~`). Throws with a PCRE-like message when it does not compile. */
export function compileRegexPath(source: string): RegexPath {
  const regex = compileRouteRegex(source);
  return { source, regex, literalPrefix: literalPrefixOf(source), hasGroups: countCaptureGroups(regex) > 0 };
}

/** Whether a regex path matches the (normalised) request path, without building a match array. */
export function regexPathMatches(path: RegexPath, requestPath: string): boolean {
  return requestPath.startsWith(path.literalPrefix) && path.regex.test(requestPath);
}

export interface SniCondition {
  exact: Set<string>;
  /** Compatible only: `*.x` kept as `.x` (suffix test). */
  suffixes: string[];
  /** Compatible only: `x.*` kept as `x.` (prefix test). */
  prefixes: string[];
}

/** Compiles `snis`; a trailing dot of a configured name is ignored. */
export function compileSniCondition(snis: string[], compatible: boolean): SniCondition {
  const condition: SniCondition = { exact: new Set(), suffixes: [], prefixes: [] };
  for (let sni of snis) {
    if (compatible && sni.endsWith('*')) {
      condition.prefixes.push(sni.slice(0, -1));
      continue;
    }
    if (sni.length > 1 && sni.endsWith('.')) sni = sni.slice(0, -1);
    if (compatible && sni.startsWith('*')) condition.suffixes.push(sni.slice(1));
    else condition.exact.add(sni);
  }
  return condition;
}

/** On plain HTTP the SNI condition always holds; on HTTPS the SNI must be one of the values. */
export function sniMatches(condition: SniCondition, view: RequestView): boolean {
  if (view.scheme !== 'https') return true;
  const sni = view.sni;
  if (condition.exact.has(sni)) return true;
  if (sni === '') return false;
  for (let index = 0; index < condition.suffixes.length; index++) {
    if (sni.endsWith(condition.suffixes[index])) return true;
  }
  for (let index = 0; index < condition.prefixes.length; index++) {
    if (sni.startsWith(condition.prefixes[index])) return true;
  }
  return false;
}
