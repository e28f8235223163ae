/**
 * One target's health as Kong's health checker keeps it: consecutive outcomes are counted per kind, and a
 * count reaching its threshold flips the target (a threshold of 0 never does). A success clears the failure
 * counts and a failure clears the success count, so only unbroken runs count. Active probes and passive
 * (proxied traffic) observations feed the same state, each with its own thresholds.
 */
export type HealthOutcome = 'success' | 'tcp_failure' | 'timeout' | 'http_failure';

export interface HealthThresholds {
  /** Successes in a row that make an unhealthy target healthy. */
  successes: number;
  tcp_failures: number;
  timeouts: number;
  http_failures: number;
}

export class TargetHealth {
  healthy = true;
  #successes = 0;
  #tcpFailures = 0;
  #timeouts = 0;
  #httpFailures = 0;

  /** Counts an outcome; returns true when it changed the target's state. */
  record(outcome: HealthOutcome, t: HealthThresholds): boolean {
    if (outcome === 'success') {
      this.#tcpFailures = this.#timeouts = this.#httpFailures = 0;
      this.#successes++;
      if (!this.healthy && t.successes > 0 && this.#successes >= t.successes) return this.set(true);
      return false;
    }
    this.#successes = 0;
    let count: number;
    let limit: number;
    if (outcome === 'tcp_failure') {
      count = ++this.#tcpFailures;
      limit = t.tcp_failures;
    } else if (outcome === 'timeout') {
      count = ++this.#timeouts;
      limit = t.timeouts;
    } else {
      count = ++this.#httpFailures;
      limit = t.http_failures;
    }
    if (this.healthy && limit > 0 && count >= limit) return this.set(false);
    return false;
  }

  /** Sets the state (an operator's override, or a threshold reached) and starts counting afresh. */
  set(healthy: boolean): boolean {
    this.#successes = this.#tcpFailures = this.#timeouts = this.#httpFailures = 0;
    if (this.healthy === healthy) return false;
    this.healthy = healthy;
    return true;
  }
}
