import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEntity } from './index.ts';

test('consumers need a username or a custom_id', () => {
  assert.deepEqual(validateEntity('consumers', {}), {
    ok: false,
    errors: { '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"] },
  });
  assert.ok(validateEntity('consumers', { custom_id: 'c1' }).ok);
});
