import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateDigest, validateEntity } from './index.ts';
import { CA_CRT, EC_CRT, EC_KEY, EXPIRED_CA_CRT, LEAF_CRT, RSA_CRT, RSA_KEY } from './test-pem-fixtures.ts';

test('a certificate with its key, and an alternative of another key type', () => {
  const result = validateEntity('certificates', { cert: RSA_CRT, key: RSA_KEY, cert_alt: EC_CRT, key_alt: EC_KEY });
  assert.ok(result.ok);
  assert.equal(result.value.cert, RSA_CRT);
});

test('the key must match the certificate', () => {
  assert.deepEqual(validateEntity('certificates', { cert: RSA_CRT, key: EC_KEY }), {
    ok: false,
    errors: { '@entity': ['certificate does not match key'] },
  });
  assert.deepEqual(validateEntity('certificates', { cert: RSA_CRT, key: RSA_KEY, cert_alt: EC_CRT, key_alt: RSA_KEY }), {
    ok: false,
    errors: { '@entity': ['alternative certificate does not match key'] },
  });
});

test('alternative pair: both or neither, and a different key type', () => {
  assert.deepEqual(validateEntity('certificates', { cert: RSA_CRT, key: RSA_KEY, cert_alt: EC_CRT }), {
    ok: false,
    errors: { '@entity': ["all or none of these fields must be set: 'cert_alt', 'key_alt'"] },
  });
  assert.deepEqual(validateEntity('certificates', { cert: RSA_CRT, key: RSA_KEY, cert_alt: RSA_CRT, key_alt: RSA_KEY }), {
    ok: false,
    errors: {
      '@entity': [
        'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type',
      ],
    },
  });
});

test('PEM parsing errors', () => {
  const result = validateEntity('certificates', { cert: 'nope', key: 'nope' });
  assert.ok(!result.ok);
  assert.match(String(result.errors.cert), /^invalid certificate: /);
  assert.match(String(result.errors.key), /^invalid key: /);
  assert.equal(result.errors['@entity'], undefined, 'the key check is skipped for invalid fields');
  assert.deepEqual(validateEntity('certificates', { cert: '', key: '' }), {
    ok: false,
    errors: { cert: 'length must be at least 1', key: 'length must be at least 1' },
  });
});

test('SNIs: wildcard rules', () => {
  const certificate = { id: '0855b320-0dd2-547d-891d-601e9b38647f' };
  assert.ok(validateEntity('snis', { name: '*.example.com', certificate }).ok);
  assert.ok(validateEntity('snis', { name: 'example.*', certificate }).ok);
  const cases: [string, string][] = [
    ['a.*.b', 'wildcard must be leftmost or rightmost character'],
    ['*.a.*', 'only one wildcard must be specified'],
    ['1.2.3.4', 'must not be an IP'],
    ['a.test:443', 'must not have a port'],
  ];
  for (const [name, message] of cases) {
    assert.deepEqual(validateEntity('snis', { name, certificate }), { ok: false, errors: { name: message } }, name);
  }
});

test('CA certificates: a single, unexpired CA', () => {
  assert.ok(validateEntity('ca_certificates', { cert: CA_CRT }).ok);
  assert.deepEqual(validateEntity('ca_certificates', { cert: LEAF_CRT }), {
    ok: false,
    errors: { '@entity': ['certificate does not appear to be a CA because it is missing the "CA" basic constraint'] },
  });
  assert.deepEqual(validateEntity('ca_certificates', { cert: EXPIRED_CA_CRT }), {
    ok: false,
    errors: { '@entity': ['certificate expired, "Not After" time is in the past'] },
  });
  assert.deepEqual(validateEntity('ca_certificates', { cert: `${CA_CRT}\n${LEAF_CRT}` }), {
    ok: false,
    errors: { '@entity': ['please submit only one certificate at a time'] },
  });
  assert.match(certificateDigest(CA_CRT) ?? '', /^[0-9a-f]{64}$/);
});
