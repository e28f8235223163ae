import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VerifiedTokenCache } from './cache.ts';

test('an entry lives until its exp, not after', () => {
  const cache = new VerifiedTokenCache<string>();
  cache.set('t', 'v', 105, 100);
  assert.equal(cache.get('t', 104), 'v');
  assert.equal(cache.get('t', 105), undefined);
  assert.equal(cache.size, 0, 'an expired entry is dropped when met');
});

test('tokens already expired, or too long, are not kept; tokens without exp are', () => {
  const cache = new VerifiedTokenCache<string>(10, 16);
  cache.set('expired', 'v', 100, 100);
  cache.set('x'.repeat(17), 'v', null, 100);
  cache.set('forever', 'v', undefined, 100);
  assert.equal(cache.size, 1);
  assert.equal(cache.get('forever', 1e12), 'v');
});

test('bounded: the least recently used entry goes first', () => {
  const cache = new VerifiedTokenCache<number>(2);
  cache.set('a', 1, null, 0);
  cache.set('b', 2, null, 0);
  assert.equal(cache.get('a', 0), 1);
  cache.set('c', 3, null, 0);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('b', 0), undefined);
  assert.equal(cache.get('a', 0), 1);
  assert.equal(cache.get('c', 0), 3);
});
