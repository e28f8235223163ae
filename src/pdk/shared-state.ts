/**
 * Node-wide shared state, what Kong's `lua_shared_dict` gives its workers: counters, a bounded cache and a
 * metrics registry that every worker of one node sees at once. The PDK exposes these interfaces; the runtime
 * provides the implementation (`src/shared-state/`).
 */

/** Counters with atomic increment and expiry, exact across all workers of a node. */
export interface SharedCounters {
  /**
   * Adds `by` to counter `key` and resolves to the new value. A counter that does not exist (or has expired)
   * starts at 0 and expires `ttlMs` after this call; 0 means it never expires. Increments by every worker are
   * applied one at a time, so the values they see are distinct.
   */
  incr(key: string, by: number, ttlMs: number): Promise<number>;
  /** The counter's value, 0 when it does not exist or has expired. */
  get(key: string): Promise<number>;
  /** Removes a counter. */
  delete(key: string): Promise<void>;
  /**
   * The same counters answered synchronously, when this process holds the node's counters itself (a node with
   * one worker); null when every call is a round trip. Lets a hot path skip a promise; exactness is the same.
   */
  immediate?(): ImmediateCounters | null;
}

/** `SharedCounters` answered at once (see `SharedCounters.immediate`). */
export interface ImmediateCounters {
  incrNow(key: string, by: number, ttlMs: number): number;
  getNow(key: string): number;
}

/** A value the shared cache keeps: bytes or text, returned as it was stored. */
export type SharedValue = string | Uint8Array;

/** A key-value cache with a memory bound and least-recently-used eviction, shared by all workers of a node. */
export interface SharedCache {
  /** The value, or undefined when absent, expired or evicted; a hit makes it the most recently used. */
  get(key: string): Promise<SharedValue | undefined>;
  /** Stores a value for `ttlMs` (0: until evicted), evicting the least recently used entries to stay in bounds. */
  set(key: string, value: SharedValue, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Removes every entry whose key starts with `prefix` (all entries for ''). */
  purge(prefix: string): Promise<void>;
}

/** Label values in the order of the metric's `labelNames`. */
export type LabelValues = readonly string[];

export interface MetricDefinition {
  /** Prometheus name (`kong_http_requests_total`). */
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
}

export interface CounterMetric {
  inc(labels: LabelValues, by?: number): void;
}

export interface GaugeMetric {
  set(labels: LabelValues, value: number): void;
  inc(labels: LabelValues, by?: number): void;
}

export interface HistogramMetric {
  observe(labels: LabelValues, value: number): void;
}

/**
 * Metrics summed over every worker of the node when scraped. Updates are local to the worker (no message per
 * request) and reach the node's registry in batches; defining the same name twice returns the same metric.
 */
export interface MetricsRegistry {
  counter(def: MetricDefinition): CounterMetric;
  gauge(def: MetricDefinition): GaugeMetric;
  histogram(def: MetricDefinition & { readonly buckets: readonly number[] }): HistogramMetric;
}

/** What a worker offers plugins for the whole node (`init_worker` receives it; the PDK exposes it). */
export interface NodeServices {
  readonly counters: SharedCounters;
  readonly cache: SharedCache;
  readonly metrics: MetricsRegistry;
}
