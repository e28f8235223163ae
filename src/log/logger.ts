/**
 * The node's error log: nginx-style lines (`2026/11/21 23:59:00 [notice] 1234#0: message`) so that operators who
 * grep Kong's error.log find the same shape. Writes go to stderr (and so to the supervisor's terminal or service manager).
 */

import { openLogSink } from './file-sink.ts';

export const LOG_LEVELS = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const rank: Record<LogLevel, number> = { debug: 0, info: 1, notice: 2, warn: 3, error: 4, crit: 5, alert: 6, emerg: 7 };

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function timestamp(d: Date): string {
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export interface Logger {
  level: LogLevel;
  enabled(level: LogLevel): boolean;
  debug(msg: string): void;
  info(msg: string): void;
  notice(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  crit(msg: string): void;
}

export interface LoggerOptions {
  level: LogLevel;
  /** `worker` number shown after the pid, like nginx's `pid#connection`; 0 for the supervisor. */
  worker: number;
  write?: (line: string) => void;
}

/** Creates a logger; the level can be changed later by assigning `logger.level`. */
export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const tag = `${process.pid}#${options.worker}`;
  const logger: Logger = {
    level: options.level,
    enabled(level) {
      return rank[level] >= rank[logger.level];
    },
    debug: (msg) => emit('debug', msg),
    info: (msg) => emit('info', msg),
    notice: (msg) => emit('notice', msg),
    warn: (msg) => emit('warn', msg),
    error: (msg) => emit('error', msg),
    crit: (msg) => emit('crit', msg),
  };
  function emit(level: LogLevel, msg: string): void {
    if (rank[level] < rank[logger.level]) return;
    write(`${timestamp(new Date())} [${level}] ${tag}: ${msg}\n`);
  }
  return logger;
}

/**
 * Where error-log lines go: the `proxy_error_log` file (relative to the prefix), and stderr as well, so a
 * node run in the foreground or under a service manager shows what it says.
 */
export function errorLogWriter(setting: string, prefix: string): (line: string) => void {
  if (setting === 'off' || setting === '/dev/stderr') return (line) => process.stderr.write(line);
  const sink = openLogSink(setting, prefix);
  return (line) => {
    sink.write(line);
    sink.flush();
    process.stderr.write(line);
  };
}
