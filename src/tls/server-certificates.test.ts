import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EC_CRT, EC_KEY, RSA_CRT, RSA_KEY } from '../entities/test-pem-fixtures.ts';
import { ServerCertificates, type CertificateFields, type SniFields } from './server-certificates.ts';

const certificate = (id: string, cert = EC_CRT, key = EC_KEY): CertificateFields => ({ id, cert, key, cert_alt: null, key_alt: null });
const sni = (name: string, id: string): SniFields => ({ name, certificate: { id } });

describe('certificates served by TLS server name', () => {
  const certs = [certificate('exact'), certificate('prefix'), certificate('suffix'), certificate('default'), certificate('deep')];
  const built = ServerCertificates.build(certs, [
    sni('api.example.test', 'exact'),
    sni('*.example.test', 'prefix'),
    sni('api.example.*', 'suffix'),
    sni('*', 'default'),
    sni('*.b.example.test', 'deep'),
  ], null);
  const exact = built.contextFor('api.example.test');
  const prefix = built.contextFor('www.example.test');
  const suffix = built.contextFor('api.example.org');
  const fallback = built.contextFor('unknown.test');

  it("looks names up in Kong's order: exact, *.rest, first.*, then *", () => {
    assert.ok(exact && prefix && suffix && fallback);
    assert.equal(new Set([exact, prefix, suffix, fallback]).size, 4, 'four different certificates');
    assert.equal(built.contextFor('API.Example.TEST'), exact, 'names compare case-insensitively');
    // Only the first label is replaced: a.b.example.test is not covered by *.example.test.
    assert.equal(built.contextFor('a.b.example.test'), built.contextFor('x.b.example.test'));
    assert.notEqual(built.contextFor('a.b.example.test'), prefix);
    // A two-label name has no prefix wildcard to try (*.test would need a second label).
    assert.equal(built.contextFor('example.test'), fallback);
  });

  it('gives the listener default (undefined) without a name or without any match and no *', () => {
    assert.equal(built.contextFor(''), undefined, 'no SNI: the listener certificate, not the * one');
    const noDefault = ServerCertificates.build([certificate('only')], [sni('only.test', 'only')], null);
    assert.equal(noDefault.contextFor('other.test'), undefined);
    assert.equal(ServerCertificates.build([], [], null).contextFor('any.test'), undefined);
  });

  it('reuses compiled certificates whose PEM did not change, and recompiles the ones that did', () => {
    const next = ServerCertificates.build(
      [certificate('exact'), certificate('prefix', RSA_CRT, RSA_KEY)],
      [sni('api.example.test', 'exact'), sni('*.example.test', 'prefix')],
      built,
    );
    assert.equal(next.contextFor('api.example.test'), exact, 'unchanged: the same context');
    assert.notEqual(next.contextFor('www.example.test'), prefix, 'changed PEM: a new context');
    assert.equal(next.size, 2);
  });

  it('leaves out a certificate Node cannot load and reports it', () => {
    const errors: string[] = [];
    const broken = ServerCertificates.build(
      [certificate('bad', '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----', EC_KEY), certificate('good')],
      [sni('bad.test', 'bad'), sni('good.test', 'good')],
      null,
      (id) => errors.push(id),
    );
    assert.deepEqual(errors, ['bad']);
    assert.equal(broken.contextFor('bad.test'), undefined);
    assert.ok(broken.contextFor('good.test'));
  });

  it('serves an RSA and an ECDSA certificate side by side with cert_alt', () => {
    const dual = ServerCertificates.build(
      [{ id: 'dual', cert: RSA_CRT, key: RSA_KEY, cert_alt: EC_CRT, key_alt: EC_KEY }],
      [sni('dual.test', 'dual')],
      null,
    );
    assert.ok(dual.contextFor('dual.test'));
  });
});
