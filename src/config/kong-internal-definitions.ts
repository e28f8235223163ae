/**
 * Kong's settings for its database connections, its entity cache, its Lua/OpenResty/nginx runtime and a few
 * features of its own. Tollgate accepts every one with Kong's name and default so that a kong.conf (or a test
 * suite written with Kong's `KONG_*` names) starts unchanged; each description says whether Tollgate applies
 * the value or why it cannot mean anything here. Bad values are refused either way: a typo must not hide.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { define } from './setting-definition.ts';
import { UNTRUSTED_LUA_MODES, WORKER_CONSISTENCY_MODES } from './settings-types.ts';
import {
  InvalidValue, integerInRange, list, nonNegativeNumber, onOff, oneOf, optionalString, requiredString, size, sslProtocols,
} from './value-parsers.ts';
import type { ValueParser } from './value-parsers.ts';

/** Empty means unset (null, "same as the setting without `ro_`" or "the default"); else `parse`. */
function optional<T>(parse: ValueParser<T>): ValueParser<T | null> {
  return (raw, context) => (raw === '' ? null : parse(raw, context));
}

/** A number of seconds greater than 0 (fractions allowed). */
function positiveSeconds(raw: string): number {
  const n = /^[+]?(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : 0;
  if (!(n > 0)) throw new InvalidValue('must be a number of seconds greater than 0');
  return n;
}

// PostgreSQL's unquoted identifiers: the schema is written into every connection's `search_path`.
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

function schemaName(raw: string): string {
  if (!SCHEMA_NAME.test(raw)) throw new InvalidValue('must be a PostgreSQL schema name: a letter or `_`, then letters, digits, `_` or `$` (at most 63)');
  return raw;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** A comma-separated list of names (entities, Lua modules, globals, filters, vaults). */
function names(what: string): ValueParser<string[]> {
  return list((entry) => {
    if (!NAME.test(entry)) throw new InvalidValue(`entry '${entry}' is not ${what} (letters, digits, '_', '.' and '-')`);
    return entry;
  });
}

/** Kong's list with `off` as the only way to say "none": `off` next to other entries is refused. */
function namesOrOff(what: string): ValueParser<string[]> {
  const parse = names(what);
  return (raw, context) => {
    const entries = parse(raw, context);
    if (entries.includes('off') && entries.length > 1) throw new InvalidValue(`'off' cannot be combined with other entries`);
    return entries;
  };
}

function optionalDirectory(raw: string, context: { cwd: string }): string | null {
  if (raw === '') return null;
  const path = resolve(context.cwd, raw);
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    throw new InvalidValue(`no such directory: ${path}`);
  }
  if (!isDirectory) throw new InvalidValue(`not a directory: ${path}`);
  return path;
}

// Kong's env vault `prefix` pattern.
const ENV_PREFIX = /^[A-Za-z_-][A-Za-z0-9_-]*$/;

function envVaultPrefix(raw: string): string | null {
  if (raw === '') return null;
  if (!ENV_PREFIX.test(raw)) throw new InvalidValue(`must start with a letter, '_' or '-', then letters, digits, '_' or '-' (e.g. SECRETS_)`);
  return raw;
}

function luaPath(raw: string): string {
  if (raw === '' || /[\r\n]/.test(raw)) throw new InvalidValue(`must be a ';'-separated Lua search path such as './?.lua;./?/init.lua;'`);
  return raw;
}

const NO_LUA = 'Accepted for Kong compatibility; no effect in Tollgate, which runs no Lua';
const NO_NGINX = 'Accepted for Kong compatibility; no effect in Tollgate, which runs no OpenResty';
const IN_MEMORY = 'Accepted for Kong compatibility; no effect in Tollgate, which keeps the whole configuration in memory and rebuilds it on every change';
const POOL_NOTE = 'Accepted for Kong compatibility; no effect in Tollgate, whose PostgreSQL pool queues waiting queries itself (bounded by `pg_timeout`)';
const RO_NOTE = 'for Kong\'s read-only replica connection. Accepted and validated; no effect in Tollgate, which sends reads and writes to `pg_host`';

/** Kong's database, cache, Lua/nginx-internal and miscellaneous settings, in one block of the table. */
export const KONG_DATABASE_AND_INTERNAL_DEFINITIONS = [
  // PostgreSQL, beyond the connection itself
  define({
    name: 'pg_schema', type: 'string', default: '', parse: optional(schemaName),
    description: 'PostgreSQL schema Tollgate\'s tables live in: every connection (the store, its notifications, plugins\' queries) ' +
      'sets it as its `search_path`, and `tollgate migrations bootstrap` creates it if missing. Unset follows the server\'s `search_path`.',
  }),
  define({
    name: 'pg_ssl_verify', type: 'boolean', default: 'off', parse: onOff(),
    description: 'With `pg_ssl = on`, verify PostgreSQL\'s certificate (chain and host name) against `lua_ssl_trusted_certificate`; ' +
      'a server that fails the check is not connected to.',
  }),
  define({
    name: 'pg_max_concurrent_queries', type: 'integer', default: '0', parse: integerInRange(0),
    description: `Kong's per-worker limit on concurrent queries (0 means none). ${POOL_NOTE}.`,
  }),
  define({
    name: 'pg_semaphore_timeout', type: 'integer', default: '60000', parse: integerInRange(0),
    description: `Milliseconds Kong waits for a slot under \`pg_max_concurrent_queries\`. ${POOL_NOTE}.`,
  }),
  define({
    name: 'pg_keepalive_timeout', type: 'integer', default: '', parse: optional(integerInRange(0)),
    description: 'Milliseconds an idle PostgreSQL connection stays in the pool before it is closed; 0 keeps idle connections ' +
      'open. Unset: 10000.',
  }),
  define({
    name: 'pg_pool_size', type: 'integer', default: '', parse: optional(integerInRange(1)),
    description: 'Most connections the node\'s store opens to PostgreSQL at once (further queries wait for one). ' +
      'Unset: 10. Kong counts it per nginx worker and defaults to `lua_socket_pool_size`.',
  }),
  define({
    name: 'pg_backlog', type: 'integer', default: '', parse: optional(integerInRange(0)),
    description: 'Kong\'s queue of connects waiting for a pool slot. Accepted for Kong compatibility; no effect in Tollgate, ' +
      'where waiting queries queue without a limit and fail after `pg_timeout`.',
  }),
  define({ name: 'pg_ro_host', type: 'string', default: '', parse: optionalString(), description: `\`pg_host\` ${RO_NOTE}.` }),
  define({ name: 'pg_ro_port', type: 'integer', default: '', parse: optional(integerInRange(1, 65535)), description: `\`pg_port\` ${RO_NOTE}.` }),
  define({ name: 'pg_ro_timeout', type: 'integer', default: '', parse: optional(integerInRange(1)), description: `\`pg_timeout\` ${RO_NOTE}.` }),
  define({ name: 'pg_ro_user', type: 'string', default: '', parse: optionalString(), description: `\`pg_user\` ${RO_NOTE}.` }),
  define({ name: 'pg_ro_password', type: 'string', default: '', secret: true, parse: optionalString(), description: `\`pg_password\` ${RO_NOTE}.` }),
  define({ name: 'pg_ro_database', type: 'string', default: '', parse: optionalString(), description: `\`pg_database\` ${RO_NOTE}.` }),
  define({ name: 'pg_ro_schema', type: 'string', default: '', parse: optional(schemaName), description: `\`pg_schema\` ${RO_NOTE}.` }),
  define({ name: 'pg_ro_ssl', type: 'boolean', default: '', parse: optional(onOff()), description: `\`pg_ssl\` ${RO_NOTE}.` }),
  define({ name: 'pg_ro_ssl_verify', type: 'boolean', default: '', parse: optional(onOff()), description: `\`pg_ssl_verify\` ${RO_NOTE}.` }),
  define({
    name: 'pg_ro_max_concurrent_queries', type: 'integer', default: '', parse: optional(integerInRange(0)),
    description: `\`pg_max_concurrent_queries\` ${RO_NOTE}.`,
  }),
  define({
    name: 'pg_ro_semaphore_timeout', type: 'integer', default: '', parse: optional(integerInRange(0)),
    description: `\`pg_semaphore_timeout\` ${RO_NOTE}.`,
  }),
  define({
    name: 'pg_ro_keepalive_timeout', type: 'integer', default: '', parse: optional(integerInRange(0)),
    description: `\`pg_keepalive_timeout\` ${RO_NOTE}.`,
  }),
  define({ name: 'pg_ro_pool_size', type: 'integer', default: '', parse: optional(integerInRange(1)), description: `\`pg_pool_size\` ${RO_NOTE}.` }),
  define({ name: 'pg_ro_backlog', type: 'integer', default: '', parse: optional(integerInRange(0)), description: `\`pg_backlog\` ${RO_NOTE}.` }),

  // Entity cache and change propagation
  define({
    name: 'db_update_frequency', type: 'number', default: '5', parse: positiveSeconds,
    description: 'Seconds between checks of the database for changes made by other nodes. Changes normally arrive at once ' +
      '(PostgreSQL notifications); this check catches any that were missed. The embedded SQLite store checks its file every 0.25 seconds ' +
      'whatever this says.',
  }),
  define({
    name: 'db_update_propagation', type: 'number', default: '0', parse: nonNegativeNumber(),
    description: `Seconds a change takes to reach Kong's database replicas in other datacenters. ${IN_MEMORY}, and reads its one database.`,
  }),
  define({
    name: 'db_cache_ttl', type: 'number', default: '0', parse: nonNegativeNumber(),
    description: `Seconds Kong keeps an entity in its cache (0: until it changes). ${IN_MEMORY}.`,
  }),
  define({
    name: 'db_cache_neg_ttl', type: 'number', default: '', parse: optional(nonNegativeNumber()),
    description: `Seconds Kong caches a miss (unset: \`db_cache_ttl\`). ${IN_MEMORY}.`,
  }),
  define({
    name: 'db_resurrect_ttl', type: 'number', default: '30', parse: nonNegativeNumber(),
    description: 'Seconds Kong keeps serving stale entities when the database cannot be reached. Accepted for Kong compatibility; ' +
      'no effect in Tollgate, which keeps serving its last configuration for as long as the database is away.',
  }),
  define({
    name: 'db_cache_warmup_entities', type: 'list', default: 'services', parse: names('an entity name'),
    description: `Entities Kong loads into its cache at start. ${IN_MEMORY}, all of it loaded at start.`,
  }),

  // Lua, OpenResty and nginx internals
  define({ name: 'lua_package_path', type: 'string', default: './?.lua;./?/init.lua;', parse: luaPath, description: `Kong's Lua module search path. ${NO_LUA}; see \`plugin_paths\`.` }),
  define({ name: 'lua_package_cpath', type: 'string', default: '', parse: optional(luaPath), description: `Kong's Lua C module search path. ${NO_LUA}.` }),
  define({
    name: 'lua_socket_pool_size', type: 'integer', default: '256', parse: integerInRange(1),
    description: `Kong's per-server cosocket pool size. ${NO_NGINX}; see \`upstream_keepalive_pool_size\` and \`pg_pool_size\`.`,
  }),
  define({
    name: 'lua_ssl_protocols', type: 'string', default: 'TLSv1.2 TLSv1.3', parse: sslProtocols,
    description: `TLS versions of Kong's Lua cosockets (\`TLSv1\` to \`TLSv1.3\`, separated by spaces). ${NO_NGINX}; outgoing TLS uses Node's defaults.`,
  }),
  define({
    name: 'lua_ssl_verify_depth', type: 'integer', default: '1', parse: integerInRange(0, 100),
    description: `Longest certificate chain Kong's cosockets verify. ${NO_NGINX}; Node verifies chains of any length.`,
  }),
  define({ name: 'openresty_path', type: 'path', default: '', parse: optionalString(), description: `Where Kong finds OpenResty. ${NO_NGINX}.` }),
  define({
    name: 'lmdb_environment_path', type: 'path', default: 'dbless.lmdb', parse: requiredString(),
    description: 'Where Kong keeps its DB-less configuration (LMDB). Accepted for Kong compatibility; no effect in Tollgate, which ' +
      'keeps it in memory (a data plane caches it in `<prefix>/config.cache`).',
  }),
  define({
    name: 'lmdb_map_size', type: 'size', default: '2048m', parse: size(),
    description: 'Kong\'s LMDB memory map size. Accepted for Kong compatibility; no effect in Tollgate, which uses no LMDB.',
  }),
  define({
    name: 'untrusted_lua', type: 'enum', default: 'sandbox', values: UNTRUSTED_LUA_MODES, parse: oneOf(UNTRUSTED_LUA_MODES),
    description: `Whether Kong loads Lua code given through the Admin API. ${NO_LUA}.`,
  }),
  define({ name: 'untrusted_lua_sandbox_requires', type: 'list', default: '', parse: names('a Lua module name'), description: `Lua modules Kong's sandbox may require. ${NO_LUA}.` }),
  define({ name: 'untrusted_lua_sandbox_environment', type: 'list', default: '', parse: names('a Lua global name'), description: `Lua globals Kong's sandbox exposes. ${NO_LUA}.` }),
  define({ name: 'wasm', type: 'boolean', default: 'off', parse: onOff(), description: 'Kong\'s WebAssembly filters. Accepted for Kong compatibility; no effect in Tollgate, which runs no Wasm filters.' }),
  define({
    name: 'wasm_filters', type: 'list', default: 'bundled,user', parse: namesOrOff('a filter name'),
    description: 'Wasm filters Kong makes available (`bundled`, `user`, names, or `off`). Accepted; no effect in Tollgate, which runs no Wasm filters.',
  }),
  define({
    name: 'wasm_filters_path', type: 'path', default: '', parse: optionalDirectory,
    description: 'Directory of Kong\'s `.wasm` filter modules; must exist when set. Accepted; no effect in Tollgate, which runs no Wasm filters.',
  }),
  define({
    name: 'new_dns_client', type: 'boolean', default: 'off', parse: onOff(),
    description: 'Kong\'s switch to its newer DNS resolver. Accepted for Kong compatibility; no effect in Tollgate, which has one resolver.',
  }),
  define({
    name: 'dedicated_config_processing', type: 'boolean', default: 'on', parse: onOff(),
    description: 'Kong\'s extra worker for data-plane configuration work. Accepted for Kong compatibility; no effect in Tollgate, ' +
      'whose supervisor process always does that work, off the proxy workers.',
  }),
  define({
    name: 'worker_consistency', type: 'enum', default: 'eventual', values: WORKER_CONSISTENCY_MODES, parse: oneOf(WORKER_CONSISTENCY_MODES),
    description: 'Whether Kong rebuilds routers synchronously (`strict`) or in the background (`eventual`). Accepted for Kong ' +
      'compatibility; no effect in Tollgate, whose workers build each configuration off the request path and swap it in at once.',
  }),
  define({
    name: 'worker_state_update_frequency', type: 'number', default: '5', parse: positiveSeconds,
    description: 'Seconds between Kong\'s worker checks for router or balancer changes. Accepted for Kong compatibility; no effect ' +
      'in Tollgate, whose workers are sent each new configuration as it is made.',
  }),
  define({
    name: 'anonymous_reports', type: 'boolean', default: 'on', parse: onOff(),
    description: 'Kong\'s anonymous usage reports. Accepted for Kong compatibility; no effect in Tollgate, which sends no reports.',
  }),

  // Kong features configured per node
  define({
    name: 'request_debug', type: 'boolean', default: 'on', parse: onOff(),
    description: 'Kong\'s timing report for requests carrying `X-Kong-Request-Debug`. Accepted for Kong compatibility; not ' +
      'implemented in Tollgate yet (the header is ignored); see `tracing_instrumentations` for timings.',
  }),
  define({
    name: 'request_debug_token', type: 'string', default: '', secret: true, parse: optionalString(),
    description: 'The token Kong\'s request debugging asks for (`X-Kong-Request-Debug-Token`). Accepted; no effect in Tollgate, ' +
      'which does not implement request debugging yet.',
  }),
  define({
    name: 'vaults', type: 'list', default: 'bundled', parse: namesOrOff('a vault name'),
    description: 'Vault backends this node may read secrets from: `bundled` (`env` and `file`), backend names, or `off` for none. ' +
      'A reference or vault entity naming a backend left out is refused (settings) or does not resolve (plugin fields).',
  }),
  define({
    name: 'vault_env_prefix', type: 'string', default: '', parse: envVaultPrefix,
    description: 'Prefix the `env` vault puts before every secret name when neither its vault entity nor the reference gives one: ' +
      'with `SECRETS_`, `{vault://env/pg-password}` reads `SECRETS_PG_PASSWORD`.',
  }),
] as const;

/** Kong's `opentelemetry_*` names (deprecated in Kong) for the tracing settings. */
export const KONG_TRACING_ALIASES = [
  ['opentelemetry_tracing', 'tracing_instrumentations'],
  ['opentelemetry_tracing_sampling_rate', 'tracing_sampling_rate'],
] as const;

