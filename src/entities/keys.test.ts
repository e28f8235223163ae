import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { MASK, maskJwk, maskPrivatePem, validateEntity } from './index.ts';
import { EC_KEY, RSA_KEY } from './test-pem-fixtures.ts';

const ed = generateKeyPairSync('ed25519');
const JWK = { ...ed.privateKey.export({ format: 'jwk' }), kid: 'ed-1' };
const PUBLIC_JWK = { ...ed.publicKey.export({ format: 'jwk' }), kid: 'ed-1' };
const PUBLIC_PEM = ed.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const PRIVATE_PEM = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

const errors = (input: Record<string, unknown>) => {
  const result = validateEntity('keys', input, { context: 'insert' });
  assert.ok(!result.ok, JSON.stringify(input));
  return result.errors;
};

test('a JWK key (private or public), a PEM pair, or a reference', () => {
  for (const input of [
    { kid: 'ed-1', jwk: JSON.stringify(JWK) },
    { kid: 'ed-1', jwk: JSON.stringify(PUBLIC_JWK) },
    { kid: 'p', pem: { public_key: PUBLIC_PEM, private_key: PRIVATE_PEM } },
    { kid: 'p', pem: { private_key: RSA_KEY } },
    { kid: 'p', pem: { public_key: PUBLIC_PEM, private_key: '{vault://env/private-pem}' } },
    { kid: 'v', jwk: '{vault://env/jwk}', set: { id: '0d8a9a71-5a3e-4a8e-9d5f-5a0b1d6c2e11' } },
  ]) {
    const result = validateEntity('keys', input, { context: 'insert' });
    assert.ok(result.ok, `${JSON.stringify(input)}: ${result.ok ? '' : JSON.stringify(result.errors)}`);
  }
});

test("Kong's checks and words", () => {
  assert.deepEqual(errors({ jwk: JSON.stringify(JWK) }), { kid: 'required field missing' });
  assert.deepEqual(errors({ kid: 'x', jwk: '{"kid":"x"}' }), { '@entity': ['could not load JWK, likely not a valid key'] });
  assert.deepEqual(errors({ kid: 'x', jwk: JSON.stringify(JWK) }), { '@entity': ['kid in jwk.kid must be equal to keys.kid'] });
  assert.deepEqual(errors({ kid: 'x', jwk: '[1]' }), { '@entity': ['could not json decode jwk string'] });
  assert.deepEqual(errors({ kid: 'x' }), { '@entity': ["at least one of these fields must be non-empty: 'jwk', 'pem'"] });
  assert.deepEqual(errors({ kid: 'p', pem: { public_key: 'nope' } }), { pem: 'could not load public key' });
  assert.deepEqual(errors({ kid: 'p', pem: { private_key: 'nope' } }), { pem: 'could not load private key' });
  assert.deepEqual(errors({ kid: 'p', pem: { public_key: PUBLIC_PEM, private_key: EC_KEY } }), { pem: 'public key does not match private key' });
  assert.deepEqual(errors({ kid: 'p', pem: { public_key: PRIVATE_PEM } }).pem, 'could not load public key');
});

test('masking: private JWK members and PEM private keys; references and public keys stay', () => {
  const masked = JSON.parse(maskJwk(JSON.stringify(JWK))) as Record<string, string>;
  assert.equal(masked.d, MASK);
  assert.equal(masked.x, JWK.x);
  assert.equal(maskJwk(JSON.stringify(PUBLIC_JWK)), JSON.stringify(PUBLIC_JWK));
  assert.equal(maskJwk('{vault://env/jwk}'), '{vault://env/jwk}');
  assert.equal(maskPrivatePem(PRIVATE_PEM), MASK);
  assert.equal(maskPrivatePem('{vault://env/pem}'), '{vault://env/pem}');
  assert.equal(maskPrivatePem(null), null);
});
