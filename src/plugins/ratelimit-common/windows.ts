/**
 * Window arithmetic for rate-limiting, in UTC as Kong's `kong.tools.timestamp` has it: second, minute, hour
 * and day windows start at multiples of their length; month and year windows at the first day of the calendar
 * month and year. Pure functions of a millisecond timestamp, so they are unit-tested without a clock.
 */

export const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
export type Period = (typeof PERIODS)[number];

/** The capitalised period in Kong's `X-RateLimit-Limit-<Period>` headers. */
export const PERIOD_TITLES: Readonly<Record<Period, string>> = {
  second: 'Second',
  minute: 'Minute',
  hour: 'Hour',
  day: 'Day',
  month: 'Month',
  year: 'Year',
};

const FIXED_MS: Readonly<Record<'second' | 'minute' | 'hour' | 'day', number>> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/** One window: `start` inclusive, `end` exclusive, in epoch milliseconds. */
export interface Window {
  readonly start: number;
  readonly end: number;
}

/** The window of `period` that contains `now`. */
export function windowAt(period: Period, now: number): Window {
  if (period === 'month' || period === 'year') {
    const d = new Date(now);
    const year = d.getUTCFullYear();
    if (period === 'year') return { start: Date.UTC(year, 0, 1), end: Date.UTC(year + 1, 0, 1) };
    const month = d.getUTCMonth();
    return { start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
  }
  const len = FIXED_MS[period];
  const start = Math.floor(now / len) * len;
  return { start, end: start + len };
}

/** The window just before `w` (what a sliding window weighs in). */
export function previousWindow(period: Period, w: Window): Window {
  return windowAt(period, w.start - 1);
}

/**
 * Seconds until the window ends, as Kong counts them: the window's length in seconds minus the whole seconds
 * elapsed, at least 1.
 */
export function resetSeconds(w: Window, now: number): number {
  return Math.max(1, Math.round((w.end - w.start) / 1000) - Math.floor((now - w.start) / 1000));
}

/** The share of the previous window a sliding window still covers at `now`: 1 at the start, 0 at the end. */
export function previousWeight(w: Window, now: number): number {
  return (w.end - now) / (w.end - w.start);
}

/**
 * Requests a sliding window has seen before this one: the previous window's count weighted by how much of it
 * still overlaps (rounded down), plus the current window's.
 */
export function slidingUsage(previous: number, currentBefore: number, weight: number): number {
  return Math.floor(previous * weight) + currentBefore;
}

/**
 * Seconds until a sliding window lets one more request through, given the counts that made it refuse this one
 * (rejected requests are not counted). Within the current window the previous count fades out linearly; when
 * the current count alone reaches the limit, the wait runs into the next window, where it fades in turn.
 */
export function slidingRetryAfter(period: Period, w: Window, now: number, limit: number, previous: number, current: number): number {
  let at: number;
  if (current < limit) {
    if (previous <= 0) return 1;
    // floor(previous * weight) + current < limit  <=>  previous * weight < limit - current.
    at = w.end - ((w.end - w.start) * (limit - current)) / previous;
  } else {
    const next = windowAt(period, w.end);
    at = next.end - ((next.end - next.start) * limit) / current;
  }
  return Math.max(1, Math.ceil((at - now) / 1000));
}
