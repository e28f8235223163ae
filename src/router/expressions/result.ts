/**
 * The MatchResult of an expressions-flavor match. strip_path removes as many leading characters as the
 * recorded `http.path` match has (Kong's `prefix`: the `^=`/`==` literal or the regex match); the upstream
 * path is always joined the v0 way, and captures are reported when a regex group took part.
 */
import { escapeUpstreamPath } from '../../core/uri.ts';
import { buildUpstreamPath } from '../upstream-path.ts';
import type { MatchResult, RouterEntry } from '../types.ts';
import type { MatchRecord } from './evaluate.ts';

export function expressionMatchResult<T>(source: RouterEntry<T>, path: string, record: MatchRecord): MatchResult<T> {
  const route = source.route;
  // Kong reads an empty match as no match.
  const matched = record.path === undefined || record.path === '' ? null : record.path;
  const upstreamPath = escapeUpstreamPath(buildUpstreamPath(source.servicePath, path, route.strip_path, matched, 'v0'));
  const strippedPrefix = route.strip_path && matched !== null && matched !== '/' ? matched : null;
  const captures = record.captures;
  const uriCaptures = captures !== null && Object.keys(captures).length > 1 ? { ...captures } : null;
  return { route, payload: source.payload, normalizedPath: path, upstreamPath, strippedPrefix, uriCaptures };
}
