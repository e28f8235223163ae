import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseProcStat, readProcStat, descendantsOf, processTree, sampleCpuTicks, cpuTicksBetween, cpuMicrosPerRequest,
  clockTicksPerSecond,
} from './proc-stat.ts';
import { spawn } from 'node:child_process';

test('parseProcStat reads pid, parent, utime and stime even when the name has spaces and parentheses', () => {
  const line = '4242 (node (worker) x) S 4200 4242 4242 0 -1 4194560 1000 0 0 0 731 129 0 0 20 0 11 0 12345 0 0';
  assert.deepEqual(parseProcStat(line), { pid: 4242, parentPid: 4200, userTicks: 731, systemTicks: 129 });
});

test('parseProcStat rejects garbage', () => {
  assert.throws(() => parseProcStat('not a stat line'));
});

test('readProcStat sees this process and not a dead pid', () => {
  const self = readProcStat(process.pid);
  assert.equal(self?.pid, process.pid);
  assert.equal(self?.parentPid, process.ppid);
  assert.equal(readProcStat(2 ** 30), undefined);
});

test('descendantsOf walks the whole tree and only that tree', () => {
  const parents = new Map([[10, 1], [11, 10], [12, 10], [13, 11], [20, 1], [21, 20]]);
  assert.deepEqual(descendantsOf(10, parents).sort((a, b) => a - b), [10, 11, 12, 13]);
  assert.deepEqual(descendantsOf(21, parents), [21]);
});

test('processTree finds a real child process', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => child.once('spawn', resolve));
    assert.ok(processTree(process.pid).includes(child.pid as number));
  } finally {
    child.kill('SIGKILL');
  }
});

test('cpu ticks between samples add up and vanished pids are reported', () => {
  const before = new Map([[1, 100], [2, 50], [3, 10]]);
  const after = new Map([[1, 160], [2, 70]]);
  assert.deepEqual(cpuTicksBetween(before, after), { ticks: 80, vanished: [3] });
});

test('sampleCpuTicks grows while this process burns CPU', () => {
  const before = sampleCpuTicks([process.pid]);
  const until = Date.now() + 120;
  while (Date.now() < until) { /* spin */ }
  const after = sampleCpuTicks([process.pid]);
  assert.ok(cpuTicksBetween(before, after).ticks > 0);
});

test('cpuMicrosPerRequest converts ticks to microseconds per request', () => {
  assert.equal(cpuMicrosPerRequest(100, 50_000, 100), 20);
  assert.equal(cpuMicrosPerRequest(100, 0, 100), undefined);
  assert.ok(clockTicksPerSecond() > 0);
});
