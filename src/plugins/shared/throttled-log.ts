/**
 * Error-log lines for failures that repeat per request (a collector that is down): the first is written at
 * once, then at most one per interval, saying how many were held back, so a dead collector cannot flood the
 * error log.
 */
export type ErrorLogWriter = (level: 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit', message: string) => void;

export class ThrottledLog {
  readonly #intervalMs: number;
  #last = -Infinity;
  #held = 0;
  write: ErrorLogWriter = () => {};

  constructor(intervalMs = 10_000) {
    this.#intervalMs = intervalMs;
  }

  error(message: string): void {
    const now = performance.now();
    if (now - this.#last < this.#intervalMs) {
      this.#held++;
      return;
    }
    this.#last = now;
    const held = this.#held;
    this.#held = 0;
    this.write('error', held === 0 ? message : `${message} (${held} similar errors since the last report)`);
  }
}
