import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

/**
 * An append-only log destination with a write buffer: lines are collected in memory and written in one
 * system call every 100 ms (or at 64 KiB), so that logging costs a string append on the hot path, not a
 * write per request. `off` gives a sink that drops everything.
 */
export interface LogSink {
  write(line: string): void;
  flush(): void;
  close(): void;
}

const FLUSH_INTERVAL_MS = 100;
const FLUSH_BYTES = 64 * 1024;

const NULL_SINK: LogSink = { write() {}, flush() {}, close() {} };

/** Resolves a log setting (`off`, `/dev/stderr`, an absolute path, or a path relative to the prefix). */
export function openLogSink(setting: string, prefix: string): LogSink {
  if (setting === 'off') return NULL_SINK;
  let fd: number;
  let owned = true;
  if (setting === '/dev/stderr') {
    fd = 2;
    owned = false;
  } else if (setting === '/dev/stdout') {
    fd = 1;
    owned = false;
  } else {
    const path = isAbsolute(setting) ? setting : join(prefix, setting);
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, 'a');
  }
  // Lines are copied into one preallocated buffer: appending to a string builds a rope that V8 must
  // flatten before writing, which cost more than the formatting itself.
  let buffer = Buffer.allocUnsafe(FLUSH_BYTES * 2);
  let used = 0;
  const flush = () => {
    if (used === 0) return;
    const length = used;
    used = 0;
    try {
      writeSync(fd, buffer, 0, length);
    } catch {
      // A full disk or a closed stream must not take the proxy down; the lines are lost.
    }
  };
  const timer = setInterval(flush, FLUSH_INTERVAL_MS);
  timer.unref();
  process.once('exit', flush);
  return {
    write(line: string) {
      // Worst case 3 bytes per UTF-16 unit; a line that could not fit is flushed around.
      if (used + line.length * 3 > buffer.length) {
        flush();
        if (line.length * 3 > buffer.length) buffer = Buffer.allocUnsafe(line.length * 3);
      }
      used += buffer.write(line, used, 'utf8');
      if (used >= FLUSH_BYTES) flush();
    },
    flush,
    close() {
      clearInterval(timer);
      flush();
      if (owned) closeSync(fd);
    },
  };
}
