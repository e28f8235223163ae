import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_CONF_PATHS, NON_SETTING_ENV_VARIABLES, findConfFile, loadSettings } from './load-settings.ts';
import type { LoadSettingsOptions } from './load-settings.ts';
import { SettingsError } from './settings-error.ts';
import type { Settings } from './settings-types.ts';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
/** Writes a conf file and returns its path. */
function confFile(text: string): string {
  const path = join(dir, `tollgate-${++fileCounter}.conf`);
  writeFileSync(path, text);
  return path;
}

/** Loads with only the given file text and environment, isolated from the machine's environment and /etc. */
function load(text = '', env: Record<string, string> = {}, options: Omit<LoadSettingsOptions, 'confPath' | 'env'> = {}): Settings {
  return loadSettings({ confPath: confFile(text), env, ...options });
}

/** The problems a load reports (fails the test when it succeeds). */
function problems(text: string, env: Record<string, string> = {}, options: Omit<LoadSettingsOptions, 'confPath' | 'env'> = {}): string[] {
  try {
    load(text, env, options);
  } catch (error) {
    assert.ok(error instanceof SettingsError, String(error));
    assert.equal(error.message, error.problems.join('\n'));
    return [...error.problems];
  }
  assert.fail('expected the settings to be refused');
}

/** The single problem an env-only load reports for `key = value`. */
function envProblem(key: string, value: string): string {
  const found = problems('', { [`TOLLGATE_${key.toUpperCase()}`]: value });
  assert.equal(found.length, 1, found.join('\n'));
  return found[0];
}

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n';

test('defaults', () => {
  const s = load();
  assert.equal(s.prefix, resolve(process.cwd(), 'servroot'));
  assert.equal(s.role, 'traditional');
  assert.equal(s.database, 'sqlite');
  assert.equal(s.declarative_config, null);
  assert.equal(s.declarative_config_string, null);
  assert.deepEqual(s.proxy_listen, ['0.0.0.0:8000 reuseport backlog=16384', '0.0.0.0:8443 http2 ssl reuseport backlog=16384']);
  assert.deepEqual(s.proxy_listeners.map((l) => [l.ip, l.port, l.ssl, l.http2]), [['0.0.0.0', 8000, false, false], ['0.0.0.0', 8443, true, true]]);
  assert.deepEqual(s.admin_listeners.map((l) => [l.ip, l.port, l.ssl]), [['127.0.0.1', 8001, false], ['127.0.0.1', 8444, true]]);
  assert.deepEqual(s.status_listeners.map((l) => [l.ip, l.port]), [['127.0.0.1', 8100]]);
  assert.deepEqual(s.cluster_listeners.map((l) => [l.ip, l.port]), [['0.0.0.0', 8005]]);
  assert.deepEqual(s.cluster_telemetry_listeners.map((l) => [l.ip, l.port]), [['0.0.0.0', 8006]]);
  assert.equal(s.proxy_ssl_enabled, true);
  assert.equal(s.admin_ssl_enabled, true);
  assert.equal(s.status_ssl_enabled, false);
  assert.deepEqual(s.cluster_control_plane, ['127.0.0.1:8005']);
  assert.equal(s.cluster_mtls, 'shared');
  assert.equal(s.cluster_cert, null);
  assert.equal(s.log_level, 'notice');
  assert.equal(s.proxy_access_log, 'logs/access.log');
  assert.equal(s.proxy_error_log, 'logs/error.log');
  assert.equal(s.admin_access_log, 'logs/admin_access.log');
  assert.equal(s.worker_processes, availableParallelism());
  assert.equal(s.router_flavor, 'traditional_compatible');
  assert.deepEqual(s.trusted_ips, []);
  assert.equal(s.real_ip_header, 'X-Real-IP');
  assert.equal(s.real_ip_recursive, false);
  assert.deepEqual(s.headers, ['server_tokens', 'latency_tokens', 'X-Tollgate-Request-Id']);
  assert.equal(s.headersDownstream.via, true);
  assert.equal(s.headersDownstream.upstreamStatus, false);
  assert.deepEqual(s.headersUpstream, { requestId: true });
  assert.equal(s.upstream_keepalive_pool_size, 512);
  assert.equal(s.upstream_keepalive_max_requests, 10000);
  assert.equal(s.upstream_keepalive_idle_timeout, 60);
  assert.equal(s.allow_debug_header, false);
  assert.equal(s.node_id, null);
  assert.equal(s.error_default_type, 'text/plain');
  assert.deepEqual(s.plugins, ['bundled']);
  assert.equal(s.mem_cache_size, '128m');
  assert.equal(s.memCacheSizeBytes, 128 * 1024 * 1024);
  assert.deepEqual(s.ssl_cert, []);
  assert.deepEqual(s.ssl_cert_key, []);
  assert.equal(s.ssl_protocols, 'TLSv1.2 TLSv1.3');
  assert.deepEqual(s.lua_ssl_trusted_certificate, ['system']);
  assert.deepEqual([s.pg_host, s.pg_port, s.pg_user, s.pg_password, s.pg_database, s.pg_ssl], ['127.0.0.1', 5432, 'tollgate', null, 'tollgate', false]);
});

test('the settings are deeply frozen', () => {
  const s = load();
  assert.ok(Object.isFrozen(s));
  assert.ok(Object.isFrozen(s.proxy_listeners));
  assert.ok(Object.isFrozen(s.proxy_listeners[0]));
  assert.ok(Object.isFrozen(s.headersDownstream));
  assert.ok(Object.isFrozen(s.trusted_ips));
});

test('values come from the file, comments stripped', () => {
  const path = confFile('log_level = debug  # verbose\nproxy_listen = 127.0.0.1:0\nheaders = off\nworker_processes = 3\n');
  const s = loadSettings({ confPath: path, env: {} });
  assert.equal(s.confPath, path);
  assert.equal(s.log_level, 'debug');
  assert.deepEqual(s.proxy_listeners.map((l) => [l.ip, l.port]), [['127.0.0.1', 0]]);
  assert.equal(s.headersDownstream.server, false);
  assert.equal(s.worker_processes, 3);
});

test('precedence: default < file < environment < overrides < prefix option', () => {
  const text = 'log_level = info\npg_user = from_file\npg_host = file-host\nprefix = /from/file\npg_database = file_db\n';
  const env = { TOLLGATE_PG_USER: 'from_env', TOLLGATE_PG_HOST: 'env-host', TOLLGATE_PREFIX: '/from/env' };
  const s = load(text, env, { overrides: { pg_host: 'override-host', prefix: '/from/override' }, prefix: '/from/option' });
  assert.equal(s.pg_port, 5432); // default
  assert.equal(s.pg_database, 'file_db'); // file
  assert.equal(s.log_level, 'info'); // file
  assert.equal(s.pg_user, 'from_env'); // env over file
  assert.equal(s.pg_host, 'override-host'); // override over env
  assert.equal(s.prefix, '/from/option'); // prefix option over everything
  assert.equal(load(text, env).prefix, '/from/env');
});

test('environment values are trimmed but not comment-stripped', () => {
  const s = load('', { TOLLGATE_PG_PASSWORD: '  se#cret # not a comment ', TOLLGATE_LOG_LEVEL: ' warn ' });
  assert.equal(s.pg_password, 'se#cret # not a comment');
  assert.equal(s.log_level, 'warn');
});

test('other environment variables are ignored, including non-setting TOLLGATE_ plumbing', () => {
  const env: Record<string, string> = { KONG_LOG_LEVEL: 'debug', PATH: '/bin', tollgate_log_level: 'debug' };
  for (const name of NON_SETTING_ENV_VARIABLES) env[name] = 'x';
  assert.equal(load('', env).log_level, 'notice');
});

test('an empty value unsets an optional key and empties a list', () => {
  const s = load('trusted_ips = 10.0.0.0/8\nnode_id = 2c0ea4c9-5a37-4ad2-a0d7-22c0b3c1e1a5', { TOLLGATE_TRUSTED_IPS: '', TOLLGATE_NODE_ID: '' });
  assert.deepEqual(s.trusted_ips, []);
  assert.equal(s.node_id, null);
});

test('the process environment is used when env is not given', () => {
  const before = process.env.TOLLGATE_PG_DATABASE;
  process.env.TOLLGATE_PG_DATABASE = 'from_process_env';
  try {
    assert.equal(loadSettings({ confPath: confFile('') }).pg_database, 'from_process_env');
  } finally {
    if (before === undefined) delete process.env.TOLLGATE_PG_DATABASE;
    else process.env.TOLLGATE_PG_DATABASE = before;
  }
});

test("plugins: a leading 'off' loads nothing, a later 'off' is skipped (Kong's 12-plugins-conf spec)", () => {
  assert.deepEqual(load('plugins = off\n').plugins, ['off']);
  assert.deepEqual(load('plugins = off, key-auth\n').plugins, ['off']);
  assert.deepEqual(load('plugins = key-auth, off, basic-auth\n').plugins, ['key-auth', 'basic-auth']);
});

test('parsed types: booleans, numbers, lists, uuids', () => {
  const s = load(
    'real_ip_recursive = on\nallow_debug_header = TRUE\npg_ssl = false\nupstream_keepalive_idle_timeout = 2.5\n' +
    'pg_port = 6543\ntrusted_ips = 10.0.0.0/8, ::1 ,unix:,\nplugins = bundled, my-plugin\nnode_id = 2C0EA4C9-5A37-4AD2-A0D7-22C0B3C1E1A5\n' +
    'mem_cache_size = 512k\nssl_protocols = TLSv1.3\nworker_processes = auto\nupstream_keepalive_pool_size = 0\n',
  );
  assert.equal(s.real_ip_recursive, true);
  assert.equal(s.allow_debug_header, true);
  assert.equal(s.pg_ssl, false);
  assert.equal(s.upstream_keepalive_idle_timeout, 2.5);
  assert.equal(s.pg_port, 6543);
  assert.deepEqual(s.trusted_ips, ['10.0.0.0/8', '::1', 'unix:']);
  assert.deepEqual(s.plugins, ['bundled', 'my-plugin']);
  assert.equal(s.node_id, '2c0ea4c9-5a37-4ad2-a0d7-22c0b3c1e1a5');
  assert.equal(s.memCacheSizeBytes, 512 * 1024);
  assert.equal(load('mem_cache_size = 2g\n').memCacheSizeBytes, 2 * 1024 ** 3, "Kong's g unit");
  assert.equal(s.ssl_protocols, 'TLSv1.3');
  assert.equal(s.worker_processes, availableParallelism());
  assert.equal(s.upstream_keepalive_pool_size, 0);
});

test('paths are resolved against the current directory', () => {
  const declarative = join(dir, 'kong.yml');
  writeFileSync(declarative, '_format_version: "3.0"\n');
  const relative = join('.', 'servroot-x');
  const s = load(`prefix = ${relative}\ndeclarative_config = ${declarative}`);
  assert.equal(s.prefix, resolve(process.cwd(), 'servroot-x'));
  assert.equal(s.declarative_config, declarative);
});

test('certificates: existing files become absolute paths, PEM text is kept, base64 PEM is decoded', () => {
  const certPath = join(dir, 'cert.pem');
  writeFileSync(certPath, PEM);
  const s = load('', {
    TOLLGATE_SSL_CERT: `${certPath}, ${Buffer.from(PEM).toString('base64')}`,
    TOLLGATE_SSL_CERT_KEY: `${KEY_PEM.replaceAll('\n', ' ')}, ${Buffer.from(KEY_PEM).toString('base64')}`,
    TOLLGATE_LUA_SSL_TRUSTED_CERTIFICATE: `system, ${certPath}`,
    TOLLGATE_CLUSTER_CA_CERT: PEM,
  });
  assert.deepEqual(s.ssl_cert, [certPath, PEM]);
  assert.deepEqual(s.ssl_cert_key, [KEY_PEM.replaceAll('\n', ' ').trim(), KEY_PEM]);
  assert.deepEqual(s.lua_ssl_trusted_certificate, ['system', certPath]);
  assert.equal(s.cluster_ca_cert, PEM.trim());
});

test('listener keys accept off', () => {
  const s = load('proxy_listen = off\nadmin_listen = off\nstatus_listen = off\ncluster_listen = off\ncluster_telemetry_listen = off');
  assert.deepEqual(s.proxy_listeners, []);
  assert.deepEqual(s.admin_listeners, []);
  assert.deepEqual(s.status_listeners, []);
  assert.deepEqual(s.cluster_listeners, []);
  assert.deepEqual(s.cluster_telemetry_listeners, []);
  assert.deepEqual(s.proxy_listen, ['off']);
  assert.equal(s.proxy_ssl_enabled, false);
});

test('an unknown key in the file names the file and line', () => {
  const path = confFile('log_level = info\nfoo = bar\n');
  assert.throws(() => loadSettings({ confPath: path, env: {} }), {
    name: 'SettingsError',
    message: `${path}:2: unknown configuration property 'foo'`,
  });
});

test('an unknown key close to a known one gets a suggestion', () => {
  const [problem] = problems('log_levle = info');
  assert.match(problem, /:1: unknown configuration property 'log_levle' \(did you mean 'log_level'\?\)$/);
  const [workers] = problems('worker_proceses = 2');
  assert.match(workers, /unknown configuration property 'worker_proceses' \(did you mean 'worker_processes'\?\)$/);
});

test("Kong's nginx_worker_processes sets worker_processes, from the file and from the environment", () => {
  assert.equal(load('nginx_worker_processes = 3').worker_processes, 3);
  assert.equal(load('', { TOLLGATE_NGINX_WORKER_PROCESSES: '2' }).worker_processes, 2);
  assert.equal(load('nginx_worker_processes = 3', { TOLLGATE_NGINX_WORKER_PROCESSES: '2' }).worker_processes, 2, 'the environment wins, as for any setting');
  const [bad] = problems('', { TOLLGATE_NGINX_WORKER_PROCESSES: 'lots' });
  assert.match(bad, /^TOLLGATE_NGINX_WORKER_PROCESSES: /);
});

test("Kong's injected nginx directives are accepted and listed as ignored; other nginx_ names are unknown", () => {
  const settings = load('nginx_http_client_body_buffer_size = 8k\nnginx_proxy_proxy_buffer_size = 16k\nnginx_user = kong', { TOLLGATE_NGINX_MAIN_WORKER_RLIMIT_NOFILE: '65536' });
  assert.deepEqual(settings.ignoredNginxDirectives.map((d) => d.replace(/^.*:\d+: /, '')), [
    'nginx_http_client_body_buffer_size', 'nginx_proxy_proxy_buffer_size', 'nginx_user', 'TOLLGATE_NGINX_MAIN_WORKER_RLIMIT_NOFILE: nginx_main_worker_rlimit_nofile',
  ]);
  // A setting Tollgate defines under such a name is read as that setting.
  assert.deepEqual(load('nginx_admin_client_max_body_size = 20m').ignoredNginxDirectives, []);
  assert.match(problems('nginx_bogus_thing = 1')[0], /unknown configuration property 'nginx_bogus_thing'/);
});

test('an unknown TOLLGATE_ variable stops the start', () => {
  assert.deepEqual(problems('', { TOLLGATE_FOO: 'bar' }), [`TOLLGATE_FOO: unknown configuration property 'foo'`]);
});

test('an unknown override stops the start', () => {
  assert.deepEqual(problems('', {}, { overrides: { nope: 'x' } }), [`override: unknown configuration property 'nope'`]);
  assert.deepEqual(problems('', {}, { overrides: { rolle: 'x' } }), [`override: unknown configuration property 'rolle' (did you mean 'role'?)`]);
});

test('a missing -c file is an error; a directory cannot be read', () => {
  const missing = join(dir, 'missing.conf');
  assert.throws(() => loadSettings({ confPath: missing, env: {} }), { message: `no file at: ${missing} (give an existing settings file with -c/--conf)` });
  const directory = join(dir, 'a-directory');
  mkdirSync(directory);
  assert.throws(() => loadSettings({ confPath: directory, env: {} }), { message: `${directory}: cannot read the configuration file (EISDIR)` });
});

test('syntax errors name the file and line', () => {
  const path = confFile('log_level = info\nthis line has no equals sign\n');
  assert.throws(() => loadSettings({ confPath: path, env: {} }), {
    message: `${path}:2: expected 'key = value', got 'this line has no equals sign'`,
  });
});

test('a bad value in the file names file:line, key, value and reason', () => {
  const path = confFile('\n\nworker_processes = x\n');
  assert.throws(() => loadSettings({ confPath: path, env: {} }), {
    message: `${path}:3: invalid value for 'worker_processes' ('x'): must be 'auto' or a positive integer`,
  });
});

test('every problem is reported at once, in order', () => {
  const path = confFile('bogus = 1\nlog_level = loud\n');
  const error = (() => {
    try {
      loadSettings({ confPath: path, env: { TOLLGATE_PG_PORT: '0' } });
    } catch (e) {
      return e as SettingsError;
    }
    assert.fail('expected a SettingsError');
  })();
  assert.deepEqual(error.problems, [
    `${path}:1: unknown configuration property 'bogus'`,
    `${path}:2: invalid value for 'log_level' ('loud'): must be 'debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert' or 'emerg'`,
    `TOLLGATE_PG_PORT: invalid value for 'pg_port' ('0'): must be an integer between 1 and 65535`,
  ]);
});

test('validation messages, key by key', () => {
  const missingFile = resolve(process.cwd(), 'no-such-file.pem');
  const cases: [string, string, string][] = [
    ['role', 'edge', `must be 'traditional', 'control_plane' or 'data_plane'`],
    ['database', 'cassandra', `Cassandra is not supported (Kong dropped it in 3.4); must be 'off', 'sqlite' or 'postgres'`],
    ['database', 'mysql', `must be 'off', 'sqlite' or 'postgres'`],
    ['declarative_config', '/no/such/kong.yml', `no such file: /no/such/kong.yml`],
    ['declarative_config', dir, `not a regular file: ${dir}`],
    ['proxy_listen', '0.0.0.0:8000 tls', `entry '0.0.0.0:8000 tls': unknown flag 'tls' (accepted: ssl, http2, reuseport, backlog=N, proxy_protocol, deferred, bind)`],
    ['admin_listen', '127.0.0.1', `entry '127.0.0.1': missing ':<port>' (e.g. 0.0.0.0:8000)`],
    ['status_listen', '127.0.0.1:99999', `entry '127.0.0.1:99999': port '99999' must be an integer between 0 and 65535`],
    ['cluster_listen', '', `must not be empty (expected 'off' or a comma-separated list of '<ip>:<port> [ssl] [http2] [reuseport] [backlog=N] [proxy_protocol] [deferred] [bind]'; 'off' disables it)`],
    ['cluster_telemetry_listen', 'off, 0.0.0.0:1', `entry 'off': 'off' must be the only entry`],
    ['cluster_control_plane', 'cp.example.com', `must be '<host>:<port>' with a port between 1 and 65535, e.g. cp.example.com:8005`],
    ['cluster_control_plane', 'cp:0', `must be '<host>:<port>' with a port between 1 and 65535, e.g. cp.example.com:8005`],
    ['cluster_mtls', 'pki_check_cn', `'pki_check_cn' is a Kong Enterprise mode; must be 'shared' or 'pki'`],
    ['cluster_mtls', 'none', `must be 'shared' or 'pki'`],
    ['cluster_cert', 'no-such-file.pem', `no file at ${missingFile}, and not PEM text or base64-encoded PEM`],
    ['cluster_ca_cert', 'no-such-file.pem', `no file at ${missingFile}, and not PEM text or base64-encoded PEM`],
    ['log_level', 'verbose', `must be 'debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert' or 'emerg'`],
    ['proxy_access_log', '', `must not be empty`],
    ['proxy_error_log', '', `must not be empty`],
    ['admin_access_log', '', `must not be empty`],
    ['prefix', '', `must not be empty`],
    ['worker_processes', 'x', `must be 'auto' or a positive integer`],
    ['worker_processes', '0', `must be 'auto' or a positive integer`],
    ['worker_processes', '-2', `must be 'auto' or a positive integer`],
    ['worker_processes', '1.5', `must be 'auto' or a positive integer`],
    ['router_flavor', 'fast', `must be 'traditional_compatible', 'traditional' or 'expressions'`],
    ['trusted_ips', '10.0.0.0/8, 10.0.0.0/33', `entry '10.0.0.0/33' is not an IPv4 or IPv6 address, a CIDR block or 'unix:'`],
    ['trusted_ips', 'localhost', `entry 'localhost' is not an IPv4 or IPv6 address, a CIDR block or 'unix:'`],
    ['real_ip_header', 'X Real IP', `must be a header name or 'proxy_protocol'`],
    ['real_ip_header', '', `must not be empty`],
    ['real_ip_recursive', 'yes', `must be 'on' or 'off'`],
    ['headers', 'Server, X-Powered-By', `unknown header 'X-Powered-By' (accepted: off, server_tokens, latency_tokens, Server, Via, X-Tollgate-Proxy-Latency, X-Tollgate-Response-Latency, X-Tollgate-Upstream-Latency, X-Tollgate-Admin-Latency, X-Tollgate-Upstream-Status, X-Tollgate-Request-Id; X-Kong-* spellings also work)`],
    ['port_maps', '80:8000, 80', `invalid port mapping '80' (expected <host port>:<listener port>, each 1-65535, e.g. 80:8000)`],
    ['port_maps', '0:8000', `invalid port mapping '0:8000' (expected <host port>:<listener port>, each 1-65535, e.g. 80:8000)`],
    ['headers_upstream', 'Via', `unknown header 'Via' (accepted: off, X-Tollgate-Request-Id or X-Kong-Request-Id)`],
    ['upstream_keepalive_pool_size', '-1', `must be an integer, 0 or greater`],
    ['upstream_keepalive_pool_size', 'many', `must be an integer, 0 or greater`],
    ['upstream_keepalive_max_requests', '1.5', `must be an integer, 0 or greater`],
    ['upstream_keepalive_idle_timeout', '-1', `must be a number, 0 or greater`],
    ['upstream_keepalive_idle_timeout', '1e3', `must be a number, 0 or greater`],
    ['allow_debug_header', 'maybe', `must be 'on' or 'off'`],
    ['node_id', 'node-1', `must be a valid UUID`],
    ['error_default_type', 'text/csv', `must be 'text/plain', 'application/json', 'application/xml' or 'text/html'`],
    ['plugins', 'bundled, Bad Plugin', `entry 'Bad Plugin' is not a plugin name (lower-case letters, digits, '-' and '_')`],
    ['mem_cache_size', '1t', `must be a size such as '128m', '512k', '1g' or a number of bytes, greater than 0`],
    ['mem_cache_size', '0', `must be a size such as '128m', '512k', '1g' or a number of bytes, greater than 0`],
    ['ssl_cert', 'no-such-file.pem', `no file at ${missingFile}, and not PEM text or base64-encoded PEM`],
    ['admin_ssl_cert', 'no-such-file.pem', `no file at ${missingFile}, and not PEM text or base64-encoded PEM`],
    ['ssl_protocols', 'SSLv3 TLSv1.2', `unknown protocol 'SSLv3' (accepted: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, separated by spaces)`],
    ['ssl_protocols', '', `must list at least one of 'TLSv1', 'TLSv1.1', 'TLSv1.2' or 'TLSv1.3', separated by spaces`],
    ['lua_ssl_trusted_certificate', 'system, no-such-file.pem', `no file at ${missingFile}, and not PEM text or base64-encoded PEM`],
    ['pg_host', '', `must not be empty`],
    ['pg_port', '70000', `must be an integer between 1 and 65535`],
    ['pg_user', '', `must not be empty`],
    ['pg_database', '', `must not be empty`],
    ['pg_ssl', 'required', `must be 'on' or 'off'`],
  ];
  for (const [key, value, reason] of cases) {
    const variable = `TOLLGATE_${key.toUpperCase()}`;
    assert.equal(envProblem(key, value), `${variable}: invalid value for '${key}' ('${value}'): ${reason}`, `${key} = ${value}`);
  }
});

test('secret values are hidden in messages', () => {
  assert.equal(
    envProblem('ssl_cert_key', 'hunter2'),
    `TOLLGATE_SSL_CERT_KEY: invalid value for 'ssl_cert_key' ('******'): no file at ${resolve(process.cwd(), 'hunter2')}, and not PEM text or base64-encoded PEM`,
  );
  assert.match(envProblem('cluster_cert_key', 'hunter2'), /^TOLLGATE_CLUSTER_CERT_KEY: invalid value for 'cluster_cert_key' \('\*\*\*\*\*\*'\)/);
  assert.match(envProblem('admin_ssl_cert_key', 'hunter2'), /\('\*\*\*\*\*\*'\)/);
});

test('long values are shortened in messages', () => {
  const long = `${'1.2.3.4:80, '.repeat(20)}nope`;
  const problem = envProblem('proxy_listen', long);
  assert.ok(problem.startsWith(`TOLLGATE_PROXY_LISTEN: invalid value for 'proxy_listen' ('${long.slice(0, 80)}...'): entry 'nope'`), problem);
});

test('hybrid roles need the cluster certificate and key', () => {
  assert.deepEqual(problems('role = data_plane'), [
    `built-in default: invalid value for 'cluster_cert' (''): a cluster certificate is required when role = 'data_plane' (${join(dir, `tollgate-${fileCounter}.conf`)}:1)`,
    `built-in default: invalid value for 'cluster_cert_key' (''): the cluster certificate's key is required when role = 'data_plane' (${join(dir, `tollgate-${fileCounter}.conf`)}:1)`,
  ]);
  const hybrid = { TOLLGATE_CLUSTER_CERT: PEM, TOLLGATE_CLUSTER_CERT_KEY: KEY_PEM };
  assert.equal(load('', { ...hybrid, TOLLGATE_ROLE: 'data_plane' }).role, 'data_plane');
  assert.equal(load('', { ...hybrid, TOLLGATE_ROLE: 'control_plane' }).role, 'control_plane');
});

test('control plane rules: Admin API, cluster listener, CA in pki mode', () => {
  const env = { TOLLGATE_ROLE: 'control_plane', TOLLGATE_CLUSTER_CERT: PEM, TOLLGATE_CLUSTER_CERT_KEY: KEY_PEM };
  assert.deepEqual(problems('admin_listen = off', env).map((p) => p.replace(/^.*?:\d+: /, '')), [
    `invalid value for 'admin_listen' ('off'): the Admin API must listen when role = 'control_plane' (TOLLGATE_ROLE)`,
  ]);
  assert.deepEqual(problems('', { ...env, TOLLGATE_CLUSTER_LISTEN: 'off' }), [
    `TOLLGATE_CLUSTER_LISTEN: invalid value for 'cluster_listen' ('off'): data planes need an address to connect to when role = 'control_plane' (TOLLGATE_ROLE)`,
  ]);
  assert.deepEqual(problems('', { ...env, TOLLGATE_CLUSTER_MTLS: 'pki' }), [
    `built-in default: invalid value for 'cluster_ca_cert' (''): required when cluster_mtls = 'pki' (TOLLGATE_CLUSTER_MTLS) and role = 'control_plane' (TOLLGATE_ROLE): it verifies data plane certificates`,
  ]);
  assert.equal(load('', { ...env, TOLLGATE_CLUSTER_MTLS: 'pki', TOLLGATE_CLUSTER_CA_CERT: PEM }).cluster_mtls, 'pki');
});

test('hybrid rules: a control plane needs a database; OCSP and name checks need pki', () => {
  const env = { TOLLGATE_ROLE: 'control_plane', TOLLGATE_CLUSTER_CERT: PEM, TOLLGATE_CLUSTER_CERT_KEY: KEY_PEM };
  assert.deepEqual(problems('', { ...env, TOLLGATE_DATABASE: 'off' }), [
    `TOLLGATE_DATABASE: invalid value for 'database' ('off'): a control plane keeps the configuration it pushes in a database; set database = sqlite or postgres when role = 'control_plane' (TOLLGATE_ROLE)`,
  ]);
  assert.deepEqual(problems('', { ...env, TOLLGATE_CLUSTER_OCSP: 'on' }), [
    `TOLLGATE_CLUSTER_OCSP: invalid value for 'cluster_ocsp' ('on'): revocation checks need certificates issued by a CA; set cluster_mtls = pki or cluster_ocsp = off`,
  ]);
  assert.deepEqual(problems('', { ...env, TOLLGATE_CLUSTER_ALLOWED_COMMON_NAMES: 'dp1' }), [
    `TOLLGATE_CLUSTER_ALLOWED_COMMON_NAMES: invalid value for 'cluster_allowed_common_names' ('dp1'): names are only checked when cluster_mtls = pki; in shared mode every node holds the same certificate`,
  ]);
  const dp = { TOLLGATE_ROLE: 'data_plane', TOLLGATE_CLUSTER_CERT: PEM, TOLLGATE_CLUSTER_CERT_KEY: KEY_PEM, TOLLGATE_CLUSTER_MTLS: 'pki' };
  assert.deepEqual(problems('', dp), [
    `built-in default: invalid value for 'cluster_ca_cert' (''): required when cluster_mtls = 'pki' (TOLLGATE_CLUSTER_MTLS) and role = 'data_plane' (TOLLGATE_ROLE): it verifies the control plane certificate`,
  ]);
  const s = load('', { ...dp, TOLLGATE_CLUSTER_CA_CERT: PEM, TOLLGATE_CLUSTER_CONTROL_PLANE: 'cp1:8005, cp2:8005', TOLLGATE_CLUSTER_DP_LABELS: 'zone:eu-1,tier:edge' });
  assert.deepEqual(s.cluster_control_plane, ['cp1:8005', 'cp2:8005']);
  assert.deepEqual(s.cluster_dp_labels, ['zone:eu-1', 'tier:edge']);
  assert.match(problems('', { ...dp, TOLLGATE_CLUSTER_CA_CERT: PEM, TOLLGATE_CLUSTER_DP_LABELS: 'nocolon' })[0], /label 'nocolon' must be 'key:value'/);
  assert.match(problems('', { ...dp, TOLLGATE_CLUSTER_CA_CERT: PEM, TOLLGATE_CLUSTER_MAX_PAYLOAD: '1000' })[0], /cluster_max_payload/);
});

test('a data plane must have a proxy listener', () => {
  const env = { TOLLGATE_ROLE: 'data_plane', TOLLGATE_CLUSTER_CERT: PEM, TOLLGATE_CLUSTER_CERT_KEY: KEY_PEM, TOLLGATE_PROXY_LISTEN: 'off' };
  assert.deepEqual(problems('', env), [
    `TOLLGATE_PROXY_LISTEN: invalid value for 'proxy_listen' ('off'): a data plane must proxy; set at least one address when role = 'data_plane' (TOLLGATE_ROLE)`,
  ]);
});

test('a data plane keeps no database', () => {
  const env = { TOLLGATE_ROLE: 'data_plane', TOLLGATE_CLUSTER_CERT: PEM, TOLLGATE_CLUSTER_CERT_KEY: KEY_PEM, TOLLGATE_DATABASE: 'postgres' };
  assert.deepEqual(problems('', env), [
    `TOLLGATE_DATABASE: invalid value for 'database' ('postgres'): a data plane keeps its configuration in memory; set database = off when role = 'data_plane' (TOLLGATE_ROLE)`,
  ]);
});

test('database defaults to sqlite, or off with a declarative file or on a data plane', () => {
  assert.equal(load('').database, 'sqlite');
  assert.equal(load('', { TOLLGATE_DECLARATIVE_CONFIG_STRING: '_format_version: "3.0"' }).database, 'off');
  assert.equal(load('', { TOLLGATE_ROLE: 'data_plane', TOLLGATE_CLUSTER_CERT: PEM, TOLLGATE_CLUSTER_CERT_KEY: KEY_PEM }).database, 'off');
});

test('telemetry follows cluster_control_plane unless cluster_telemetry_endpoint is set', () => {
  const dp = { TOLLGATE_ROLE: 'data_plane', TOLLGATE_CLUSTER_CERT: PEM, TOLLGATE_CLUSTER_CERT_KEY: KEY_PEM };
  assert.deepEqual(load('', dp).cluster_telemetry_endpoint, ['127.0.0.1:8006']);
  assert.deepEqual(load('', { ...dp, TOLLGATE_CLUSTER_CONTROL_PLANE: 'cp1.example.com:9005,[::1]:8005' }).cluster_telemetry_endpoint, ['cp1.example.com:8006', '[::1]:8006']);
  assert.deepEqual(load('', { ...dp, TOLLGATE_CLUSTER_CONTROL_PLANE: 'cp1:8005', TOLLGATE_CLUSTER_TELEMETRY_ENDPOINT: 'tm:9006' }).cluster_telemetry_endpoint, ['tm:9006']);
});

test('a data plane has no Admin API unless admin_listen is set', () => {
  const dp = { TOLLGATE_ROLE: 'data_plane', TOLLGATE_CLUSTER_CERT: PEM, TOLLGATE_CLUSTER_CERT_KEY: KEY_PEM };
  assert.deepEqual(load('', dp).admin_listeners, []);
  assert.deepEqual(load('', { ...dp, TOLLGATE_ADMIN_LISTEN: '127.0.0.1:9001' }).admin_listeners.map((l) => l.port), [9001]);
  assert.equal(load('').admin_listeners.length, 2, 'other roles keep the default');
});

test('a declarative file with a database is refused, naming the fix', () => {
  const found = problems('', { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_DECLARATIVE_CONFIG_STRING: '_format_version: "3.0"' });
  assert.equal(found.length, 1);
  assert.match(found[0], /'declarative_config_string'.*is only read when database = off, but database = 'sqlite' \(TOLLGATE_DATABASE\); set database = off/);
  assert.equal(load('', { TOLLGATE_DATABASE: 'postgres' }).database, 'postgres');
});

test('certificates and keys come in pairs', () => {
  assert.deepEqual(problems('', { TOLLGATE_SSL_CERT: PEM }), [
    `built-in default: invalid value for 'ssl_cert_key' (''): must be set when ssl_cert is set (one key per certificate)`,
  ]);
  assert.deepEqual(problems('', { TOLLGATE_ADMIN_SSL_CERT_KEY: KEY_PEM }), [
    `built-in default: invalid value for 'admin_ssl_cert' (''): must be set when admin_ssl_cert_key is set (one certificate per key)`,
  ]);
  assert.deepEqual(problems('', { TOLLGATE_SSL_CERT: `${PEM},${PEM}`, TOLLGATE_SSL_CERT_KEY: KEY_PEM }), [
    `TOLLGATE_SSL_CERT_KEY: invalid value for 'ssl_cert_key' ('******'): ssl_cert has 2 entries but ssl_cert_key has 1; give one key per certificate, in the same order`,
  ]);
});

test('real_ip_header = proxy_protocol needs a proxy_protocol listener', () => {
  assert.deepEqual(problems('', { TOLLGATE_REAL_IP_HEADER: 'proxy_protocol' }), [
    `TOLLGATE_REAL_IP_HEADER: invalid value for 'real_ip_header' ('proxy_protocol'): needs at least one proxy_listen entry with the 'proxy_protocol' flag (proxy_listen from built-in default)`,
  ]);
  const s = load('', { TOLLGATE_REAL_IP_HEADER: 'proxy_protocol', TOLLGATE_PROXY_LISTEN: '0.0.0.0:8000 proxy_protocol' });
  assert.equal(s.real_ip_header, 'proxy_protocol');
});

test('findConfFile: the given path, else the first existing candidate, else none', () => {
  const existing = confFile('');
  assert.equal(findConfFile('relative.conf', [existing]), resolve(process.cwd(), 'relative.conf'));
  assert.equal(findConfFile(undefined, [join(dir, 'absent.conf'), existing]), existing);
  assert.equal(findConfFile(undefined, [join(dir, 'absent.conf')]), null);
  assert.deepEqual(DEFAULT_CONF_PATHS, ['/etc/tollgate/tollgate.conf']);
});

test('without -c, the default location decides which file is read', () => {
  assert.equal(loadSettings({ env: {} }).confPath, findConfFile(undefined));
});

test('error_template_* files must exist and hold at most two %s placeholders', () => {
  const good = join(dir, 'good.html');
  writeFileSync(good, '<p>%s (100%%)</p><p>%s</p>');
  assert.equal(load(`error_template_html = ${good}`).error_template_html, good);
  const bad = join(dir, 'bad.txt');
  writeFileSync(bad, '%s %s %s');
  assert.deepEqual(problems(`error_template_plain = ${bad}`).map((p) => p.includes(`${bad} has 3 '%s' placeholders; a template takes at most 2`)), [true]);
  assert.equal(problems(`error_template_json = ${join(dir, 'absent.json')}`).length, 1);
});
