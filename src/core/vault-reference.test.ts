import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isReference, parseReference } from './vault-reference.ts';

test('isReference: Kong\'s look, `{vault://` to `}`', () => {
  assert.equal(isReference('{vault://env/my-secret}'), true);
  assert.equal(isReference('{vault://env/my-secret'), false);
  assert.equal(isReference('vault://env/my-secret'), false);
  assert.equal(isReference('{vault://}'), false);
  assert.equal(isReference(42), false);
});

test('parseReference: vault, resource, key, query options, version', () => {
  const simple = parseReference('{vault://env/my-secret}');
  assert.deepEqual(simple, { reference: '{vault://env/my-secret}', vault: 'env', resource: 'my-secret', key: null, config: {}, version: null });
  const full = parseReference('{vault://App-Env/db/password?prefix=PROD_#2}');
  assert.ok(typeof full !== 'string');
  assert.equal(full.vault, 'App-Env', 'the prefix keeps its spelling');
  assert.equal(full.resource, 'db');
  assert.equal(full.key, 'password');
  assert.deepEqual(full.config, { prefix: 'PROD_' });
  assert.equal(full.version, 2);
  const directory = parseReference('{vault://files/a/b/}');
  assert.ok(typeof directory !== 'string');
  assert.deepEqual([directory.resource, directory.key], ['a/b', null]);
  const encoded = parseReference('{vault://files/%2e%2e%2fetc}');
  assert.ok(typeof encoded !== 'string');
  assert.equal(encoded.resource, '../etc', 'decoded here; the file backend refuses it');
});

test('parseReference: errors name the reference', () => {
  assert.equal(parseReference('{vault://env/}'), 'reference url has empty path [{vault://env/}]');
  assert.equal(parseReference('{vault://env}'), 'reference url has empty path [{vault://env}]');
  assert.equal(parseReference('{vault://env/x#two}'), 'reference url has invalid version [{vault://env/x#two}]');
  assert.equal(parseReference('not one'), 'not a reference [not one]');
});
