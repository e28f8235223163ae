/**
 * CPU accounting from Linux `/proc`: a contestant's CPU cost is the sum of user and system time of its
 * process tree (supervisor/master plus workers), sampled before and after a load run.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** The fields of `/proc/<pid>/stat` the harness needs. Times are in clock ticks (see {@link clockTicksPerSecond}). */
export interface ProcStat {
  pid: number;
  parentPid: number;
  userTicks: number;
  systemTicks: number;
}

/**
 * Parses one `/proc/<pid>/stat` line. The command name sits in parentheses and may itself contain spaces or
 * parentheses, so fields are counted from the last `)`.
 */
export function parseProcStat(line: string): ProcStat {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`unexpected /proc stat line: ${line.slice(0, 80)}`);
  const pid = Number(line.slice(0, open).trim());
  // After ")": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const fields = line.slice(close + 2).split(' ');
  const parentPid = Number(fields[1]);
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  if (![pid, parentPid, userTicks, systemTicks].every(Number.isFinite)) {
    throw new Error(`unexpected /proc stat line: ${line.slice(0, 80)}`);
  }
  return { pid, parentPid, userTicks, systemTicks };
}

/** Reads `/proc/<pid>/stat`; `undefined` when the process is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every live process as `pid -> parent pid`, read from `/proc`. */
export function readParentMap(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readProcStat(pid);
    if (stat) parents.set(stat.pid, stat.parentPid);
  }
  return parents;
}

/** `root` and all its descendants, given a `pid -> parent pid` map; pure so it can be tested. */
export function descendantsOf(root: number, parents: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, parent] of parents) {
    const list = children.get(parent);
    if (list) list.push(pid);
    else children.set(parent, [pid]);
  }
  const result: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop() as number;
    if (result.includes(pid)) continue;
    result.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return result;
}

/** The process tree rooted at `rootPid` as it is right now (root first). */
export function processTree(rootPid: number): number[] {
  return descendantsOf(rootPid, readParentMap()).filter((pid) => pid === rootPid || readProcStat(pid) !== undefined);
}

/** A CPU sample over a fixed set of processes, kept per pid so processes that vanish can be noticed. */
export type CpuSample = ReadonlyMap<number, number>;

/** Samples user+system ticks of each pid; pids that no longer exist are left out. */
export function sampleCpuTicks(pids: readonly number[]): CpuSample {
  const sample = new Map<number, number>();
  for (const pid of pids) {
    const stat = readProcStat(pid);
    if (stat) sample.set(pid, stat.userTicks + stat.systemTicks);
  }
  return sample;
}

/** CPU used between two samples, in ticks, and the pids that disappeared in between (their time is lost). */
export function cpuTicksBetween(before: CpuSample, after: CpuSample): { ticks: number; vanished: number[] } {
  let ticks = 0;
  const vanished: number[] = [];
  for (const [pid, startTicks] of before) {
    const endTicks = after.get(pid);
    if (endTicks === undefined) vanished.push(pid);
    else ticks += endTicks - startTicks;
  }
  return { ticks, vanished };
}

let cachedClockTicks: number | undefined;

/** The kernel's `USER_HZ` (`getconf CLK_TCK`), almost always 100; asked once. */
export function clockTicksPerSecond(): number {
  if (cachedClockTicks === undefined) {
    try {
      cachedClockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      cachedClockTicks = 100;
    }
  }
  return cachedClockTicks;
}

/** CPU microseconds per request from a tick delta, or `undefined` when no request completed. */
export function cpuMicrosPerRequest(ticks: number, requests: number, ticksPerSecond: number): number | undefined {
  if (!(requests > 0)) return undefined;
  return (ticks / ticksPerSecond) * 1e6 / requests;
}

/** Busy and total time of one CPU from `/proc/stat`, in ticks. */
export interface CpuTimes {
  busy: number;
  total: number;
}

/**
 * Per-CPU times from the text of `/proc/stat` (`cpuN user nice system idle iowait irq softirq steal ...`).
 * Busy is everything but idle and iowait, so it includes interrupt and softirq time, which the kernel charges
 * to no process: on loopback that is where much of the network stack runs.
 */
export function parseCpuTimes(procStat: string): Map<number, CpuTimes> {
  const cpus = new Map<number, CpuTimes>();
  for (const line of procStat.split('\n')) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const fields = match[2].trim().split(/\s+/).map(Number);
    // guest and guest_nice (fields 9, 10) are already included in user and nice.
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    cpus.set(Number(match[1]), { busy: total - idle, total });
  }
  return cpus;
}

/** Expands a taskset-style CPU list (`"0-2,5"`) into CPU numbers. */
export function expandCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [from, to] = part.split('-').map(Number);
    for (let cpu = from; cpu <= (to ?? from); cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** Summed busy and total ticks of the given CPUs right now. */
export function sampleCpuBusy(cpus: readonly number[]): CpuTimes {
  const all = parseCpuTimes(readFileSync('/proc/stat', 'utf8'));
  let busy = 0;
  let total = 0;
  for (const cpu of cpus) {
    const times = all.get(cpu);
    if (!times) continue;
    busy += times.busy;
    total += times.total;
  }
  return { busy, total };
}

/** Fraction of time the CPUs were busy between two samples (0..1), or `undefined` when no time passed. */
export function busyFraction(before: CpuTimes, after: CpuTimes): number | undefined {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : undefined;
}
