/** Window arithmetic shared by the rate-limiting plugins, without a clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { previousWeight, previousWindow, resetSeconds, slidingRetryAfter, slidingUsage, windowAt } from './windows.ts';

const T = Date.UTC(2024, 1, 29, 13, 45, 30, 250); // 2024-02-29T13:45:30.250Z, a leap day

test('windows start where Kong starts them, in UTC', () => {
  assert.deepEqual(windowAt('second', T), { start: Date.UTC(2024, 1, 29, 13, 45, 30), end: Date.UTC(2024, 1, 29, 13, 45, 31) });
  assert.deepEqual(windowAt('minute', T), { start: Date.UTC(2024, 1, 29, 13, 45), end: Date.UTC(2024, 1, 29, 13, 46) });
  assert.deepEqual(windowAt('hour', T), { start: Date.UTC(2024, 1, 29, 13), end: Date.UTC(2024, 1, 29, 14) });
  assert.deepEqual(windowAt('day', T), { start: Date.UTC(2024, 1, 29), end: Date.UTC(2024, 2, 1) });
  assert.deepEqual(windowAt('month', T), { start: Date.UTC(2024, 1, 1), end: Date.UTC(2024, 2, 1) });
  assert.deepEqual(windowAt('year', T), { start: Date.UTC(2024, 0, 1), end: Date.UTC(2025, 0, 1) });
  // December rolls into the next year.
  assert.deepEqual(windowAt('month', Date.UTC(2023, 11, 31, 23, 59)), { start: Date.UTC(2023, 11, 1), end: Date.UTC(2024, 0, 1) });
  // The last millisecond of a window is in it; the next is not.
  const w = windowAt('minute', T);
  assert.deepEqual(windowAt('minute', w.end - 1), w);
  assert.equal(windowAt('minute', w.end).start, w.end);
});

test('previous windows, month lengths included', () => {
  assert.deepEqual(previousWindow('month', windowAt('month', Date.UTC(2024, 2, 15))), { start: Date.UTC(2024, 1, 1), end: Date.UTC(2024, 2, 1) });
  assert.deepEqual(previousWindow('year', windowAt('year', T)), { start: Date.UTC(2023, 0, 1), end: Date.UTC(2024, 0, 1) });
  assert.deepEqual(previousWindow('hour', windowAt('hour', T)), { start: Date.UTC(2024, 1, 29, 12), end: Date.UTC(2024, 1, 29, 13) });
});

test('reset: the window length less the whole seconds elapsed, at least 1', () => {
  assert.equal(resetSeconds(windowAt('minute', T), T), 30); // 30.25 s elapsed
  assert.equal(resetSeconds(windowAt('hour', T), T), 3600 - (45 * 60 + 30));
  assert.equal(resetSeconds(windowAt('second', T), T), 1);
  const w = windowAt('minute', T);
  assert.equal(resetSeconds(w, w.start), 60);
  assert.equal(resetSeconds(w, w.end - 1), 1);
  // February 2024 has 29 days: its last day resets within a day.
  assert.ok(resetSeconds(windowAt('month', T), T) <= 86_400);
});

test('sliding usage: the previous window fades out linearly', () => {
  const w = windowAt('minute', T);
  assert.equal(previousWeight(w, w.start), 1);
  assert.equal(previousWeight(w, w.start + 15_000), 0.75);
  assert.equal(slidingUsage(10, 2, 0.75), 9); // floor(7.5) + 2
  assert.equal(slidingUsage(0, 4, 0.3), 4);
  assert.equal(slidingUsage(3, 0, 0.5), 1);
});

test('sliding retry-after: when one more request fits', () => {
  const w = windowAt('minute', T); // 30.25 s elapsed, weight ~0.496
  // limit 10, current 5, previous 20: allowed once 20 * weight < 5, weight < 0.25, i.e. 45 s into the minute.
  assert.equal(slidingRetryAfter('minute', w, T, 10, 20, 5), 15);
  // The current window alone is full: 10 requests weigh below 10 just after the next minute starts.
  assert.equal(slidingRetryAfter('minute', w, T, 10, 0, 10), 30);
  // 20 in this minute: the next minute must be half over.
  assert.equal(slidingRetryAfter('minute', w, T, 10, 0, 20), 60);
  assert.equal(slidingRetryAfter('minute', w, T, 10, 0, 3), 1);
});

