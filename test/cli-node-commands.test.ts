/**
 * Kong's node commands through `bin/tollgate`: check, health, drain (and `POST /status/ready`), prepare,
 * vault get and quit, against a real node.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('check: a valid settings file, and a bad one with its line and reason', async () => {
  const good = join(dir, 'good.conf');
  writeFileSync(good, 'database = off\nlog_level = info\n');
  const ok = await runTollgate(['check', good]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`configuration at ${good} is valid`));
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, 'database = off\nlog_level = loud\n');
  const refused = await runTollgate(['check', bad]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`${bad}:2: .*log_level`));
});

test("bare tollgate prints usage on stderr; roar, version -a; an unknown command is 'No such command'", async () => {
  const bare = await runTollgate([]);
  assert.equal(bare.code, 1);
  assert.match(bare.stderr, /tollgate COMMAND \[OPTIONS\]/);
  const roar = await runTollgate(['roar']);
  assert.equal(roar.code, 0);
  assert.match(roar.stdout, /Monolith destroyer\./);
  const unknown = await runTollgate(['foobar']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No such command: foobar/);
  const all = await runTollgate(['version', '-a']);
  assert.equal(all.code, 0);
  assert.match(all.stdout, /^Tollgate: \S+\nKong compatibility: 3\.9\.1\nNode\.js: v/);
});

test('COMMAND --help prints help on stderr and does nothing else (restart --help starts no node)', async () => {
  const prefix = join(dir, 'help-prefix');
  for (const command of ['restart', 'start', 'quit', 'health', 'prepare', 'drain']) {
    const res = await runTollgate([command, '--help', '-p', prefix], { TOLLGATE_DATABASE: 'off' });
    assert.equal(res.code, 1, `${command} --help`);
    assert.notEqual(res.stderr, '', `${command} --help`);
  }
  assert.equal(existsSync(prefix), false);
  const vault = await runTollgate(['vault', '--help'], { TOLLGATE_DATABASE: 'off' });
  assert.equal(vault.code, 1);
  assert.match(vault.stderr, /Usage: tollgate vault COMMAND \[OPTIONS\]/);
  assert.equal(vault.stdout, '');
});

test("a settings file that is not there: 'no file at:' as given, for check, prepare and start", async () => {
  for (const args of [['check', 'inexistent.conf'], ['prepare', '--conf', 'foobar.conf'], ['start', '--conf', 'foobar.conf']]) {
    const res = await runTollgate(args, {}, dir);
    assert.equal(res.code, 1, args.join(' '));
    assert.match(res.stderr, new RegExp(`Error: no file at: ${args.at(-1)!.replace('.', '\\.')}`), args.join(' '));
  }
});

test("config parse and db_import report a bad declarative file as 'Failed parsing:' with every error", async () => {
  const file = join(dir, 'bad.yml');
  writeFileSync(file, '_format_version: "1.1"\nservices:\n- name: foobar\n  host: []\n  port: -23\n  protocol: https\n  _comment: my comment\n  routes: 123\n');
  const prefix = join(dir, 'import-prefix');
  for (const args of [['config', 'parse', file], ['config', 'db_import', file]]) {
    const res = await runTollgate(args, { TOLLGATE_DATABASE: args[1] === 'parse' ? 'off' : 'sqlite', TOLLGATE_PREFIX: prefix });
    assert.equal(res.code, 1, args.join(' '));
    assert.match(res.stderr, /Error: Failed parsing:/, args.join(' '));
    assert.match(res.stderr, /in 'host': expected a string/);
    assert.match(res.stderr, /in 'port': value should be between 0 and 65535/);
    assert.match(res.stderr, /in 'routes': expected an array/);
  }
});

test("start: a setting's vault reference that cannot be read is 'failed to dereference', reported once", async () => {
  const res = await runTollgate(['start', '-p', join(dir, 'deref-prefix')], {
    TOLLGATE_DATABASE: 'off', TOLLGATE_REAL_IP_HEADER: '{vault://env/ipheader}', TOLLGATE_PROXY_LISTEN: 'off', TOLLGATE_ADMIN_LISTEN: 'off', TOLLGATE_STATUS_LISTEN: 'off',
  });
  assert.equal(res.code, 1);
  assert.match(res.stderr, /Error: .*failed to dereference '\{vault:\/\/env\/ipheader\}'/);
  assert.doesNotMatch(res.stderr, /invalid value/);
});

test('stop in a prefix that does not exist: no such prefix', async () => {
  const res = await runTollgate(['stop', '-p', join(dir, 'inexistent')], { TOLLGATE_DATABASE: 'off' });
  assert.equal(res.code, 1);
  assert.match(res.stderr, /Error: no such prefix: .*\/inexistent/);
});

test("start warns in Kong's words about deprecated settings that were given", async () => {
  const node = await startTollgate({ env: { TOLLGATE_WORKER_CONSISTENCY: 'strict', TOLLGATE_OPENTELEMETRY_TRACING: 'off' } });
  try {
    await waitUntil(() => /opentelemetry_tracing/.test(node.output()), 10_000, 'the deprecation warnings');
    const out = node.output();
    assert.match(out, /the configuration value 'strict' for configuration property 'worker_consistency' is deprecated/);
    assert.match(out, /the 'worker_consistency' configuration property is deprecated/);
    assert.match(out, /the 'opentelemetry_tracing' configuration property is deprecated, use 'tracing_instrumentations' instead/);
  } finally {
    await node.stop();
  }
});

test('start with declarative_config_string (JSON) serves it, and /status carries its hash', async () => {
  const up = await startUpstream('from-string');
  const config = JSON.stringify({
    _format_version: '1.1',
    services: [{ name: 'my-service', url: `http://127.0.0.1:${up.port}`, routes: [{ name: 'example-route', hosts: ['example.test'] }] }],
  });
  const node = await startTollgate({ env: { TOLLGATE_DECLARATIVE_CONFIG_STRING: config }, waitFor: 'ready' });
  try {
    // fetch cannot set Host: ask through node:http.
    const status = await new Promise<number>((resolveStatus, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: node.proxyPort, path: '/', headers: { host: 'example.test' } }, (res) => {
        res.resume();
        resolveStatus(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    const body = (await (await fetch(`${node.admin}/status`)).json()) as { configuration_hash: string };
    assert.match(body.configuration_hash, /^[0-9a-f]{32}$/);
    assert.notEqual(body.configuration_hash, '0'.repeat(32));
  } finally {
    await node.stop();
    await up.close();
  }
});

test('prepare makes the prefix, private to its user', async () => {
  const prefix = join(dir, 'prepared');
  const res = await runTollgate(['prepare', '-p', prefix], { TOLLGATE_DATABASE: 'off' });
  assert.equal(res.code, 0, res.stderr);
  assert.ok(existsSync(join(prefix, 'logs')));
  assert.equal(statSync(prefix).mode & 0o777, 0o700);
});

test('vault get resolves env references, long and short forms; a missing variable is an error', async () => {
  const env = { TOLLGATE_DATABASE: 'off', MY_API_SECRET: 's3cr3t' };
  const long = await runTollgate(['vault', 'get', '{vault://env/my-api-secret}'], env);
  assert.equal(long.code, 0, long.stderr);
  assert.equal(long.stdout, 's3cr3t\n');
  const short = await runTollgate(['vault', 'get', 'env/my-api-secret'], env);
  assert.equal(short.stdout, 's3cr3t\n');
  const missing = await runTollgate(['vault', 'get', 'env/not-set-anywhere'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not-set-anywhere|NOT_SET_ANYWHERE/);
  assert.match(missing.stderr, /could not get value from external vault/);
  const none = await runTollgate(['vault', 'get'], env);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Error: the 'get' command needs a <reference> argument/);
  const noVault = await runTollgate(['vault', 'get', 'none/foo'], env);
  assert.equal(noVault.code, 1);
  assert.match(noVault.stderr, /Error: could not find vault \(none\)/);
  assert.equal(noVault.stdout, '');
});

test('vault get follows vault_env_prefix, and on a DB-less node the vault entities of its declarative file', async () => {
  const prefixed = await runTollgate(['vault', 'get', 'env/test'], { TOLLGATE_DATABASE: 'off', TOLLGATE_VAULT_ENV_PREFIX: 'SECRETS_', SECRETS_TEST: 'testvalue-with-config' });
  assert.equal(prefixed.stderr, '');
  assert.equal(prefixed.stdout, 'testvalue-with-config\n');
  const dashed = await runTollgate(['vault', 'get', 'env/test-too'], { TOLLGATE_DATABASE: 'off', TOLLGATE_VAULT_ENV_PREFIX: 'SECRETS-AGAIN-', SECRETS_AGAIN_TEST_TOO: 'again' });
  assert.equal(dashed.stdout, 'again\n');
  const file = join(dir, 'vaults.yml');
  writeFileSync(file, '_format_version: "3.0"\nvaults:\n- config:\n    prefix: SECRETS_\n  name: env\n  prefix: test-env\n');
  const env = { TOLLGATE_DATABASE: 'off', TOLLGATE_DECLARATIVE_CONFIG: file, SECRETS_TEST: 'from-entity' };
  const entity = await runTollgate(['vault', 'get', 'test-env/test'], env);
  assert.equal(entity.stderr, '');
  assert.equal(entity.stdout, 'from-entity\n');
  const missingKey = await runTollgate(['vault', 'get', 'test-env/nonexist'], env);
  assert.equal(missingKey.code, 1);
  assert.match(missingKey.stderr, /could not get value from external vault/);
  const missingVault = await runTollgate(['vault', 'get', 'nonexist/nonexist'], env);
  assert.equal(missingVault.code, 1);
  assert.match(missingVault.stderr, /could not find vault \(nonexist\)/);
});

test('drain without a status listener says so on stdout and is no failure', async () => {
  const res = await runTollgate(['drain'], { TOLLGATE_DATABASE: 'off', TOLLGATE_STATUS_LISTEN: 'off' });
  assert.equal(res.code, 0);
  assert.equal(res.stderr, '');
  assert.equal(res.stdout, 'No status listeners found in configuration.\n');
});

describe('a running node: health, drain, quit', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('cli-up');
    node = await startTollgate({
      config: `_format_version: "3.0"\nservices:\n- name: s\n  url: http://127.0.0.1:${up.port}\n  routes:\n  - paths: [/]\n`,
      keepPrefix: true,
    });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    rmSync(node.prefix, { recursive: true, force: true });
  });

  test('health: 0 while the node runs', async () => {
    const res = await runTollgate(['health', '-p', node.prefix], { TOLLGATE_DATABASE: 'off' });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /running/);
    assert.match(res.stdout, new RegExp(`healthy at ${node.prefix}`));
  });

  test('POST /status/ready refuses anything but draining', async () => {
    const bad = await fetch(`${node.status}/status/ready`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"status":"sleeping"}' });
    assert.equal(bad.status, 400);
    assert.equal((await fetch(`${node.status}/status/ready`)).status, 200);
  });

  test('drain -p PREFIX reaches the node running there: /status/ready answers 503 draining, the proxy still serves', async () => {
    // Only the prefix is given: the status listener is the running node's, not this command's default.
    const res = await runTollgate(['drain', '-p', node.prefix], { TOLLGATE_DATABASE: 'off' });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '');
    assert.equal(res.stdout, "Tollgate's status successfully changed to 'draining'\n");
    const ready = await fetch(`${node.status}/status/ready`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { message: 'draining' });
    assert.equal((await fetch(`${node.proxy}/`)).status, 200);
  });

  test('a second start in the same prefix is refused: already running', async () => {
    const res = await runTollgate(['start', '-p', node.prefix], { TOLLGATE_DATABASE: 'off', TOLLGATE_STATUS_LISTEN: 'off', TOLLGATE_ADMIN_LISTEN: 'off', TOLLGATE_PROXY_LISTEN: 'off' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`Tollgate is already running in ${node.prefix}`));
    assert.equal((await fetch(`${node.proxy}/`)).status, 200);
  });

  test('quit --wait 1 --timeout 15 stops it after the wait; health then fails', async () => {
    const bad = await runTollgate(['quit', '--timeout', 'soon', '-p', node.prefix], { TOLLGATE_DATABASE: 'off' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--timeout takes a number of seconds/);
    const started = Date.now();
    const res = await runTollgate(['quit', '--wait', '1', '--timeout', '15', '-p', node.prefix], { TOLLGATE_DATABASE: 'off' });
    assert.ok(Date.now() - started >= 1000, 'quit waited before stopping the node');
    assert.equal(res.code, 0, res.stderr);
    await waitUntil(() => node.proc.exitCode !== null || node.proc.signalCode !== null, 20_000, 'the node to exit');
    const health = await runTollgate(['health', '-p', node.prefix], { TOLLGATE_DATABASE: 'off' });
    assert.equal(health.code, 1);
    assert.match(health.stderr, /not running/);
  });
});
