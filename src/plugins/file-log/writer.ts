/**
 * Appends JSON lines to a file without blocking the event loop: lines are collected in memory and written by
 * one asynchronous write at a time, so a burst of requests costs one system call, not one per request. The
 * file is opened with O_APPEND, so several workers appending to one file never overwrite each other's lines
 * (each write lands at the end as a whole). With `reopen`, the file is closed and opened again for every
 * write, so a renamed (rotated) file is replaced by a new one at the next write. The buffer is bounded: past
 * it, lines are dropped and counted rather than growing memory behind a stalled disk.
 */
import { promises as fsp, constants } from 'node:fs';
import { onWorkerExit, until } from '../shared/worker-exit.ts';

/** The most bytes waiting for the disk per file before lines are dropped. */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND;
// rw-r--r--, as Kong opens it.
const MODE = 0o644;

export type WriterLog = (level: 'warn' | 'error', message: string) => void;

export class AppendWriter {
  readonly path: string;
  #pending: string[] = [];
  #pendingBytes = 0;
  #writing = false;
  #handle: fsp.FileHandle | null = null;
  #dropped = 0;
  #lastReport = -Infinity;
  #lastError = '';
  /** The size of the last line, the estimate of the next one's for `full`. */
  #lastSize = 0;
  reopen = false;
  log: WriterLog = () => {};

  constructor(path: string) {
    this.path = path;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Whether every line appended so far has been written. */
  get flushed(): boolean {
    return !this.#writing && this.#pending.length === 0;
  }

  /**
   * Whether the buffer has no room for a line the size of the last one: a producer checks this before
   * building a line and calls `refuse()` instead, so a stalled disk costs a request next to nothing.
   */
  get full(): boolean {
    return this.#pendingBytes + this.#lastSize > MAX_PENDING_BYTES;
  }

  /** Counts a line the producer did not build because the writer was `full`. */
  refuse(): void {
    this.#drop();
  }

  #drop(): void {
    this.#dropped++;
    const now = performance.now();
    if (now - this.#lastReport > 10_000) {
      this.#lastReport = now;
      this.log('error', `[file-log] ${this.path}: writes are not keeping up, ${this.#dropped} lines dropped so far`);
    }
  }

  append(line: string): void {
    this.#lastSize = line.length;
    if (this.#pendingBytes + line.length > MAX_PENDING_BYTES) {
      this.#drop();
      return;
    }
    this.#pending.push(line);
    this.#pendingBytes += line.length;
    if (!this.#writing) {
      this.#writing = true;
      // Collect the rest of this tick's lines before writing.
      setImmediate(() => void this.#drain());
    }
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const data = this.#pending.join('');
      this.#pending = [];
      this.#pendingBytes = 0;
      try {
        if (this.reopen && this.#handle !== null) {
          await this.#handle.close();
          this.#handle = null;
        }
        this.#handle ??= await fsp.open(this.path, FLAGS, MODE);
        await this.#handle.write(data);
        this.#lastError = '';
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        // One line per distinct failure, not one per write.
        if (message !== this.#lastError) this.log('error', `[file-log] failed to open the file: ${message}`);
        this.#lastError = message;
        if (this.#handle !== null) await this.#handle.close().catch(() => {});
        this.#handle = null;
      }
    }
    this.#writing = false;
  }
}

const writers = new Map<string, AppendWriter>();

/** A stopping worker writes the lines still buffered. */
async function drainWriters(): Promise<void> {
  await until(() => [...writers.values()].every((w) => w.flushed));
}

/** This worker's writer for `path` (one per path, as Kong keeps one descriptor per path). */
export function writerFor(path: string): AppendWriter {
  let w = writers.get(path);
  if (w === undefined) {
    onWorkerExit(drainWriters);
    w = new AppendWriter(path);
    writers.set(path, w);
  }
  return w;
}
