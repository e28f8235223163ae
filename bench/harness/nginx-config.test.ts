import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nginxArgs, proxyNginxConfig, upstreamNginxConfig } from './nginx-config.ts';
import { findExecutable } from './tools.ts';
import { runToCompletion } from './processes.ts';

test('upstream config answers from the config itself, on loopback, without access logs', () => {
  const config = upstreamNginxConfig({ prefixDir: '/tmp/x', workers: 2, listenPort: 18080 });
  assert.match(config, /worker_processes 2;/);
  assert.match(config, /listen 127\.0\.0\.1:18080 /);
  assert.match(config, /return 200 "ok";/);
  assert.match(config, /access_log off;/);
  assert.match(config, /daemon off;/);
  assert.match(config, /pid \/tmp\/x\/nginx\.pid;/);
});

test('proxy config keeps upstream connections alive over HTTP/1.1', () => {
  const config = proxyNginxConfig({ prefixDir: '/tmp/y', workers: 1, listenPort: 18081, upstreamPort: 18080, upstreamKeepalive: 128 });
  assert.match(config, /server 127\.0\.0\.1:18080;/);
  assert.match(config, /keepalive 128;/);
  assert.match(config, /proxy_http_version 1\.1;/);
  assert.match(config, /proxy_set_header Connection "";/);
  assert.match(config, /proxy_pass http:\/\/bench_upstream;/);
  assert.match(config, /listen 127\.0\.0\.1:18081 /);
});

const nginxPath = findExecutable('nginx');

test('nginx accepts both configs (nginx -t)', { skip: nginxPath ? false : 'nginx is not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-nginx-test-'));
  try {
    for (const [name, text] of [
      ['upstream.conf', upstreamNginxConfig({ prefixDir: dir, workers: 1, listenPort: 18080 })],
      ['proxy.conf', proxyNginxConfig({ prefixDir: dir, workers: 1, listenPort: 18081, upstreamPort: 18080, upstreamKeepalive: 16 })],
    ]) {
      const path = join(dir, name);
      writeFileSync(path, text);
      const run = await runToCompletion({ name: 'nginx -t', command: nginxPath as string, args: ['-t', ...nginxArgs(dir, path)] }, 10_000);
      assert.equal(run.code, 0, `${name}: ${run.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
