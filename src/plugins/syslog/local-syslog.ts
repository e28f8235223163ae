/**
 * Messages to the local syslog daemon's Unix datagram socket (`/dev/log`, or the node's `syslog_socket`).
 * Node.js has no Unix datagram sockets, so each worker keeps one long-lived `logger` process (util-linux,
 * present on every Debian system) and writes `<PRI>message` lines to its standard input: one pipe write per
 * record, no process per record, and the event loop never waits. Its buffer is bounded: past it, records are
 * dropped and counted; a `logger` that dies is started again on the next record.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ThrottledLog } from '../shared/throttled-log.ts';

/** Most bytes waiting in the pipe before records are dropped. */
const MAX_BUFFERED = 8 * 1024 * 1024;
/** Longest datagram `logger` sends (its default is 1 KiB; log records are longer). */
const MAX_MESSAGE = 65000;
/**
 * After `logger` exits (no daemon listening), records are dropped for this long before it is started again,
 * so a missing daemon costs no process start per request.
 */
const RESTART_DELAY_MS = 5000;

export class LocalSyslog {
  readonly socketPath: string;
  readonly log = new ThrottledLog();
  #child: ChildProcessByStdio<Writable, null, Readable> | null = null;
  #dropped = 0;
  #restartAt = 0;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  /** Records dropped so far (daemon missing or not keeping up). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Whether a `logger` process is running. */
  get running(): boolean {
    return this.#child !== null;
  }

  #start(): ChildProcessByStdio<Writable, null, Readable> {
    // --prio-prefix: each line's <PRI> sets its facility and severity; -t kong: Kong's sender name.
    const child = spawn('logger', ['--prio-prefix', '-t', 'kong', '-u', this.socketPath, '-d', '--socket-errors=on', '-S', String(MAX_MESSAGE)], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => this.log.error(`[syslog] ${this.socketPath}: ${text.trim()}`));
    child.stdin.on('error', () => {});
    child.on('error', (err) => this.log.error(`[syslog] could not start logger: ${err.message}`));
    child.on('exit', (code) => {
      if (this.#child === child) this.#child = null;
      if (code !== 0) this.#restartAt = performance.now() + RESTART_DELAY_MS;
    });
    child.unref();
    // The pipes would otherwise keep an exiting worker alive.
    (child.stdin as Writable & { _handle?: { unref?: () => void } })._handle?.unref?.();
    (child.stderr as Readable & { _handle?: { unref?: () => void } })._handle?.unref?.();
    return child;
  }

  /** While `logger` is down and not yet due to be started again, when records are dropped. */
  #waitingToRestart(): boolean {
    return this.#child === null && performance.now() < this.#restartAt;
  }

  #backlogged(): boolean {
    return this.#child !== null && this.#child.stdin.writableLength > MAX_BUFFERED;
  }

  /**
   * Whether the next record would be dropped (no daemon, or one not keeping up): a producer checks this
   * before building a record and calls `refuse()` instead.
   */
  get full(): boolean {
    return this.#waitingToRestart() || this.#backlogged();
  }

  /** Counts a record the producer did not build because the sender was `full`, as `send` counts a drop. */
  refuse(): void {
    if (this.#waitingToRestart()) this.#dropped++;
    else this.#dropBacklogged();
  }

  #dropBacklogged(): void {
    this.#dropped++;
    this.log.error(`[syslog] the syslog daemon is not keeping up, ${this.#dropped} records dropped so far`);
  }

  send(priority: number, message: string): void {
    if (this.#waitingToRestart()) {
      this.#dropped++;
      return;
    }
    const child = (this.#child ??= this.#start());
    if (child.stdin.writableLength > MAX_BUFFERED) {
      this.#dropBacklogged();
      return;
    }
    child.stdin.write(`<${priority}>${message}\n`);
  }
}

const byPath = new Map<string, LocalSyslog>();

export function localSyslog(path: string): LocalSyslog {
  let s = byPath.get(path);
  if (s === undefined) {
    s = new LocalSyslog(path);
    byPath.set(path, s);
  }
  return s;
}
