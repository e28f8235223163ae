/**
 * Kong's database, cache, Lua/nginx-internal and miscellaneous settings (kong-internal-definitions.ts): each
 * starts with Kong's default text and a typical value, and a bad value is refused naming the setting.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from './load-settings.ts';
import { SettingsError } from './settings-error.ts';
import type { Settings } from './settings-types.ts';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-kong-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Loads from the environment only (no configuration file is read). */
function load(env: Record<string, string>): Settings {
  return loadSettings({ confPath: '/dev/null', env });
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (error) {
    assert.ok(error instanceof SettingsError, String(error));
    return [...error.problems];
  }
  return assert.fail(`expected ${JSON.stringify(env)} to be refused`);
}

const env = (key: string): string => `TOLLGATE_${key.toUpperCase()}`;

/** Setting, Kong's default text, a typical value, a bad value. */
const CASES: [string, string, string, string][] = [
  ['pg_schema', '', 'tollgate_prod', 'bad schema'],
  ['pg_ssl_verify', 'off', 'on', 'maybe'],
  ['pg_max_concurrent_queries', '0', '10', '-1'],
  ['pg_semaphore_timeout', '60000', '1000', '1.5'],
  ['pg_keepalive_timeout', '', '60000', 'forever'],
  ['pg_pool_size', '', '20', '0'],
  ['pg_backlog', '', '100', '-5'],
  ['pg_ro_host', '', 'replica.example.com', ''],
  ['pg_ro_port', '', '5433', '70000'],
  ['pg_ro_timeout', '', '3000', '0'],
  ['pg_ro_user', '', 'reader', ''],
  ['pg_ro_password', '', 'secret', ''],
  ['pg_ro_database', '', 'kong', ''],
  ['pg_ro_schema', '', 'public', '1abc'],
  ['pg_ro_ssl', '', 'on', 'yes'],
  ['pg_ro_ssl_verify', '', 'off', 'yes'],
  ['pg_ro_max_concurrent_queries', '', '5', '-1'],
  ['pg_ro_semaphore_timeout', '', '1000', 'x'],
  ['pg_ro_keepalive_timeout', '', '0', 'x'],
  ['pg_ro_pool_size', '', '5', '0'],
  ['pg_ro_backlog', '', '10', 'x'],
  ['db_update_frequency', '5', '1', '0'],
  ['db_update_propagation', '0', '2', '-1'],
  ['db_cache_ttl', '0', '3600', 'soon'],
  ['db_cache_neg_ttl', '', '30', '-1'],
  ['db_resurrect_ttl', '30', '60', 'x'],
  ['db_cache_warmup_entities', 'services', 'services, routes, plugins', 'services, bad name'],
  ['lua_package_path', './?.lua;./?/init.lua;', '/opt/kong/?.lua;;', ''],
  ['lua_package_cpath', '', '/opt/kong/?.so;;', ''],
  ['lua_socket_pool_size', '256', '30', '0'],
  ['lua_ssl_protocols', 'TLSv1.2 TLSv1.3', 'TLSv1.3', 'SSLv3'],
  ['lua_ssl_verify_depth', '1', '4', '-1'],
  ['openresty_path', '', '/usr/local/openresty', ''],
  ['lmdb_environment_path', 'dbless.lmdb', '/var/lib/kong/dbless.lmdb', ''],
  ['lmdb_map_size', '2048m', '4g', 'huge'],
  ['untrusted_lua', 'sandbox', 'off', 'maybe'],
  ['untrusted_lua_sandbox_requires', '', 'resty.template, cjson', 'bad module'],
  ['untrusted_lua_sandbox_environment', '', 'os, math', 'os, bad global'],
  ['wasm', 'off', 'on', 'enabled'],
  ['wasm_filters', 'bundled,user', 'off', 'off, user'],
  ['wasm_filters_path', '', dir, join(dir, 'missing')],
  ['new_dns_client', 'off', 'on', '1'],
  ['dedicated_config_processing', 'on', 'off', '0'],
  ['worker_consistency', 'eventual', 'strict', 'immediate'],
  ['worker_state_update_frequency', '5', '1', '0'],
  ['anonymous_reports', 'on', 'off', 'no'],
  ['request_debug', 'on', 'off', 'sometimes'],
  ['request_debug_token', '', 'abc123', ''],
  ['vaults', 'bundled', 'env', 'off, env'],
  ['vault_env_prefix', '', 'SECRETS_', '1SECRETS'],
];

test("Kong's database, cache and runtime-internal settings: Kong's default and a typical value start, a bad value is refused by name", () => {
  for (const [key, kongDefault, typical, bad] of CASES) {
    assert.doesNotThrow(() => load({ [env(key)]: kongDefault }), `${key} = '${kongDefault}' (Kong's default)`);
    assert.doesNotThrow(() => load({ [env(key)]: typical }), `${key} = '${typical}'`);
    if (bad === '') continue; // settings where any text is accepted (only emptiness would mean "unset")
    const problems = problemsOf({ [env(key)]: bad });
    assert.equal(problems.length, 1, `${key} = '${bad}': ${problems.join('; ')}`);
    assert.match(problems[0], new RegExp(`^${env(key)}: invalid value for '${key}'`), problems[0]);
  }
});

test('defaults are Kong\'s, and values arrive typed', () => {
  const defaults = load({});
  assert.equal(defaults.db_update_frequency, 5);
  assert.equal(defaults.pg_schema, null);
  assert.equal(defaults.pg_pool_size, null);
  assert.deepEqual(defaults.db_cache_warmup_entities, ['services']);
  assert.deepEqual(defaults.vaults, ['bundled']);
  assert.equal(defaults.anonymous_reports, true);
  const set = load({ TOLLGATE_PG_POOL_SIZE: '3', TOLLGATE_PG_KEEPALIVE_TIMEOUT: '0', TOLLGATE_DB_UPDATE_FREQUENCY: '0.5', TOLLGATE_PG_RO_SSL: 'on' });
  assert.equal(set.pg_pool_size, 3);
  assert.equal(set.pg_keepalive_timeout, 0);
  assert.equal(set.db_update_frequency, 0.5);
  assert.equal(set.pg_ro_ssl, true);
});

test("Kong's deprecated opentelemetry_tracing names set the tracing settings", () => {
  const settings = load({ TOLLGATE_OPENTELEMETRY_TRACING: 'request, router', TOLLGATE_OPENTELEMETRY_TRACING_SAMPLING_RATE: '0.5' });
  assert.deepEqual(settings.tracing_instrumentations, ['request', 'router']);
  assert.equal(settings.tracing_sampling_rate, 0.5);
  const bad = problemsOf({ TOLLGATE_OPENTELEMETRY_TRACING: 'everything' });
  assert.match(bad[0], /TOLLGATE_OPENTELEMETRY_TRACING: invalid value for 'tracing_instrumentations'/);
});

test("Kong's nginx settings and injected directives (with Kong's defaults) are still accepted", () => {
  const directives: Record<string, string> = {
    nginx_admin_client_body_buffer_size: '10m',
    nginx_daemon: 'on',
    nginx_events_worker_connections: 'auto',
    nginx_http_charset: 'UTF-8',
    nginx_http_client_body_buffer_size: '8k',
    nginx_http_client_header_buffer_size: '1k',
    nginx_http_client_max_body_size: '0',
    nginx_http_keepalive_requests: '10000',
    nginx_http_large_client_header_buffers: '4 8k',
    nginx_http_lua_regex_cache_max_entries: '8192',
    nginx_http_lua_regex_match_limit: '100000',
    nginx_main_worker_rlimit_nofile: 'auto',
    nginx_user: 'kong kong',
  };
  const settings = load(Object.fromEntries(Object.entries(directives).map(([key, value]) => [env(key), value])));
  assert.equal(settings.ignoredNginxDirectives.length, Object.keys(directives).length);
  assert.equal(load({ TOLLGATE_NGINX_WORKER_PROCESSES: '2' }).worker_processes, 2);
});

test('vault_env_prefix and vaults apply to references in settings', () => {
  const withPrefix = load({ TOLLGATE_VAULT_ENV_PREFIX: 'SECRETS_', SECRETS_PG_PASSWORD: 'from-prefix', TOLLGATE_PG_PASSWORD: '{vault://env/pg-password}' });
  assert.equal(withPrefix.pg_password, 'from-prefix');
  const ownPrefix = load({
    TOLLGATE_VAULT_ENV_PREFIX: 'SECRETS_', OTHER_PG_PASSWORD: 'from-query', TOLLGATE_PG_PASSWORD: '{vault://env/pg-password?prefix=OTHER_}',
  });
  assert.equal(ownPrefix.pg_password, 'from-query', "the reference's own prefix wins");
  const off = problemsOf({ TOLLGATE_VAULTS: 'off', PG_PASSWORD: 'x', TOLLGATE_PG_PASSWORD: '{vault://env/pg-password}' });
  assert.match(off[0], /pg_password: failed to dereference '\{vault:\/\/env\/pg-password\}': vault 'env' is not enabled on this node \(add it to the vaults setting\)/);
  assert.equal(load({ TOLLGATE_VAULTS: 'env', PG_PASSWORD: 'plain', TOLLGATE_PG_PASSWORD: '{vault://env/pg-password}' }).pg_password, 'plain');
});
