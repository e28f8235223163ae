/**
 * Kong's dynamic log level: `PUT /debug/node/log-level/{level}` changes the level of the supervisor and of
 * every worker (workers started later get it too) for `timeout` seconds, then the configured level comes
 * back; 0 keeps it until the next change or restart. A cluster-wide change also goes to every node on the
 * same database, through the store's events.
 */
import { LOG_LEVELS, type Logger, type LogLevel } from '../log/logger.ts';
import type { ClusterEvent, Store } from '../store/types.ts';

/** Kong's default for `?timeout=`, in seconds. */
export const DEFAULT_LOG_LEVEL_TIMEOUT = 60;

export type LogLevelOutcome = { status: 'changed' } | { status: 'unchanged' } | { status: 'failed'; message: string };

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export class LogLevelControl {
  readonly #log: Logger;
  readonly #configured: LogLevel;
  readonly #nodeId: string;
  /** Tells every running worker; workers started later read `current` in their init message. */
  readonly #toWorkers: (level: LogLevel) => void;
  #revertTimer: NodeJS.Timeout | null = null;
  #unsubscribe: (() => void) | null = null;

  constructor(log: Logger, nodeId: string, toWorkers: (level: LogLevel) => void) {
    this.#log = log;
    this.#configured = log.level;
    this.#nodeId = nodeId;
    this.#toWorkers = toWorkers;
  }

  get current(): LogLevel {
    return this.#log.level;
  }

  /** Applies changes other nodes broadcast on `store`. */
  listen(store: Store): void {
    this.#unsubscribe = store.onClusterEvent((event) => {
      if (event.kind !== 'log_level' || event.origin === this.#nodeId || !isLogLevel(event.level)) return;
      if (event.level === this.current) return;
      this.#apply(event.level, event.timeout);
      this.#log.notice(`log level set to '${event.level}' by node ${event.origin} for the cluster`);
    });
  }

  /** Sets `level` on this node, and on every node of `store` when given (a cluster-wide change). */
  async set(level: LogLevel, timeoutSeconds: number, store: Store | null): Promise<LogLevelOutcome> {
    if (level === this.current) return { status: 'unchanged' };
    this.#apply(level, timeoutSeconds);
    if (store !== null) {
      const event: ClusterEvent = { kind: 'log_level', origin: this.#nodeId, level, timeout: timeoutSeconds };
      try {
        await store.broadcast(event);
      } catch (err) {
        return { status: 'failed', message: `failed broadcasting to cluster: ${(err as Error).message}` };
      }
    }
    return { status: 'changed' };
  }

  #apply(level: LogLevel, timeoutSeconds: number): void {
    if (this.#revertTimer !== null) clearTimeout(this.#revertTimer);
    this.#revertTimer = null;
    this.#setEverywhere(level);
    if (timeoutSeconds > 0) {
      this.#revertTimer = setTimeout(() => {
        this.#revertTimer = null;
        this.#setEverywhere(this.#configured);
      }, timeoutSeconds * 1000);
      this.#revertTimer.unref();
    }
  }

  #setEverywhere(level: LogLevel): void {
    this.#log.level = level;
    this.#toWorkers(level);
  }

  stop(): void {
    if (this.#revertTimer !== null) clearTimeout(this.#revertTimer);
    this.#revertTimer = null;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }
}
