/**
 * The one clock spans are timed with. A request's start is a performance.now() reading (the proxy takes no
 * wall-clock reading per request), so every span of its trace is read from the same monotonic clock mapped to
 * the epoch: mixing it with Date.now() (whole milliseconds, and free to drift from the monotonic clock) let a
 * child span end after its parent.
 */

/** Wall-clock ms (fractional) of a performance.now() reading. */
export function wallMs(perfNow: number): number {
  return performance.timeOrigin + perfNow;
}

/** Now, on the spans' clock: wall-clock ms, fractional. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
