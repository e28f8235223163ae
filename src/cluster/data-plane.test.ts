import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconnectDelay } from './data-plane.ts';

test('reconnect back-off doubles from 1 s to a 30 s ceiling, jittered within the upper half', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 40].map((n) => reconnectDelay(n, 0)), [500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 40].map((n) => reconnectDelay(n, 0.999_999)).map(Math.round), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  // Two data planes drawing different random numbers retry at different times.
  assert.notEqual(reconnectDelay(3, 0.1), reconnectDelay(3, 0.7));
});
