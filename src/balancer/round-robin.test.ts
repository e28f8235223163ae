import { test } from 'node:test';
import assert from 'node:assert/strict';
import { weightedSequence } from './round-robin.ts';

test('weighted sequence honours weights and skips zero weights', () => {
  const seq = weightedSequence([100, 0, 300]);
  assert.equal(seq.length, 4);
  assert.equal(seq.filter((i) => i === 0).length, 1);
  assert.equal(seq.filter((i) => i === 2).length, 3);
  assert.ok(!seq.includes(1));
});

test('smooth weighted round-robin spreads the heavy target', () => {
  assert.deepEqual(weightedSequence([5, 1, 1]), [0, 0, 1, 0, 2, 0, 0]);
});

test('very large weight sums are bounded', () => {
  const seq = weightedSequence([65535, 65534, 3]);
  assert.ok(seq.length <= 10_002);
  assert.ok(seq.includes(2));
});
