/**
 * Field definitions specific to routes: matching hosts (with wildcards), paths (prefix or `~` regex),
 * methods, headers, stream sources/destinations. Path checks use the router's own normalisation and
 * regex compiler, so a path the schema accepts is exactly a path the router can use.
 */
import { defineField, typedefs } from '../schema/index.ts';
import { checkPathCharacters, validateHeaderName, validateHostWithOptionalPort } from '../schema/typedefs.ts';
import { normalizePath } from '../core/uri.ts';
import { compileRouteRegex, UnboundedRegexError } from '../core/regex.ts';

/** A route path: a prefix already in normalised form, or `~` followed by a regex that compiles. */
export function validateRoutePath(path: string): string | null {
  const characters = checkPathCharacters(path);
  // Only broken escapes matter here: regexes and unusual characters are legitimate in route paths.
  if (characters?.kind === 'percent') return characters.error;
  if (!path.startsWith('~')) {
    const normalized = normalizePath(path);
    return normalized === path ? null : `non-normalized path, consider use '${normalized}' instead`;
  }
  const regex = path.slice(1);
  try {
    compileRouteRegex(regex);
    return null;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (err instanceof UnboundedRegexError) return `invalid regex: '${regex}' (${reason})`;
    return `invalid regex: '${regex}' (PCRE returned: ${reason})`;
  }
}

function validateRouteHost(host: string): string | null {
  return validateHostWithOptionalPort(host.replaceAll('*', 'abc'));
}

export const routePath = defineField({
  type: 'string',
  match_any: { patterns: ['^/', '^~/'], err: 'should start with: / (fixed path) or ~/ (regex path)' },
  match_none: [{ pattern: '//', err: 'must not have empty segments' }],
  custom_validator: validateRoutePath,
  description: 'A path prefix (starting with /) or a regex (starting with ~/).',
});

export const routePaths = defineField({ type: 'array', elements: routePath, description: 'Paths matching this route.' });

export const routeHosts = defineField({
  type: 'array',
  elements: {
    type: 'string',
    match_all: [{ pattern: '^[^*]*\\*?[^*]*$', err: 'invalid wildcard: must have at most one wildcard' }],
    match_any: {
      patterns: ['^\\*\\.', '\\.\\*$', '^[^*]*$'],
      err: 'invalid wildcard: must be placed at leftmost or rightmost label',
    },
    custom_validator: validateRouteHost,
  },
  description: 'Host header values matching this route; one wildcard label allowed at either end.',
});

export const routeMethods = defineField({
  type: 'set',
  elements: typedefs.http_method,
  description: 'HTTP methods matching this route.',
});

export const routeHeaders = defineField({
  type: 'map',
  keys: {
    type: 'string',
    match_none: [
      {
        pattern: '^[Hh][Oo][Ss][Tt]$',
        err: "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
      },
    ],
    custom_validator: validateHeaderName,
  },
  values: { type: 'array', elements: { type: 'string' } },
  description: 'Header names and the values that match this route.',
});

const endpointRecord = {
  type: 'record',
  fields: {
    ip: typedefs.ip_or_cidr,
    port: typedefs.port,
  },
  entity_checks: [{ at_least_one_of: ['ip', 'port'] }],
} as const;

export const routeSources = defineField({
  type: 'set',
  elements: endpointRecord,
  description: 'Client addresses matching this stream route.',
});

export const routeDestinations = defineField({
  type: 'set',
  elements: endpointRecord,
  description: 'Local addresses matching this stream route.',
});
