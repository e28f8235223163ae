import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, range, ratio, difference, formatNumber, formatMicrosAsMillis, formatRatio } from './stats.ts';

test('median of odd and even counts, ignoring missing values', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([undefined, 5, Number.NaN, 7]), 6);
  assert.equal(median([]), undefined);
  assert.equal(median([undefined]), undefined);
});

test('median does not reorder its input', () => {
  const input = [3, 1, 2];
  median(input);
  assert.deepEqual(input, [3, 1, 2]);
});

test('range reports min and max', () => {
  assert.deepEqual(range([5, undefined, 1, 9]), { min: 1, max: 9 });
  assert.equal(range([]), undefined);
});

test('ratio and difference refuse missing or non-positive denominators', () => {
  assert.equal(ratio(10, 4), 2.5);
  assert.equal(ratio(10, 0), undefined);
  assert.equal(ratio(undefined, 4), undefined);
  assert.equal(ratio(10, undefined), undefined);
  assert.equal(difference(10, 4), 6);
  assert.equal(difference(10, undefined), undefined);
});

test('formatting shows gaps as a dash and uses fixed decimals', () => {
  assert.equal(formatNumber(12345.678, 0), '12,346');
  assert.equal(formatNumber(undefined, 2), '—');
  assert.equal(formatMicrosAsMillis(1234), '1.23');
  assert.equal(formatMicrosAsMillis(undefined), '—');
  assert.equal(formatRatio(0.5), '0.50×');
  assert.equal(formatRatio(undefined), '—');
});
