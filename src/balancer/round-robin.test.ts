import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoundRobin, weightedSequence } from './round-robin.ts';

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

test('all-zero weights give no picks', () => {
  const rr = new RoundRobin(['a', 'b'], [0, 0]);
  assert.equal(rr.pick(), undefined);
});

test('round robin cycles through equal targets', () => {
  const rr = new RoundRobin(['a', 'b', 'c'], [1, 1, 1]);
  const seen = new Set([rr.pick(), rr.pick(), rr.pick()]);
  assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
});

test('very large weight sums are bounded', () => {
  const seq = weightedSequence([65535, 65534, 3]);
  assert.ok(seq.length <= 10_002);
  assert.ok(seq.includes(2));
});
