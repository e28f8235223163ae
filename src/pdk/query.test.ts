import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery, withoutQueryArg } from './query.ts';

test('parseQuery: bare names are true, repeats are arrays, values decoded', () => {
  const q = parseQuery('a=1&b&a=x%20y&c=d+e');
  assert.deepEqual(q.get('a'), ['1', 'x y']);
  assert.equal(q.get('b'), true);
  assert.equal(q.get('c'), 'd e');
});

test('withoutQueryArg keeps the other arguments raw and drops an empty query', () => {
  assert.equal(withoutQueryArg('/p?a=%41&k=1&b', 'k'), '/p?a=%41&b');
  assert.equal(withoutQueryArg('/p?k=1', 'k'), '/p');
  assert.equal(withoutQueryArg('/p', 'k'), '/p');
});
