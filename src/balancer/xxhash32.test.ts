import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xxhash32 } from './xxhash32.ts';

test('XXH32 with seed 0 matches the reference test vectors', () => {
  // Values from the xxHash reference implementation (xxhsum -H0).
  assert.equal(xxhash32(''), 0x02cc5d05);
  assert.equal(xxhash32('a'), 0x550d7456);
  assert.equal(xxhash32('abc'), 0x32d153ff);
  assert.equal(xxhash32('Nobody inspects the spammish repetition'), 0xe2293b2f);
  assert.equal(xxhash32('The quick brown fox jumps over the lazy dog'), 0xe85ea4de);
});
