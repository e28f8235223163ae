/**
 * A Kong configuration file starts Tollgate unchanged: `nginx_worker_processes` sets the worker count, and Kong's
 * injected nginx directives are accepted with one warning (there is no nginx to give them to). Through
 * `bin/tollgate start -c FILE`, as a Kong user would start it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, runTollgate, waitUntil } from './helpers/tollgate.ts';
import { freePort } from './helpers/ports.ts';

test("a Kong tollgate.conf with nginx_worker_processes and injected nginx directives", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-kong-conf-'));
  const [proxy, status] = [await freePort(), await freePort()];
  const conf = join(dir, 'kong.conf');
  writeFileSync(conf, [
    `prefix = ${join(dir, 'prefix')}`,
    'database = off',
    `proxy_listen = 127.0.0.1:${proxy}`,
    'admin_listen = off',
    'admin_gui_listen = off',
    `status_listen = 127.0.0.1:${status}`,
    'nginx_worker_processes = 2',
    'nginx_http_client_body_buffer_size = 8k',
    'nginx_proxy_large_client_header_buffers = 4 16k',
    '',
  ].join('\n'));
  // Only the file speaks: no TOLLGATE_* variable from the test runner's environment.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TOLLGATE_'))) as Record<string, string>;
  const proc = spawn(BIN, ['start', '-c', conf], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  try {
    // The warning follows the start line: wait for both.
    await waitUntil(() => (/Tollgate started/.test(out) && /nginx directives ignored/.test(out)) || proc.exitCode !== null, 20_000, 'the start and its warning');
    assert.match(out, /Tollgate started \(role traditional\): 2 worker\(s\)/, out);
    assert.match(out, /Kong nginx directives ignored \(Tollgate runs no nginx\): .*kong\.conf:8: nginx_http_client_body_buffer_size; .*kong\.conf:9: nginx_proxy_large_client_header_buffers/, out);
  } finally {
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("every setting of Kong's kong.conf.default, at Kong's default, passes tollgate check", async () => {
  const file = join(ROOT, 'test', 'fixtures', 'kong-conf-defaults.conf');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TOLLGATE_'))) as Record<string, string>;
  const res = await runTollgate(['check', file], env);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /is valid/);
});
