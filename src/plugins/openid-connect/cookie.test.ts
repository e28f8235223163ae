import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withoutCookie } from './tokens.ts';

test('withoutCookie drops only the named cookie, across several Cookie headers', () => {
  assert.equal(withoutCookie(['a=1; at=tok; b=2'], 'at'), 'a=1; b=2');
  assert.equal(withoutCookie(['at=tok'], 'at'), null);
  assert.equal(withoutCookie(['a=1', 'at=tok;b=2'], 'at'), 'a=1; b=2');
  // A cookie whose name merely starts with the name stays.
  assert.equal(withoutCookie(['at2=x; at=tok'], 'at'), 'at2=x');
});
