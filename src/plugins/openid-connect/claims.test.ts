import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimAt, claimValues, compileRequirement, headerValue, registeredClaimsError, satisfies } from './claims.ts';

test('claim paths and values', () => {
  const claims = { scope: 'read write', realm: { roles: ['a', 'b'] }, n: 3 };
  assert.deepEqual(claimAt(claims, ['realm', 'roles']), ['a', 'b']);
  assert.equal(claimAt(claims, ['realm', 'x', 'y']), undefined);
  assert.deepEqual([...claimValues(claims.scope)], ['read', 'write']);
  assert.deepEqual([...claimValues(3)], ['3']);
  assert.deepEqual([...claimValues({})], []);
});

test('requirements: any entry, all of its space-separated values', () => {
  const req = compileRequirement(['read write', 'admin'])!;
  assert.equal(satisfies(req, new Set(['read'])), false);
  assert.equal(satisfies(req, new Set(['read', 'write'])), true);
  assert.equal(satisfies(req, new Set(['admin'])), true);
  assert.equal(compileRequirement([]), null);
  assert.equal(compileRequirement(null), null);
});

test('exp, nbf with leeway and the issuer', () => {
  const iss = new Set(['https://op']);
  assert.equal(registeredClaimsError({ exp: 100, iss: 'https://op' }, 99, 0, iss), null);
  assert.equal(registeredClaimsError({ exp: 100 }, 100, 0, null), 'token has expired');
  assert.equal(registeredClaimsError({ exp: 100 }, 104, 5, null), null);
  assert.equal(registeredClaimsError({ nbf: 100 }, 95, 0, null), 'token is not yet valid');
  assert.equal(registeredClaimsError({ nbf: 100 }, 95, 5, null), null);
  assert.equal(registeredClaimsError({ iss: 'https://evil' }, 0, 0, iss), 'invalid issuer');
  assert.equal(registeredClaimsError({ exp: 'soon' }, 0, 0, null), 'invalid exp claim');
});

test('header values', () => {
  assert.equal(headerValue('x'), 'x');
  assert.equal(headerValue(['a', 'b']), 'a, b');
  assert.equal(headerValue({ a: 1 }), '{"a":1}');
  assert.equal(headerValue(undefined), null);
});
