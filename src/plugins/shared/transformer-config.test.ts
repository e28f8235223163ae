import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHeaderRename, splitPair } from './transformer-config.ts';

test("splitPair: the name up to the first colon, then every colon skipped, as Kong splits", () => {
  assert.deepEqual(splitPair('a:b'), ['a', 'b']);
  assert.deepEqual(splitPair('a:::b:c'), ['a', 'b:c']);
  assert.deepEqual(splitPair('a:'), ['a', '']);
  assert.deepEqual(splitPair('a'), ['a', '']);
  assert.deepEqual(splitPair('x:line\nbreak'), ['x', 'line\nbreak']);
  assert.equal(splitPair(':b'), null);
});

test('checkHeaderRename: both names must be header names', () => {
  assert.equal(checkHeaderRename('X-Old:X-New'), null);
  assert.equal(checkHeaderRename('X Old:X-New'), "'X Old' is not a valid header");
  assert.equal(checkHeaderRename('X-Old:X New'), "'X New' is not a valid header");
  assert.equal(checkHeaderRename(':X-New'), "':X-New' is not a valid header");
  assert.equal(checkHeaderRename('X-Old'), "'' is not a valid header");
});
