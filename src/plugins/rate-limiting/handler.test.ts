/** Window arithmetic and the verdict of rate-limiting, without a clock or a counter store. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { previousWeight, previousWindow, resetSeconds, slidingRetryAfter, slidingUsage, windowAt } from '../ratelimit-common/windows.ts';
import { counterRefs, judge, windowsAt } from './handler.ts';

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

const minuteAndHour = {
  limits: [
    { period: 'minute' as const, limit: 3, limitHeader: 'X-RateLimit-Limit-Minute', remainingHeader: 'X-RateLimit-Remaining-Minute' },
    { period: 'hour' as const, limit: 5, limitHeader: 'X-RateLimit-Limit-Hour', remainingHeader: 'X-RateLimit-Remaining-Hour' },
  ],
  keyPrefix: 'ratelimit:r:s:',
  sliding: false,
};

test("judge: Kong's headers for the most constrained window", () => {
  const windows = windowsAt(minuteAndHour, T);
  const first = judge(minuteAndHour, windows, { current: [1, 1], previous: [0, 0] }, T);
  assert.equal(first.refused, false);
  assert.deepEqual(first.headers, {
    'X-RateLimit-Limit-Minute': 3,
    'X-RateLimit-Remaining-Minute': 2,
    'X-RateLimit-Limit-Hour': 5,
    'X-RateLimit-Remaining-Hour': 4,
    'RateLimit-Limit': 3,
    'RateLimit-Remaining': 2,
    'RateLimit-Reset': 30,
  });
  // The hour is the tighter one: 4 used this hour, 1 this minute.
  const hourBound = judge(minuteAndHour, windows, { current: [2, 5], previous: [0, 0] }, T);
  assert.equal(hourBound.refused, false);
  assert.equal(hourBound.headers['RateLimit-Limit'], 5);
  assert.equal(hourBound.headers['RateLimit-Remaining'], 0);
  assert.equal(hourBound.headers['RateLimit-Reset'], 3600 - (45 * 60 + 30));
  // A tie goes to the longer window.
  const tie = judge(minuteAndHour, windows, { current: [3, 5], previous: [0, 0] }, T);
  assert.equal(tie.headers['RateLimit-Limit'], 5);
  // Over the minute's limit: refused, Retry-After is the minute's reset.
  const refused = judge(minuteAndHour, windows, { current: [4, 4], previous: [0, 0] }, T);
  assert.equal(refused.refused, true);
  assert.equal(refused.headers['X-RateLimit-Remaining-Minute'], 0);
  assert.equal(refused.headers['X-RateLimit-Remaining-Hour'], 2);
  assert.equal(refused.headers['Retry-After'], 30);
});

test('judge: a sliding window counts the weighted previous window', () => {
  const conf = { ...minuteAndHour, limits: [minuteAndHour.limits[0]], sliding: true };
  const windows = windowsAt(conf, T);
  // weight ~0.496: floor(4 * 0.496) = 1 from the previous minute, plus 1 before this request.
  const ok = judge(conf, windows, { current: [2], previous: [4] }, T);
  assert.equal(ok.refused, false);
  assert.equal(ok.headers['X-RateLimit-Remaining-Minute'], 0);
  const refused = judge(conf, windows, { current: [3], previous: [4] }, T);
  assert.equal(refused.refused, true);
  assert.ok(refused.headers['Retry-After'] >= 1 && refused.headers['Retry-After'] <= 90);
});

test("counter keys as Kong's, with the previous window for sliding ones", () => {
  const windows = windowsAt(minuteAndHour, T);
  const fixed = counterRefs(minuteAndHour, 'id', windows);
  assert.deepEqual(fixed[0], {
    key: `ratelimit:r:s:id:${windows[0].start}:minute`,
    expiresAt: windows[0].end,
    previousKey: null,
    identifier: 'id',
    period: 'minute',
    start: windows[0].start,
    previousStart: null,
  });
  const sliding = counterRefs({ ...minuteAndHour, sliding: true }, 'id', windows);
  assert.equal(sliding[1].previousKey, `ratelimit:r:s:id:${windows[1].start - 3_600_000}:hour`);
  assert.equal(sliding[1].expiresAt, windows[1].end + 3_600_000);
});
