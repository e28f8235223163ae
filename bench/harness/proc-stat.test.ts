import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseProcStat, readProcStat, descendantsOf, processTree, sampleCpuTicks, cpuTicksBetween, cpuMicrosPerRequest,
  clockTicksPerSecond, parseCpuTimes, expandCpuList, busyFraction, sampleCpuBusy,
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

test('parseCpuTimes counts interrupts and softirq as busy, idle and iowait as not', () => {
  const text = [
    'cpu  300 0 100 1000 10 0 50 0 0 0',
    'cpu0 100 0 50 500 5 0 20 0 0 0',
    'cpu1 200 5 50 500 5 1 30 2 7 0',
    'intr 12345',
  ].join('\n');
  const cpus = parseCpuTimes(text);
  assert.deepEqual([...cpus.keys()], [0, 1]);
  assert.deepEqual(cpus.get(0), { busy: 170, total: 675 });
  assert.deepEqual(cpus.get(1), { busy: 288, total: 793 }); // guest time (7) is already inside user
});

test('expandCpuList understands ranges and lists', () => {
  assert.deepEqual(expandCpuList('1'), [1]);
  assert.deepEqual(expandCpuList('0-2,5'), [0, 1, 2, 5]);
  assert.deepEqual(expandCpuList(''), []);
});

test('busyFraction between samples, and a live sample of this machine', () => {
  assert.equal(busyFraction({ busy: 10, total: 100 }, { busy: 60, total: 200 }), 0.5);
  assert.equal(busyFraction({ busy: 10, total: 100 }, { busy: 10, total: 100 }), undefined);
  const live = sampleCpuBusy([0]);
  assert.ok(live.total > 0 && live.busy <= live.total);
  assert.deepEqual(sampleCpuBusy([]), { busy: 0, total: 0 });
});
