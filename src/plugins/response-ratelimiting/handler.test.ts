/** response-ratelimiting's pure parts: reading the upstream's increments and Kong's counter keys. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counterRows, parseIncrements } from './handler.ts';

const byName = new Map([
  ['videos', 0],
  ['images', 1],
]);

test('increments: name=amount pairs, over one or several header lines', () => {
  assert.deepEqual(parseIncrements('videos=2, images=1', byName, 2), [2, 1]);
  assert.deepEqual(parseIncrements(['videos=2', ' images = 3 '], byName, 2), [2, 3]);
  assert.deepEqual(parseIncrements(undefined, byName, 2), [0, 0]);
  // Unknown names, pairs without a value or with two, and amounts that are not numbers are ignored.
  assert.deepEqual(parseIncrements('planets=4, videos, images=1=2, videos=abc', byName, 2), [0, 0]);
  // The last amount named wins, as Kong's table assignment.
  assert.deepEqual(parseIncrements('videos=1, videos=5', byName, 2), [5, 0]);
});

test("counter keys and rows as Kong's", () => {
  const T = Date.UTC(2024, 1, 29, 13, 45, 30, 250);
  const conf = {
    keyPrefix: 'response-ratelimit:r:s:',
    limits: [
      {
        name: 'videos',
        upstreamHeader: 'X-RateLimit-Remaining-videos',
        blockMessage: '',
        periods: [{ period: 'minute' as const, limit: 3, row: 'videos_minute', limitHeader: '', remainingHeader: '' }],
      },
    ],
  };
  const [[row]] = counterRows(conf, '10.0.0.1', T);
  const start = Date.UTC(2024, 1, 29, 13, 45);
  assert.deepEqual(row, { key: `response-ratelimit:r:s:10.0.0.1:${start}:videos:minute`, expiresAt: start + 60_000, identifier: '10.0.0.1', period: 'videos_minute', start });
});
