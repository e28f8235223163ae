/** rate-limiting's verdict and counter keys, without a clock or a counter store. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counterRefs, judge, windowsAt } from './handler.ts';
import { CounterKeyCache, CurrentWindows, windowSetAt } from './current-windows.ts';

const T = Date.UTC(2024, 1, 29, 13, 45, 30, 250); // 2024-02-29T13:45:30.250Z, a leap day

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
  const fixed = counterRefs(minuteAndHour, 'id', windowSetAt(['minute', 'hour'], false, T));
  assert.deepEqual(fixed[0], {
    key: `ratelimit:r:s:id:${windows[0].start}:minute`,
    expiresAt: windows[0].end,
    previousKey: null,
    identifier: 'id',
    period: 'minute',
    start: windows[0].start,
    previousStart: null,
  });
  const sliding = counterRefs(minuteAndHour, 'id', windowSetAt(['minute', 'hour'], true, T));
  assert.equal(sliding[1].previousKey, `ratelimit:r:s:id:${windows[1].start - 3_600_000}:hour`);
  assert.equal(sliding[1].expiresAt, windows[1].end + 3_600_000);
});

test('current windows: worked out once per window, again when any of them ends', () => {
  const clock = new CurrentWindows(['second', 'month'], false);
  const a = clock.at(T);
  assert.equal(clock.at(T + 700), a, 'same second: nothing recomputed');
  assert.deepEqual(a.windows[1], { start: Date.UTC(2024, 1, 1), end: Date.UTC(2024, 2, 1) });
  assert.equal(a.keySuffixes[0], `:${T - 250}:second`);
  assert.deepEqual(a.expiresAt, [T + 750, Date.UTC(2024, 2, 1)]);
  const b = clock.at(T + 750);
  assert.notEqual(b, a, 'the second ended');
  assert.equal(b.keySuffixes[0], `:${T + 750}:second`);
  assert.deepEqual(a.windows[0], { start: T - 250, end: T + 750 }, 'a set a request holds is never changed');
  // The month turns over at midnight UTC on the 1st (2024 is a leap year).
  const march = clock.at(Date.UTC(2024, 2, 1));
  assert.equal(march.keySuffixes[1], `:${Date.UTC(2024, 2, 1)}:month`);
  const sliding = new CurrentWindows(['minute'], true).at(T);
  assert.equal(sliding.previousSuffixes[0], `:${Date.UTC(2024, 1, 29, 13, 44)}:minute`);
  assert.equal(sliding.expiresAt[0], Date.UTC(2024, 1, 29, 13, 47));
});

test('counter keys: the same strings for a client while the windows last, new ones after', () => {
  const clock = new CurrentWindows(['second', 'hour'], true);
  const keys = new CounterKeyCache('ratelimit:r:s:');
  const set = clock.at(T);
  const a = keys.keysFor('c1', set);
  assert.deepEqual(a.current, [`ratelimit:r:s:c1:${T - 250}:second`, `ratelimit:r:s:c1:${Date.UTC(2024, 1, 29, 13)}:hour`]);
  assert.deepEqual(a.previous, [`ratelimit:r:s:c1:${T - 1250}:second`, `ratelimit:r:s:c1:${Date.UTC(2024, 1, 29, 12)}:hour`]);
  assert.equal(keys.keysFor('c1', clock.at(T + 500)), a, 'kept within the windows');
  assert.notEqual(keys.keysFor('c2', set).current[0], a.current[0]);
  const next = keys.keysFor('c1', clock.at(T + 750));
  assert.equal(next.current[0], `ratelimit:r:s:c1:${T + 750}:second`, 'the next second has its own keys');
  // The keys match the store path's (counterRefs), which Redis and the cluster policy use.
  const refs = counterRefs({ limits: [{ ...minuteAndHour.limits[0], period: 'second' }, minuteAndHour.limits[1]], keyPrefix: 'ratelimit:r:s:' }, 'c1', set);
  assert.deepEqual(refs.map((r) => [r.key, r.previousKey]), [[a.current[0], a.previous[0]], [a.current[1], a.previous[1]]]);
});
