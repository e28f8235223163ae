/**
 * The delivery queue the tracing plugins send through, with Kong 3.x's `queue` semantics: entries are
 * appended in memory and never wait; a batch goes out when `max_batch_size` entries are waiting or
 * `max_coalescing_delay` passed since the first; a failed batch is retried with exponential backoff
 * (`initial_retry_delay` doubling up to `max_retry_delay`) until `max_retry_time`, then dropped; past
 * `max_entries` the oldest entries are dropped. One batch is in flight at a time.
 *
 * Kept behind this small interface so that it can give way to the log plugins' shared queue when both are
 * in the same tree.
 */

export interface QueueSettings {
  readonly max_batch_size: number;
  readonly max_coalescing_delay: number;
  readonly max_entries: number;
  readonly max_bytes?: number | null;
  readonly max_retry_time: number;
  readonly initial_retry_delay: number;
  readonly max_retry_delay: number;
  readonly concurrency_limit: number;
}

/** Sends one batch; resolves when the receiver took it, rejects to have it retried. */
export type BatchSender<E> = (entries: readonly E[]) => Promise<void>;

export type QueueLog = (level: 'debug' | 'warn' | 'error', message: string) => void;

export interface BatchQueue<E> {
  enqueue(entry: E): void;
}

/** Reports of dropped entries are made at most this often, so that a dead receiver cannot flood the log. */
const DROP_REPORT_MS = 10_000;

class MemoryQueue<E> implements BatchQueue<E> {
  readonly name: string;
  settings: QueueSettings;
  send: BatchSender<E>;
  log: QueueLog;
  #entries: E[] = [];
  #timer: NodeJS.Timeout | null = null;
  #sending = false;
  #dropped = 0;
  #lastDropReport = -Infinity;

  constructor(name: string, settings: QueueSettings, send: BatchSender<E>, log: QueueLog) {
    this.name = name;
    this.settings = settings;
    this.send = send;
    this.log = log;
  }

  enqueue(entry: E): void {
    const entries = this.#entries;
    if (entries.length >= this.settings.max_entries) {
      entries.shift();
      this.#dropped++;
      const now = performance.now();
      if (now - this.#lastDropReport >= DROP_REPORT_MS) {
        this.#lastDropReport = now;
        this.log('warn', `queue ${this.name}: queue full, dropped ${this.#dropped} oldest entries so far`);
      }
    }
    entries.push(entry);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#sending) return;
    if (this.#entries.length >= this.settings.max_batch_size) {
      this.#clearTimer();
      void this.#flush();
      return;
    }
    if (this.#timer === null && this.#entries.length > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        void this.#flush();
      }, this.settings.max_coalescing_delay * 1000);
      this.#timer.unref();
    }
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  async #flush(): Promise<void> {
    if (this.#sending || this.#entries.length === 0) return;
    this.#sending = true;
    const batch = this.#entries.splice(0, this.settings.max_batch_size);
    const started = performance.now();
    let delay = this.settings.initial_retry_delay * 1000;
    try {
      for (;;) {
        try {
          await this.send(batch);
          break;
        } catch (err) {
          const elapsed = performance.now() - started;
          if (elapsed + delay > this.settings.max_retry_time * 1000) {
            this.log('error', `queue ${this.name}: could not send ${batch.length} entries, giving up after ${Math.round(elapsed)} ms: ${(err as Error).message}`);
            break;
          }
          this.log('warn', `queue ${this.name}: handler could not process entries: ${(err as Error).message}; retrying in ${Math.round(delay)} ms`);
          await sleep(delay);
          delay = Math.min(delay * 2, this.settings.max_retry_delay * 1000);
        }
      }
    } finally {
      this.#sending = false;
    }
    this.#schedule();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Queues per worker by name: plugin entities naming the same queue share it, with the newest settings. */
const queues = new Map<string, MemoryQueue<unknown>>();

export function getQueue<E>(name: string, settings: QueueSettings, send: BatchSender<E>, log: QueueLog): BatchQueue<E> {
  let queue = queues.get(name) as MemoryQueue<E> | undefined;
  if (queue === undefined) {
    queue = new MemoryQueue<E>(name, settings, send, log);
    queues.set(name, queue as MemoryQueue<unknown>);
  } else {
    queue.settings = settings;
    queue.send = send;
    queue.log = log;
  }
  return queue;
}
