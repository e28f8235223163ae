/**
 * Loads a declarative configuration (text or an already-parsed document) into a flat, validated
 * configuration, or explains why it cannot: parse, check the top-level keys, migrate old formats, walk and
 * validate every entity, then — only if all are valid — check uniqueness and references, and finally
 * apply transformations. All entities of one load share the same timestamps.
 */
import { isEntityName, EMPTY_PLUGIN_REGISTRY } from '../entities/index.ts';
import { findForbiddenKey } from '../core/safe-keys.ts';
import { MSG, oneOfMessage } from '../schema/index.ts';
import { ErrorCollector } from './error-collector.ts';
import { checkUniqueFields, indexEntities, resolveReferences } from './cross-checks.ts';
import { declarativeError } from './errors.ts';
import { buildFlatConfig } from './finalize.ts';
import { flattenErrors } from './flatten-errors.ts';
import { expandConsumerGroupShorthands } from './consumer-group-shorthands.ts';
import { migrateOldFormat } from './migrate-paths.ts';
import { UNSUPPORTED_COLLECTIONS } from './nesting.ts';
import { parseDeclarativeText } from './parse.ts';
import type { LoadOptions, LoadResult } from './types.ts';
import { createWalkContext, walkCollections } from './walk.ts';

const FORMAT_VERSIONS = ['1.1', '2.1', '3.0'] as const;

function isEmptyList(value: unknown): boolean {
  return value === null || (Array.isArray(value) && value.length === 0);
}

/** Checks the meta keys and rejects keys that are not collections. */
function checkTopLevel(document: Record<string, unknown>, errors: ErrorCollector): boolean {
  const version = document._format_version;
  if (version === undefined || version === null) errors.addTopLevel('_format_version', MSG.REQUIRED);
  else if (typeof version !== 'string') errors.addTopLevel('_format_version', MSG.STRING);
  else if (!(FORMAT_VERSIONS as readonly string[]).includes(version)) {
    errors.addTopLevel('_format_version', oneOfMessage(FORMAT_VERSIONS));
  }
  const transform = document._transform;
  if (transform !== undefined && transform !== null && typeof transform !== 'boolean') {
    errors.addTopLevel('_transform', MSG.BOOLEAN);
  }
  for (const key of Object.keys(document)) {
    const value = document[key];
    if (key === '_format_version' || key === '_transform') continue;
    if (key === '_comment') {
      if (typeof value !== 'string' && value !== null) errors.addTopLevel(key, MSG.STRING);
    } else if (key === '_ignore') {
      if (!Array.isArray(value) && value !== null) errors.addTopLevel(key, MSG.ARRAY);
    } else if (!isEntityName(key) && !(UNSUPPORTED_COLLECTIONS.has(key) && isEmptyList(value))) {
      errors.addTopLevel(key, MSG.UNKNOWN);
    }
  }
  return document._transform !== false;
}

/** The document with the ids derived so far written in, for flattened errors (as Kong reports them). */
function withDerivedIds(value: unknown, ids: ReadonlyMap<object, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => withDerivedIds(item, ids));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = withDerivedIds(item, ids);
  const id = ids.get(value);
  if (id !== undefined) out.id = id;
  return out;
}

function failure(
  tree: Record<string, unknown>,
  document: Record<string, unknown>,
  options: LoadOptions,
): LoadResult {
  if (!options.flattenErrors) return { ok: false, error: declarativeError(tree) };
  const { flattened, remaining } = flattenErrors(document, tree);
  return { ok: false, error: declarativeError(remaining, flattened) };
}

/**
 * Loads a declarative configuration. `input` is text (YAML or JSON, see {@link LoadOptions.filename}) or a
 * parsed document; it is never modified. Returns the flat configuration or Kong's code-14 error.
 */
export function loadDeclarative(input: string | Record<string, unknown>, options: LoadOptions = {}): LoadResult {
  let document: Record<string, unknown>;
  if (typeof input === 'string') {
    const parsed = parseDeclarativeText(input, options.filename);
    if (!parsed.ok) return { ok: false, error: declarativeError({ error: parsed.error }) };
    document = parsed.document;
  } else if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      error: declarativeError({ error: 'failed parsing declarative configuration: expected an object' }),
    };
  } else {
    const forbidden = findForbiddenKey(input);
    if (forbidden !== null) {
      return {
        ok: false,
        error: declarativeError({ error: `failed parsing declarative configuration: '${forbidden.path}': '${forbidden.key}' is not allowed as a key` }),
      };
    }
    document = input;
  }

  const errors = new ErrorCollector();
  const transform = checkTopLevel(document, errors);
  document = expandConsumerGroupShorthands(migrateOldFormat(document));

  const ctx = createWalkContext(errors, options.now ?? Date.now(), options.plugins ?? EMPTY_PLUGIN_REGISTRY);
  walkCollections(document, null, null, ctx);
  if (errors.hasErrors) return failure(errors.toTree(), document, options);

  const index = indexEntities(ctx.loaded, errors);
  resolveReferences(ctx.loaded, index, errors);
  if (!errors.hasErrors) checkUniqueFields(ctx.loaded, errors);
  if (errors.hasErrors) {
    const documentWithIds = withDerivedIds(document, ctx.derivedIds) as Record<string, unknown>;
    return failure(errors.toTree(), documentWithIds, options);
  }

  return { ok: true, config: buildFlatConfig(ctx.loaded, transform) };
}
