import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMinimalNode, startNginxProxy, startTollgate, startUpstream } from './contestants.ts';
import type { StartContext } from './contestants.ts';
import { probe } from './net.ts';
import { processTree } from './proc-stat.ts';
import { findExecutable } from './tools.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-contestants-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const nginxPath = findExecutable('nginx');

function context(workers: number, extra: Partial<StartContext> = {}): StartContext {
  return {
    workDir: mkdtempSync(join(dir, 'run-')), workers, nginxPath: nginxPath ?? 'nginx', nodePath: process.execPath,
    repoRoot: '/nonexistent', ...extra,
  };
}

/** Writes an executable stand-in for bin/tollgate that runs `body` as an ES module with Node. */
function fakeTollgate(name: string, body: string): string {
  const script = join(dir, `${name}.mjs`);
  writeFileSync(script, body);
  const launcher = join(dir, name);
  writeFileSync(launcher, `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`, { mode: 0o755 });
  return launcher;
}

// Serves /status/ready and answers "ok" on the proxy port, but only if started the way the brief says.
const WELL_BEHAVED = `
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const env = process.env;
const declarative = readFileSync(env.TOLLGATE_DECLARATIVE_CONFIG, 'utf8');
const startedRight = process.argv[2] === 'start' && env.TOLLGATE_ADMIN_LISTEN === 'off'
  && env.TOLLGATE_WORKER_PROCESSES === '2' && declarative.includes('_format_version: "3.0"')
  && env.TOLLGATE_PREFIX.length > 0 && env.TOLLGATE_CPU_PROF_DIR === undefined;
const [statusHost, statusPort] = env.TOLLGATE_STATUS_LISTEN.split(':');
const [proxyHost, proxyPort] = env.TOLLGATE_PROXY_LISTEN.split(':');
createServer((req, res) => { res.statusCode = req.url === '/status/ready' ? 200 : 404; res.end(); }).listen(Number(statusPort), statusHost);
createServer((req, res) => res.end(startedRight ? 'ok' : 'started wrongly')).listen(Number(proxyPort), proxyHost);
`;

test('Tollgate that exits at once is reported with its exit code and log tail', async () => {
  const command = fakeTollgate('dies', 'console.error("cannot load router"); process.exit(1);');
  const started = Date.now();
  await assert.rejects(startTollgate(context(1, { tollgateCommand: command }), 1), (error: Error) => {
    assert.match(error.message, /tollgate exited \(code 1\) before it became ready/);
    assert.match(error.message, /cannot load router/);
    assert.match(error.message, /output\.log/);
    return true;
  });
  assert.ok(Date.now() - started < 5000);
});

test('Tollgate that never becomes ready is given up on after the timeout and stopped', async () => {
  const command = fakeTollgate('hangs', 'setInterval(() => {}, 1000);');
  const started = Date.now();
  await assert.rejects(
    startTollgate(context(1, { tollgateCommand: command, tollgateReadyTimeoutMs: 800 }), 1),
    /\/status\/ready did not answer within 1 s/,
  );
  assert.ok(Date.now() - started < 6000);
});

test('Tollgate that is ready but does not proxy to the upstream is refused', async () => {
  const command = fakeTollgate('wrong', WELL_BEHAVED.replace("startedRight ? 'ok' : 'started wrongly'", "'not the upstream'"));
  await assert.rejects(
    startTollgate(context(2, { tollgateCommand: command, tollgateReadyTimeoutMs: 5000 }), 1),
    /did not return the upstream's 200 "ok" \(got HTTP 200 "not the upstream"\)/,
  );
});

test('Tollgate started as `tollgate start` with the documented environment is accepted', async () => {
  const command = fakeTollgate('good', WELL_BEHAVED);
  const tollgate = await startTollgate(context(2, { tollgateCommand: command, tollgateReadyTimeoutMs: 5000 }), 1);
  try {
    assert.equal(tollgate.name, 'tollgate');
    assert.deepEqual(await probe(tollgate.url), { status: 200, body: 'ok' });
  } finally {
    await tollgate.stop();
  }
  assert.ok(tollgate.process.exitStatus, 'stop() must end the process');
});

test('profiling sets TOLLGATE_CPU_PROF_DIR', async () => {
  const command = fakeTollgate('profiled', WELL_BEHAVED.replace("env.TOLLGATE_CPU_PROF_DIR === undefined", "env.TOLLGATE_CPU_PROF_DIR.endsWith('tollgate-w2')"));
  const tollgate = await startTollgate(context(2, { tollgateCommand: command, tollgateReadyTimeoutMs: 5000, profileRoot: join(dir, 'profiles') }), 1);
  assert.equal(tollgate.profileDir, join(dir, 'profiles', 'tollgate-w2'));
  await tollgate.stop();
});

test('upstream, nginx proxy and minimal Node proxy start, chain and stop', { skip: nginxPath ? false : 'nginx is not installed' }, async () => {
  const ctx = context(2);
  const upstream = await startUpstream(ctx);
  const port = Number(new URL(upstream.url).port);
  try {
    assert.deepEqual(await probe(upstream.url), { status: 200, body: 'ok' });
    assert.equal(processTree(upstream.process.pid).length, 3, 'nginx master + 2 workers');
    const nginx = await startNginxProxy(ctx, port);
    const minimal = await startMinimalNode(ctx, port);
    try {
      assert.deepEqual(await probe(nginx.url), { status: 200, body: 'ok' });
      assert.deepEqual(await probe(minimal.url), { status: 200, body: 'ok' });
      assert.equal(processTree(minimal.process.pid).length, 3, 'cluster primary + 2 workers');
    } finally {
      await nginx.stop();
      await minimal.stop();
    }
    assert.ok(nginx.process.exitStatus && minimal.process.exitStatus);
  } finally {
    await upstream.stop();
  }
});

test('a proxy whose upstream is down is refused with the answer it gave', { skip: nginxPath ? false : 'nginx is not installed' }, async () => {
  await assert.rejects(startMinimalNode(context(1), 1), /did not return the upstream's 200 "ok" \(got HTTP 502/);
});

test('the dead collector accepts a request and never answers', async () => {
  const { startDeadCollector } = await import('./contestants.ts');
  const { connect } = await import('node:net');
  const collector = await startDeadCollector();
  try {
    const socket = connect(collector.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let answered = false;
    socket.on('data', () => (answered = true));
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}');
    // Nothing can prove "never"; a round trip through the server (a second connection accepted) shows the
    // first request was read and left unanswered.
    const second = connect(collector.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => second.once('connect', resolve).once('error', reject));
    second.destroy();
    assert.equal(answered, false);
    socket.destroy();
  } finally {
    await collector.close();
  }
});
