import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CounterStore } from './counter-store.ts';
import { CacheTooLargeError, ENTRY_OVERHEAD_BYTES, LruCache } from './lru-cache.ts';

const text = (s: string) => ({ bytes: new Uint8Array(Buffer.from(s)), text: true });

test('counters: incr returns each new value, starts at 0 and counts by any amount', () => {
  const c = new CounterStore();
  assert.equal(c.incr('a', 1, 0, 1000), 1);
  assert.equal(c.incr('a', 1, 0, 1000), 2);
  assert.equal(c.incr('a', 5, 0, 1000), 7);
  assert.equal(c.incr('a', -2, 0, 1000), 5);
  assert.equal(c.get('a', 1000), 5);
  assert.equal(c.get('missing', 1000), 0);
  c.delete('a');
  assert.equal(c.get('a', 1000), 0);
});

test('counters: the ttl is set by the call that creates the counter; an expired counter reads 0 and restarts', () => {
  const c = new CounterStore();
  assert.equal(c.incr('rl', 1, 60_000, 0), 1);
  // Later increments do not extend the window.
  assert.equal(c.incr('rl', 1, 60_000, 30_000), 2);
  assert.equal(c.get('rl', 59_999), 2);
  assert.equal(c.get('rl', 60_000), 0, 'expired on read');
  assert.equal(c.incr('rl', 1, 60_000, 60_001), 1, 'restarts');
  assert.equal(c.get('rl', 120_000), 1);
  assert.equal(c.get('rl', 120_001), 0);
  // ttl 0: never expires
  c.incr('forever', 3, 0, 0);
  assert.equal(c.get('forever', Number.MAX_SAFE_INTEGER), 3);
});

test('counters: the sweep removes expired counters so dead keys do not accumulate', () => {
  const c = new CounterStore();
  for (let i = 0; i < 1000; i++) c.incr(`k${i}`, 1, i < 900 ? 10 : 0, 0);
  assert.equal(c.size, 1000);
  assert.equal(c.sweep(5), 0);
  assert.equal(c.sweep(10), 900);
  assert.equal(c.size, 100);
});

test('cache: values come back as they were stored, text or bytes', () => {
  const cache = new LruCache(1 << 20);
  cache.set('t', text('héllo'), 0, 0);
  cache.set('b', { bytes: Uint8Array.of(0, 1, 255), text: false }, 0, 0);
  assert.deepEqual(cache.get('t', 0), { ...text('héllo'), expiresAt: 0, size: LruCache.entrySize('t', text('héllo').bytes) });
  assert.equal(cache.get('b', 0)!.text, false);
  assert.deepEqual([...cache.get('b', 0)!.bytes], [0, 1, 255]);
  assert.equal(cache.get('none', 0), undefined);
});

test('cache: entries expire on read and in the sweep', () => {
  const cache = new LruCache(1 << 20);
  cache.set('short', text('x'), 100, 1000);
  cache.set('long', text('y'), 0, 1000);
  assert.ok(cache.get('short', 1099));
  assert.equal(cache.get('short', 1100), undefined);
  cache.set('short2', text('x'), 100, 1000);
  assert.equal(cache.size, 2);
  assert.equal(cache.sweep(2000), 1);
  assert.equal(cache.size, 1);
  assert.equal(cache.bytes, LruCache.entrySize('long', text('y').bytes));
});

test('cache: the bound is in bytes and the least recently used entries go first', () => {
  const value = text('v'.repeat(100));
  const entry = LruCache.entrySize('k0', value.bytes);
  assert.equal(entry, 2 + 100 + ENTRY_OVERHEAD_BYTES);
  const cache = new LruCache(entry * 3);
  cache.set('k0', value, 0, 0);
  cache.set('k1', value, 0, 0);
  cache.set('k2', value, 0, 0);
  assert.equal(cache.bytes, entry * 3);
  assert.ok(cache.get('k0', 0), 'k0 is now the most recently used');
  cache.set('k3', value, 0, 0);
  assert.equal(cache.get('k1', 0), undefined, 'k1 was the least recently used');
  assert.ok(cache.get('k0', 0));
  assert.ok(cache.get('k2', 0));
  assert.ok(cache.get('k3', 0));
  assert.equal(cache.evictions, 1);
  // A larger value evicts as many entries as it needs.
  cache.set('big', text('v'.repeat(100 + entry)), 0, 0);
  assert.ok(cache.bytes <= entry * 3);
  assert.equal(cache.size, 1);
  assert.equal(cache.evictions, 4);
});

test('cache: replacing a value frees the old bytes; expired entries go before live ones are evicted', () => {
  const value = text('v'.repeat(100));
  const entry = LruCache.entrySize('k0', value.bytes);
  const cache = new LruCache(entry * 2);
  cache.set('k0', value, 0, 0);
  cache.set('k0', value, 0, 0);
  assert.equal(cache.bytes, entry);
  cache.set('k1', value, 10, 0);
  cache.set('k2', value, 0, 20);
  assert.ok(cache.get('k0', 20), 'the live entry stayed: the expired one made room');
  assert.equal(cache.evictions, 0);
});

test('cache: a value larger than the whole bound is refused with the setting to raise', () => {
  const cache = new LruCache(1000);
  cache.set('k', text('small'), 0, 0);
  assert.throws(() => cache.set('k', text('x'.repeat(2000)), 0, 0), (err: Error) => err instanceof CacheTooLargeError && /mem_cache_size/.test(err.message));
  assert.equal(cache.get('k', 0), undefined, 'the old value under that key is gone too');
  assert.equal(cache.bytes, 0);
});

test('cache: purge removes the entries under a prefix, or everything', () => {
  const cache = new LruCache(1 << 20);
  for (const k of ['a:1', 'a:2', 'ab', 'b:1']) cache.set(k, text(k), 0, 0);
  assert.equal(cache.purge('a:'), 2);
  assert.deepEqual(['a:1', 'a:2', 'ab', 'b:1'].map((k) => cache.get(k, 0) !== undefined), [false, false, true, true]);
  assert.equal(cache.purge(''), 2);
  assert.equal(cache.size, 0);
  assert.equal(cache.bytes, 0);
});
