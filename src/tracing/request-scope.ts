/**
 * The trace of the request whose code is running, for work the request starts without handing its context
 * along: a plugin's outgoing HTTP call (`http_client`), a query on the node's database (`db_query`), a resolver
 * lookup before an upstream connection (`dns_query`). Kong finds these through the request's `ngx.ctx`; here
 * the proxy runs plugin phases and the upstream call inside the request's scope, but only when one of these
 * instrumentations is on, so other requests pay nothing.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { INSTRUMENT } from './instrumentations.ts';
import type { RequestTrace } from './trace.ts';

/** Instrumentations that need the request's scope to find their trace. */
export const SCOPED = INSTRUMENT.http_client | INSTRUMENT.db_query | INSTRUMENT.dns_query;

const scope = new AsyncLocalStorage<RequestTrace>();

/**
 * Whether work of this request must enter its scope to record spans: it records one of the scoped
 * instrumentations and is not in its scope already (entering costs a few hundred ns, looking costs little).
 */
export function needsScope(trace: RequestTrace | null): trace is RequestTrace {
  return trace !== null && (trace.mask & SCOPED) !== 0 && scope.getStore() !== trace;
}

/** Whether code of a request that records scoped instrumentations runs inside some request's scope now. */
export function inScope(trace: RequestTrace | null): boolean {
  return trace !== null && (trace.mask & SCOPED) !== 0 && scope.getStore() !== undefined;
}

/** Runs `fn(...args)` with `trace` as the current request's trace (and whatever it schedules). */
export function runInScope<A extends unknown[], R>(trace: RequestTrace, fn: (...args: A) => R, ...args: A): R {
  return scope.run(trace, fn, ...args);
}

/** Runs `fn(...args)` outside any request's scope (work that must not be attributed to, or keep alive, a trace). */
export function runOutsideScope<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
  return scope.exit(fn, ...args);
}

/**
 * The current request's trace when it records `instrumentation` and its spans are not yet ended: work a
 * request scheduled to run after it ended (a timer, a queue's delivery) belongs to no request, as in Kong.
 */
export function scopedTrace(instrumentation: number): RequestTrace | null {
  const trace = scope.getStore();
  if (trace === undefined || trace.ended || (trace.mask & instrumentation) === 0) return null;
  return trace;
}
