/** The remembered header values: bounded in count and length, oldest dropped first. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProvenHeaders, PROVEN_HEADERS_CAPACITY, PROVEN_HEADER_MAX_LENGTH } from './proven-headers.ts';

test('remembers up to its capacity, dropping the oldest first', () => {
  const proven = new ProvenHeaders<string>(3, 100);
  for (const value of ['a', 'b', 'c']) proven.add(value, value.toUpperCase());
  assert.equal(proven.get('a'), 'A');
  proven.add('d', 'D');
  assert.equal(proven.size, 3);
  assert.equal(proven.get('a'), undefined, 'the oldest went, even though it was read');
  assert.deepEqual(['b', 'c', 'd'].map((v) => proven.get(v)), ['B', 'C', 'D']);
  proven.add('b', 'other');
  assert.equal(proven.get('b'), 'B', 'a value keeps what it first proved');
  assert.equal(proven.size, 3);
});

test('values longer than the bound are not remembered', () => {
  const proven = new ProvenHeaders<number>(10, 8);
  proven.add('12345678', 1);
  proven.add('123456789', 2);
  assert.equal(proven.get('12345678'), 1);
  assert.equal(proven.get('123456789'), undefined);
  assert.equal(proven.size, 1);
});

test('the default bound keeps the worst case small (a few MB per snapshot and worker)', () => {
  assert.ok(PROVEN_HEADERS_CAPACITY * PROVEN_HEADER_MAX_LENGTH * 2 <= 8 * 1024 * 1024);
  const proven = new ProvenHeaders<number>();
  for (let i = 0; i < PROVEN_HEADERS_CAPACITY + 50; i++) proven.add(`Basic ${i}`, i);
  assert.equal(proven.size, PROVEN_HEADERS_CAPACITY);
  assert.equal(proven.get('Basic 0'), undefined);
  assert.equal(proven.get(`Basic ${PROVEN_HEADERS_CAPACITY + 49}`), PROVEN_HEADERS_CAPACITY + 49);
  proven.add(`Basic ${'x'.repeat(PROVEN_HEADER_MAX_LENGTH)}`, -1);
  assert.equal(proven.get(`Basic ${'x'.repeat(PROVEN_HEADER_MAX_LENGTH)}`), undefined);
});
