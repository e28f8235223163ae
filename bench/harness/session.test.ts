import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rotate } from './session.ts';

test('rotate shifts the order each round so nobody always goes first', () => {
  assert.deepEqual(rotate(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
  assert.deepEqual(rotate(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
  assert.deepEqual(rotate(['a', 'b', 'c'], 4), ['b', 'c', 'a']);
  assert.deepEqual(rotate([], 3), []);
});
