/**
 * Turns the winning entry into the proxy's MatchResult: which path matched, the captures, the stripped
 * prefix and the escaped upstream path. Runs once per request, for the winner only.
 */
import { escapeUpstreamPath } from '../core/uri.ts';
import type { CompiledEntry } from './compiled-entry.ts';
import type { RegexPath } from './field-conditions.ts';
import { buildUpstreamPath } from './upstream-path.ts';
import type { MatchResult } from './types.ts';

function capturesOf(match: RegExpExecArray, path: RegexPath, compatible: boolean): Record<string, string> | null {
  if (!path.hasGroups) return null;
  const captures: Record<string, string> = { 0: match[0] };
  let anyGroup = false;
  for (let index = 1; index < match.length; index++) {
    const value = match[index];
    if (value !== undefined) {
      captures[index] = value;
      anyGroup = true;
    }
  }
  const groups = match.groups;
  if (groups !== undefined) {
    for (const name of Object.keys(groups)) {
      const value = groups[name];
      if (value !== undefined) captures[name] = value;
    }
  }
  // Kong's compatible router reports captures only when a group took part in the match; the
  // traditional one whenever the regex has groups.
  return compatible && !anyGroup ? null : captures;
}

/** Builds the result for `entry`, which is known to match the normalised `path`. */
export function buildMatchResult<T>(entry: CompiledEntry<T>, path: string): MatchResult<T> {
  let matchedPrefix: string | null = null;
  let uriCaptures: Record<string, string> | null = null;
  if (entry.prefixes !== null) {
    for (const prefix of entry.prefixes) {
      if (path.startsWith(prefix)) {
        matchedPrefix = prefix;
        break;
      }
    }
  } else if (entry.regexes !== null) {
    for (const regexPath of entry.regexes) {
      if (!path.startsWith(regexPath.literalPrefix)) continue;
      const match = regexPath.regex.exec(path);
      if (match !== null) {
        matchedPrefix = match[0];
        uriCaptures = capturesOf(match, regexPath, entry.compatible);
        break;
      }
    }
  }

  const route = entry.route;
  const pathHandling = entry.compatible ? 'v0' : route.path_handling;
  const upstreamPath = escapeUpstreamPath(
    buildUpstreamPath(entry.source.servicePath, path, route.strip_path, matchedPrefix, pathHandling),
  );
  const strippedPrefix =
    route.strip_path && matchedPrefix !== null && matchedPrefix !== '' && matchedPrefix !== '/' ? matchedPrefix : null;
  return { route, payload: entry.source.payload, normalizedPath: path, upstreamPath, strippedPrefix, uriCaptures };
}
