import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashBasicAuthPassword, validateEntity } from './index.ts';

const CONSUMER = { id: '4b1b701d-de2b-5588-9aa2-3b97061d9f52' };

test('consumers need a username or a custom_id', () => {
  assert.deepEqual(validateEntity('consumers', {}), {
    ok: false,
    errors: { '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"] },
  });
  assert.ok(validateEntity('consumers', { custom_id: 'c1' }).ok);
});

test('key-auth: key generated when omitted, consumer required, ttl accepted', () => {
  const ok = validateEntity('keyauth_credentials', { consumer: CONSUMER, ttl: 60 });
  assert.ok(ok.ok);
  assert.match(ok.value.key, /^[A-Za-z0-9]{32}$/);
  assert.equal((ok.value as Record<string, unknown>).ttl, 60);
  assert.equal('updated_at' in ok.value, false, 'credentials have created_at only');
  assert.deepEqual(validateEntity('keyauth_credentials', { key: 'k' }), {
    ok: false,
    errors: { consumer: 'required field missing' },
  });
});

test('basic-auth: username and password required; hashing as Kong does', () => {
  assert.deepEqual(validateEntity('basicauth_credentials', { consumer: CONSUMER }), {
    ok: false,
    errors: { username: 'required field missing', password: 'required field missing' },
  });
  // sha1("secret" + consumer id)
  assert.equal(hashBasicAuthPassword(CONSUMER.id, 'secret'), '5b6fa7495e0470557f4e20541cf187b707000e71');
});

test('jwt: key and secret generated, algorithm default, RSA needs a public key', () => {
  const ok = validateEntity('jwt_secrets', { consumer: CONSUMER });
  assert.ok(ok.ok);
  assert.equal(ok.value.algorithm, 'HS256');
  assert.equal(ok.value.key.length, 32);
  assert.equal(ok.value.secret.length, 32);
  assert.deepEqual(validateEntity('jwt_secrets', { consumer: CONSUMER, algorithm: 'RS256' }), {
    ok: false,
    errors: {
      rsa_public_key: 'required field missing',
      '@entity': ["failed conditional validation given value of field 'algorithm'"],
    },
  });
  assert.deepEqual(validateEntity('jwt_secrets', { consumer: CONSUMER, algorithm: 'RS256', rsa_public_key: 'nope' }), {
    ok: false,
    errors: {
      rsa_public_key: 'invalid key',
      '@entity': ["failed conditional validation given value of field 'algorithm'"],
    },
  });
  assert.deepEqual(validateEntity('jwt_secrets', { consumer: CONSUMER, algorithm: 'HS1' }), {
    ok: false,
    errors: {
      algorithm: 'expected one of: HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512, EdDSA',
    },
  });
});

test('acl group required; hmac secret generated', () => {
  assert.deepEqual(validateEntity('acls', { consumer: CONSUMER }), { ok: false, errors: { group: 'required field missing' } });
  const hmac = validateEntity('hmacauth_credentials', { consumer: CONSUMER, username: 'u' });
  assert.ok(hmac.ok);
  assert.equal(hmac.value.secret.length, 32);
});
