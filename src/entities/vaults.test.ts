import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEntity } from './index.ts';
import { RSA_CRT } from './test-pem-fixtures.ts';

const errors = (name: 'vaults' | 'certificates', input: Record<string, unknown>) => {
  const result = validateEntity(name, input, { context: 'insert' });
  assert.ok(!result.ok, JSON.stringify(input));
  return result.errors;
};

test('vaults: a prefix, a bundled backend and its config (with the cache fields)', () => {
  const env = validateEntity('vaults', { prefix: 'app-env', name: 'env', config: { prefix: 'APP_', ttl: 60 } }, { context: 'insert' });
  assert.ok(env.ok);
  assert.deepEqual(env.value.config, { prefix: 'APP_', ttl: 60, neg_ttl: null, resurrect_ttl: null });
  const file = validateEntity('vaults', { prefix: 'k8s', name: 'file', config: { base_path: '/var/run/secrets' } }, { context: 'insert' });
  assert.ok(file.ok);
  assert.equal(file.value.description, null);
});

test("vaults: Kong's prefix rules, unknown backends, each backend's own config", () => {
  assert.deepEqual(errors('vaults', { prefix: 'env', name: 'env' }), { prefix: 'must not be one of: env' }, "Kong's exact text");
  assert.deepEqual(errors('vaults', { prefix: 'file', name: 'env' }), { prefix: "must not be 'file': it names a bundled vault backend" });
  assert.ok(typeof errors('vaults', { prefix: 'Upper', name: 'env' }).prefix === 'string');
  assert.ok(typeof errors('vaults', { prefix: 'a', name: 'env' }).prefix === 'string', 'two characters at least, as in Kong');
  assert.ok(typeof errors('vaults', { prefix: 'trailing-', name: 'env' }).prefix === 'string');
  assert.deepEqual(errors('vaults', { prefix: 'aws-1', name: 'aws' }), { name: "vault 'aws' is not installed" });
  assert.deepEqual(errors('vaults', { prefix: 'k8s', name: 'file', config: {} }), { config: { base_path: 'required field missing' } });
  assert.deepEqual(errors('vaults', { prefix: 'k8s', name: 'env', config: { base_path: '/x' } }), { config: { base_path: 'unknown field' } });
  assert.ok(typeof (errors('vaults', { prefix: 'e2', name: 'env', config: { prefix: 'has space' } }).config as Record<string, unknown>).prefix === 'string');
});

test('referenceable fields take a reference in place of a value; entity checks over them wait for the value', () => {
  const result = validateEntity('certificates', { cert: RSA_CRT, key: '{vault://env/tls-key}' }, { context: 'insert' });
  assert.ok(result.ok, 'the key/certificate match check is skipped');
  assert.ok(typeof errors('certificates', { cert: RSA_CRT, key: '{vault://env/tls-key' }).key === 'string', 'not a reference: the PEM rules apply');
  assert.ok(typeof errors('vaults', { prefix: '{vault://env/x}', name: 'env' }).prefix === 'string', 'fields that are not referenceable take none');
});
