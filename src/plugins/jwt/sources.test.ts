import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerToken, cookieValue } from './sources.ts';

test("cookies as nginx's $cookie_<name>: first match, name without case, value as sent", () => {
  assert.equal(cookieValue(['a=1; crumble=tok.en; silly=x'], 'crumble'), 'tok.en');
  assert.equal(cookieValue(['a=1', 'Crumble=v2'], 'crumble'), 'v2');
  assert.equal(cookieValue(['crumbles=1'], 'crumble'), undefined);
  assert.equal(cookieValue([], 'crumble'), undefined);
});

test("Bearer values: either case of the B, spaces around, anywhere in the value (Kong's regex is not anchored)", () => {
  assert.equal(bearerToken('Bearer abc'), 'abc');
  assert.equal(bearerToken('bearer   abc.def'), 'abc.def');
  assert.equal(bearerToken('xBearer abc'), 'abc');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken('Bearer'), undefined);
});
