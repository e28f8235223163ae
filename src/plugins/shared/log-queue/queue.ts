/**
 * A bounded, batching, retrying delivery queue with Kong 3.x's semantics (kong/tools/queue.lua), so that a
 * collector that is down or slow never slows the proxy: `enqueue` only appends to memory and returns; batches
 * are handed to the plugin's sender in the background; past `max_entries` (or `max_bytes`) the oldest entries
 * are dropped, or, for a producer that asks `full` before building an entry (Kong's `Queue.is_full`), the new
 * one is never built. Drops are counted and reported at most once per `dropReportIntervalMs`, never once per
 * request, so a dead collector cannot flood the error log either.
 *
 * Queues are per worker and shared by name: plugin entities whose settings name the same queue share it, as
 * Kong's do.
 */
import type { QueueSettings } from './schema.ts';
import { onWorkerExit, until } from '../worker-exit.ts';

export type QueueLogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit';
export type QueueLog = (level: QueueLogLevel, message: string) => void;

/** Delivers one batch; resolves when the collector took it, rejects (or throws) to have it retried. */
export type BatchSender<E> = (entries: readonly E[]) => Promise<void>;

export interface QueueOptions<E> {
  /** Queue name: entities with the same name share one queue. */
  readonly name: string;
  /** Shown in every line (`[http-log plugin <id>]`), as Kong's `log_tag`. */
  readonly logTag: string;
  readonly settings: QueueSettings;
  readonly send: BatchSender<E>;
  readonly log: QueueLog;
  /** The size an entry counts for against `max_bytes` (strings: their UTF-8 length). */
  readonly sizeOf?: (entry: E) => number;
  /** Shortest time between two reports of dropped entries (default 10 s). */
  readonly dropReportIntervalMs?: number;
}

export interface QueueStats {
  readonly queued: number;
  readonly bytes: number;
  readonly inFlight: number;
  readonly dropped: number;
  /** Of `dropped`, the entries never built because the producer found the queue full (see `full`). */
  readonly refused: number;
  readonly delivered: number;
  readonly failedBatches: number;
}

/**
 * Deliveries in parallel with `concurrency_limit = -1`. Kong starts one timer per entry then, unbounded; a
 * bound keeps a dead collector from holding an unbounded number of entries in flight.
 */
const MAX_PARALLEL = 64;

/** The share of `max_entries` past which the queue warns once (Kong's CAPACITY_WARNING_THRESHOLD). */
const CAPACITY_WARNING = 0.8;

function defaultSize(entry: unknown): number {
  return typeof entry === 'string' ? Buffer.byteLength(entry) : 0;
}

export class LogQueue<E> {
  readonly name: string;
  #tag: string;
  #settings: QueueSettings;
  #send: BatchSender<E>;
  #log: QueueLog;
  readonly #sizeOf: (entry: E) => number;
  readonly #dropInterval: number;
  // A ring would save the shift; batches are small and shift on short arrays is cheap enough here.
  #entries: E[] = [];
  #bytes = 0;
  #inFlight = 0;
  #running = 0;
  #timer: NodeJS.Timeout | null = null;
  #dropped = 0;
  #refused = 0;
  #droppedUnreported = 0;
  #lastDropReport = -Infinity;
  #dropTimer: NodeJS.Timeout | null = null;
  #warnedCapacity = false;
  #delivered = 0;
  #failedBatches = 0;
  #lastFailureReport = -Infinity;
  #draining = false;
  #failuresHeld = 0;

  constructor(options: QueueOptions<E>) {
    this.name = options.name;
    this.#tag = options.logTag;
    this.#settings = options.settings;
    this.#send = options.send;
    this.#log = options.log;
    this.#sizeOf = options.sizeOf ?? defaultSize;
    this.#dropInterval = options.dropReportIntervalMs ?? 10_000;
  }

  /** Later enqueues carry the newest configuration of the entities sharing this queue (Kong's handler_conf). */
  update(options: Pick<QueueOptions<E>, 'logTag' | 'settings' | 'send' | 'log'>): void {
    this.#tag = options.logTag;
    this.#settings = options.settings;
    this.#send = options.send;
    this.#log = options.log;
  }

  /** Whether `send` is the sender of the last `update`: a producer may then skip `getQueue` and its update. */
  sendsWith(send: BatchSender<E>): boolean {
    return this.#send === send;
  }

  stats(): QueueStats {
    return { queued: this.#entries.length, bytes: this.#bytes, inFlight: this.#inFlight, dropped: this.#dropped, refused: this.#refused, delivered: this.#delivered, failedBatches: this.#failedBatches };
  }

  #line(level: QueueLogLevel, text: string): void {
    this.#log(level, `[${this.#tag}] queue ${this.name}: ${text}`);
  }

  /**
   * Whether the queue holds `max_entries` entries (or `max_bytes` bytes): Kong's `Queue.is_full`. A producer
   * whose entries cost something to build (a serialised log record) checks this first and, when full, calls
   * `refuse()` instead of building an entry, so a dead collector costs the request path next to nothing.
   */
  get full(): boolean {
    const s = this.#settings;
    return this.#entries.length >= s.max_entries || (s.max_bytes != null && this.#bytes >= s.max_bytes);
  }

  /**
   * Counts entries the producer did not build because the queue was `full` (a request's spans come several
   * at a time); reported with the other drops.
   */
  refuse(count = 1): void {
    if (count <= 0) return;
    this.#refused += count;
    this.#countDrop(count);
  }

  /** Appends an entry; never waits. Returns false when the entry itself is larger than `max_bytes`. */
  enqueue(entry: E): boolean {
    const s = this.#settings;
    const size = s.max_bytes == null ? 0 : this.#sizeOf(entry);
    if (s.max_bytes != null && size > s.max_bytes) {
      this.#countDrop(1);
      return false;
    }
    let drop = 0;
    while (this.#entries.length >= s.max_entries || (s.max_bytes != null && this.#bytes + size > s.max_bytes && this.#entries.length > 0)) {
      const old = this.#entries.shift()!;
      if (s.max_bytes != null) this.#bytes -= this.#sizeOf(old);
      drop++;
    }
    if (drop > 0) this.#countDrop(drop);
    this.#entries.push(entry);
    this.#bytes += size;
    if (this.#entries.length >= s.max_entries * CAPACITY_WARNING) {
      if (!this.#warnedCapacity) {
        this.#warnedCapacity = true;
        this.#line('warn', `queue at ${CAPACITY_WARNING * 100}% capacity`);
      }
    } else this.#warnedCapacity = false;
    this.#schedule();
    return true;
  }

  #countDrop(n: number): void {
    this.#dropped += n;
    this.#droppedUnreported += n;
    // A report is already due: while the collector is dead this is the path of every request.
    if (this.#dropTimer !== null) return;
    const now = performance.now();
    if (now - this.#lastDropReport >= this.#dropInterval) this.#reportDrops();
    else {
      this.#dropTimer = setTimeout(() => this.#reportDrops(), this.#dropInterval - (now - this.#lastDropReport));
      this.#dropTimer.unref();
    }
  }

  #reportDrops(): void {
    if (this.#dropTimer !== null) clearTimeout(this.#dropTimer);
    this.#dropTimer = null;
    if (this.#droppedUnreported === 0) return;
    this.#lastDropReport = performance.now();
    const n = this.#droppedUnreported;
    this.#droppedUnreported = 0;
    this.#line('error', `queue full, dropped ${n} entries (${this.#dropped} since start); the collector is not keeping up`);
  }

  /** A failed attempt: the first is logged at once, then at most one line per interval with the count held back. */
  #reportFailure(message: string): void {
    const now = performance.now();
    if (now - this.#lastFailureReport < this.#dropInterval) {
      this.#failuresHeld++;
      return;
    }
    this.#lastFailureReport = now;
    const held = this.#failuresHeld;
    this.#failuresHeld = 0;
    this.#line('warn', `handler could not process entries: ${message}${held === 0 ? '' : ` (${held} more failed attempts since the last report)`}`);
  }

  #maxConcurrent(): number {
    return this.#settings.concurrency_limit === -1 ? MAX_PARALLEL : 1;
  }

  /** Whether nothing is queued or being delivered. */
  get idle(): boolean {
    return this.#entries.length === 0 && this.#running === 0;
  }

  /** Worker exit: stop waiting for batches to fill and send what is queued now (Kong's exiting worker). */
  flushNow(): void {
    this.#draining = true;
    this.#schedule();
  }

  /** Starts a batch now when it is full or the coalescing delay is 0, else arms the coalescing timer. */
  #schedule(): void {
    if (this.#entries.length === 0 || this.#running >= this.#maxConcurrent()) return;
    const s = this.#settings;
    if (this.#draining || this.#entries.length >= s.max_batch_size || s.max_coalescing_delay <= 0 || s.max_batch_size === 1) {
      if (this.#timer !== null) {
        clearTimeout(this.#timer);
        this.#timer = null;
      }
      this.#startBatch();
      return;
    }
    if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        if (this.#running < this.#maxConcurrent()) this.#startBatch();
      }, s.max_coalescing_delay * 1000);
      this.#timer.unref();
    }
  }

  #startBatch(): void {
    const batch = this.#entries.splice(0, this.#settings.max_batch_size);
    if (batch.length === 0) return;
    if (this.#settings.max_bytes != null) for (const e of batch) this.#bytes -= this.#sizeOf(e);
    this.#running++;
    this.#inFlight += batch.length;
    void this.#deliver(batch).finally(() => {
      this.#running--;
      this.#inFlight -= batch.length;
      this.#schedule();
    });
    // With unlimited concurrency the rest may start at once.
    if (this.#running < this.#maxConcurrent()) this.#schedule();
  }

  async #deliver(batch: readonly E[]): Promise<void> {
    const started = performance.now();
    for (let retry = 0; ; retry++) {
      const s = this.#settings;
      try {
        await this.#send(batch);
        this.#delivered += batch.length;
        return;
      } catch (err) {
        this.#reportFailure(err instanceof Error ? err.message : String(err));
      }
      if ((performance.now() - started) / 1000 > s.max_retry_time) {
        this.#failedBatches++;
        this.#line('error', `could not send entries due to max_retry_time exceeded. ${batch.length} queue entries were lost`);
        return;
      }
      const delay = Math.min(s.max_retry_delay, 2 ** retry * s.initial_retry_delay);
      await new Promise<void>((resolve) => setTimeout(resolve, delay * 1000).unref());
    }
  }
}

/** One worker's queues by name. */
const queues = new Map<string, LogQueue<unknown>>();

/** The queue named `options.name`, created on first use; later calls refresh its settings and sender. */
export function getQueue<E>(options: QueueOptions<E>): LogQueue<E> {
  let q = queues.get(options.name) as LogQueue<E> | undefined;
  if (q === undefined) {
    onWorkerExit(drainQueues);
    q = new LogQueue<E>(options);
    queues.set(options.name, q as LogQueue<unknown>);
  } else q.update(options);
  return q;
}

/** What a plugin entity keeps to reach its queue (part of its `prepare` result). */
export interface QueueHolder<E> {
  queue: LogQueue<E> | null;
  readonly queueName: string;
  readonly logTag: string;
  readonly settings: QueueSettings;
}

/**
 * The entity's queue with its own settings current. Queues are shared by name: when another entity sharing it
 * enqueued last, this one's settings and sender are made current again (Kong's rule); otherwise it is the queue
 * the entity kept, with no lookup.
 */
export function queueFor<E>(holder: QueueHolder<E>, send: BatchSender<E>, log: QueueLog): LogQueue<E> {
  let queue = holder.queue;
  if (queue === null || !queue.sendsWith(send)) {
    queue = getQueue<E>({ name: holder.queueName, logTag: holder.logTag, settings: holder.settings, send, log });
    holder.queue = queue;
  }
  return queue;
}

/** A stopping worker sends what its queues hold (bounded by the worker's drain timeout). */
async function drainQueues(): Promise<void> {
  for (const q of queues.values()) q.flushNow();
  await until(() => [...queues.values()].every((q) => q.idle));
}
