import assert from 'node:assert/strict';
import { test } from 'node:test';
import { numberPlaceholders } from './driver.ts';

test('? placeholders become $n, except inside quoted text and identifiers', () => {
  assert.equal(numberPlaceholders('SELECT ? , "a?b", \'c?d\' WHERE x = ? AND y IN (?, ?)'), 'SELECT $1 , "a?b", \'c?d\' WHERE x = $2 AND y IN ($3, $4)');
  assert.equal(numberPlaceholders('SELECT 1'), 'SELECT 1');
});
