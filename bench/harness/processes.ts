/**
 * Child processes of the benchmark: long-running contestants and short load runs. Every child gets its own
 * process group and is remembered until it exits, so Ctrl-C, a crash or the watchdog can take the whole
 * set down (masters and their workers) without touching anything the harness did not start.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync, closeSync, existsSync, readFileSync } from 'node:fs';

/** How a child ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What to start. `cpus` (e.g. `"0"` or `"0,1"`) wraps the command in `taskset -c` when given. */
export interface ProcessSpec {
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  cpus?: string;
}

const liveChildren = new Set<ChildProcess>();

function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

function commandLine(spec: ProcessSpec): { file: string; argv: string[] } {
  if (spec.cpus === undefined) return { file: spec.command, argv: [...spec.args] };
  return { file: 'taskset', argv: ['-c', spec.cpus, spec.command, ...spec.args] };
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** A long-running child whose output goes to a log file. */
export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;
  private exitInfo: ExitInfo | undefined;

  constructor(spec: ProcessSpec, logPath: string) {
    this.name = spec.name;
    this.logPath = logPath;
    const logFd = openSync(logPath, 'a');
    const { file, argv } = commandLine(spec);
    // detached: own process group, so a terminal's Ctrl-C reaches only the harness, which then stops us in order.
    this.child = spawn(file, argv, {
      cwd: spec.cwd, env: spec.env ?? process.env, detached: true, stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    // A failed spawn reports through 'error'; without a listener it would crash the harness.
    this.child.on('error', () => undefined);
    if (this.child.pid === undefined) throw new Error(`could not start ${spec.name} (${file}): is it installed and on PATH?`);
    this.pid = this.child.pid;
    track(this.child);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  /** The exit status when the process has ended, otherwise `undefined`. */
  get exitStatus(): ExitInfo | undefined {
    return this.exitInfo;
  }

  /** The last `lines` lines of the log, for error messages. */
  logTail(lines = 15): string {
    try {
      return readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /**
   * Asks the process to stop with SIGTERM (to the leader only, so a supervisor can shut its workers down in
   * order and let them write CPU profiles), then kills the whole group after `graceMs`.
   */
  async stop(graceMs = 5000): Promise<ExitInfo> {
    if (this.exitInfo) {
      signalGroup(this.pid, 'SIGKILL'); // leftover workers of a dead leader
      return this.exitInfo;
    }
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      // Already exiting.
    }
    const timer = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), graceMs).unref());
    const result = await Promise.race([this.exited, timer]);
    signalGroup(this.pid, 'SIGKILL');
    return result ?? (await this.exited);
  }
}

/** Output and status of a command run to completion. */
export interface CompletedRun extends ExitInfo {
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command to completion, collecting its output; the whole group is killed after `timeoutMs`. */
export function runToCompletion(spec: ProcessSpec, timeoutMs: number): Promise<CompletedRun> {
  const { file, argv } = commandLine(spec);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: spec.cwd, env: spec.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.once('error', (error) => reject(new Error(`could not run ${spec.name} (${file}): ${error.message}`)));
    if (child.pid === undefined) return;
    track(child);
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Kills every child the harness started that is still running (whole process groups). Synchronous on purpose: it also runs from the `exit` event. */
export function killAllChildren(): void {
  for (const child of liveChildren) signalGroup(child.pid, 'SIGKILL');
}

/** How many tracked children are still running (for tests and sanity checks). */
export function liveChildCount(): number {
  return liveChildren.size;
}

/**
 * Makes sure children die with the harness: on SIGINT/SIGTERM runs `onSignal` (graceful stops) for at most
 * `graceMs`, then kills what is left and exits; on any exit kills what is left.
 */
export function installCleanupHandlers(onSignal: () => Promise<void>, graceMs = 8000): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals): void => {
    if (stopping) {
      killAllChildren();
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`\nbench: ${signal} received, stopping all contestants...\n`);
    const deadline = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    void Promise.race([onSignal().catch(() => undefined), deadline]).finally(() => {
      killAllChildren();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  process.on('exit', killAllChildren);
}

/** Applies a CPU affinity to every thread of each pid (`taskset -a -p`); failures are reported, not thrown. */
export async function setAffinity(pids: readonly number[], cpus: string): Promise<string[]> {
  const problems: string[] = [];
  for (const pid of pids) {
    // taskset -a quietly succeeds for a pid that no longer exists, so look first.
    if (!existsSync(`/proc/${pid}`)) {
      problems.push(`cannot pin pid ${pid}: it no longer exists`);
      continue;
    }
    const run = await runToCompletion({ name: 'taskset', command: 'taskset', args: ['-a', '-p', '-c', cpus, String(pid)] }, 5000);
    if (run.code !== 0) problems.push(`taskset -a -p -c ${cpus} ${pid}: ${run.stderr.trim() || `exit ${run.code}`}`);
  }
  return problems;
}
