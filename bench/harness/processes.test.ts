import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, killAllChildren, liveChildCount, runToCompletion, setAffinity } from './processes.ts';
import { processTree } from './proc-stat.ts';
import { findExecutable } from './tools.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-processes-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Running and not a zombie (a killed grandchild may linger as a zombie until its new parent reaps it). */
function alive(pid: number): boolean {
  try {
    const line = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return line.slice(line.lastIndexOf(')') + 2, line.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

test('stop() ends a well-behaved process with SIGTERM', async () => {
  const proc = new ManagedProcess({ name: 'sleeper', command: process.execPath, args: ['-e', 'setTimeout(() => {}, 60000)'] }, join(dir, 'a.log'));
  const status = await proc.stop(5000);
  assert.equal(status.signal, 'SIGTERM');
});

test('stop() kills a process that ignores SIGTERM, and its children, after the grace period', async () => {
  // The parent ignores SIGTERM and forks a grandchild; both must be gone after stop().
  const script = `process.on('SIGTERM', () => {});
    require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    console.log('started'); setTimeout(() => {}, 60000);`;
  const proc = new ManagedProcess({ name: 'stubborn', command: process.execPath, args: ['-e', script] }, join(dir, 'b.log'));
  assert.ok(await waitUntil(() => processTree(proc.pid).length === 2, 5000), 'grandchild did not start');
  const grandchild = processTree(proc.pid)[1];
  assert.ok(alive(grandchild), 'grandchild should run before stop()');
  const started = Date.now();
  const status = await proc.stop(300);
  assert.equal(status.signal, 'SIGKILL');
  assert.ok(Date.now() - started >= 250);
  assert.ok(await waitUntil(() => !alive(grandchild), 3000), 'grandchild survived');
});

test('a process that fails to start reports the program it tried', () => {
  assert.throws(
    () => new ManagedProcess({ name: 'ghost', command: '/nonexistent/program', args: [] }, join(dir, 'c.log')),
    /could not start ghost \(\/nonexistent\/program\)/,
  );
});

test('logTail returns the last lines of output', async () => {
  const proc = new ManagedProcess({ name: 'talker', command: process.execPath, args: ['-e', 'for (let i = 1; i <= 30; i++) console.log("line " + i)'] }, join(dir, 'd.log'));
  await proc.exited;
  assert.equal(proc.logTail(2), 'line 29\nline 30');
  assert.deepEqual(proc.exitStatus, { code: 0, signal: null });
});

test('runToCompletion collects output and exit code', async () => {
  const run = await runToCompletion({ name: 'echo', command: process.execPath, args: ['-e', 'console.log("out"); console.error("err"); process.exit(3)'] }, 5000);
  assert.equal(run.stdout.trim(), 'out');
  assert.equal(run.stderr.trim(), 'err');
  assert.equal(run.code, 3);
  assert.equal(run.timedOut, false);
});

test('runToCompletion kills a command that runs too long', async () => {
  const started = Date.now();
  const run = await runToCompletion({ name: 'hang', command: process.execPath, args: ['-e', 'setTimeout(() => {}, 60000)'] }, 300);
  assert.equal(run.timedOut, true);
  assert.equal(run.signal, 'SIGKILL');
  assert.ok(Date.now() - started < 5000);
});

test('runToCompletion rejects when the program does not exist', async () => {
  await assert.rejects(runToCompletion({ name: 'ghost', command: '/nonexistent/program', args: [] }, 1000), /could not run ghost/);
});

test('killAllChildren takes down every tracked child', async () => {
  const procs = [1, 2].map((i) => new ManagedProcess({ name: `p${i}`, command: process.execPath, args: ['-e', 'setTimeout(() => {}, 60000)'] }, join(dir, `e${i}.log`)));
  assert.ok(liveChildCount() >= 2);
  killAllChildren();
  const statuses = await Promise.all(procs.map((p) => p.exited));
  assert.deepEqual(statuses.map((s) => s.signal), ['SIGKILL', 'SIGKILL']);
});

test('cpus wraps the command in taskset', { skip: findExecutable('taskset') ? false : 'taskset is not installed' }, async () => {
  const run = await runToCompletion({ name: 'affinity', command: 'sh', args: ['-c', 'taskset -p $$'], cpus: '0' }, 5000);
  assert.match(run.stdout, /affinity mask: 1\s*$/);
});

test('setAffinity pins a running process and reports failures', { skip: findExecutable('taskset') ? false : 'taskset is not installed' }, async () => {
  const proc = new ManagedProcess({ name: 'pinned', command: process.execPath, args: ['-e', 'setTimeout(() => {}, 60000)'] }, join(dir, 'f.log'));
  try {
    assert.deepEqual(await setAffinity([proc.pid], '0'), []);
    const check = await runToCompletion({ name: 'taskset', command: 'taskset', args: ['-p', String(proc.pid)] }, 5000);
    assert.match(check.stdout, /affinity mask: 1\s*$/);
    const problems = await setAffinity([2 ** 30], '0');
    assert.equal(problems.length, 1);
  } finally {
    await proc.stop(1000);
  }
});
