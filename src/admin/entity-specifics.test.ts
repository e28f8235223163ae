/**
 * The collections whose endpoints differ from the generic ones, through the Admin API on a SQLite store:
 * certificates with `snis`, SNIs, targets under upstreams, CA certificates.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CA_CRT, EC_CRT, EC_KEY, RSA_CRT, RSA_KEY } from '../entities/test-pem-fixtures.ts';
import { certificateDigest } from '../entities/index.ts';
import { startTestAdmin, type TestAdmin } from './test-support.ts';

const MISSING_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

describe('certificates and SNIs', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startTestAdmin();
  });
  after(async () => {
    await admin.close();
  });

  test('POST with snis creates the SNIs; the certificate shows their sorted names', async () => {
    const r = await admin.call('POST', '/certificates', { json: { cert: RSA_CRT, key: RSA_KEY, snis: ['b.example.test', 'a.example.test'] } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.snis, ['a.example.test', 'b.example.test']);
    const sni = await admin.call('GET', '/snis/a.example.test');
    assert.deepEqual(sni.body.certificate, { id: r.body.id });
    const byName = await admin.call('GET', '/certificates/b.example.test');
    assert.equal(byName.body.id, r.body.id);
    assert.deepEqual(byName.body.snis, ['a.example.test', 'b.example.test']);
    const list = await admin.call('GET', '/certificates');
    assert.deepEqual(list.body.data[0].snis, ['a.example.test', 'b.example.test']);
    const nested = await admin.call('GET', `/certificates/${r.body.id}/snis`);
    assert.equal(nested.body.data.length, 2);
  });

  test('without snis the list is empty; cert_alt/key_alt nulls are explicit', async () => {
    const r = await admin.call('POST', '/certificates', { json: { cert: EC_CRT, key: EC_KEY } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.snis, []);
    assert.equal(r.body.cert_alt, null);
    assert.equal(r.body.key_alt, null);
  });

  test('snis errors: duplicates, names owned by another certificate, a certificate not matching its key', async () => {
    const dup = await admin.call('POST', '/certificates', { json: { cert: RSA_CRT, key: RSA_KEY, snis: ['d.test', 'd.test'] } });
    assert.equal(dup.status, 400);
    assert.equal(dup.body.message, 'schema violation (snis: d.test is duplicated)');
    const owner = (await admin.call('GET', '/certificates/a.example.test')).body.id;
    const taken = await admin.call('POST', '/certificates', { json: { cert: EC_CRT, key: EC_KEY, snis: ['a.example.test'] } });
    assert.equal(taken.body.message, `schema violation (snis: a.example.test already associated with existing certificate '${owner}')`);
    const mismatch = await admin.call('POST', '/certificates', { json: { cert: RSA_CRT, key: EC_KEY } });
    assert.deepEqual(mismatch.body.fields, { '@entity': ['certificate does not match key'] });
  });

  test('unknown SNI names and ids: 404 SNI not found / code 6', async () => {
    const name = await admin.call('GET', '/certificates/unknown.test');
    assert.deepEqual([name.status, name.body], [404, { message: 'SNI not found' }]);
    const id = await admin.call('GET', `/certificates/${MISSING_ID}`);
    assert.equal(id.status, 404);
    assert.equal(id.body.code, 6);
    assert.equal((await admin.call('PATCH', '/certificates/unknown.test', { json: {} })).body.message, 'SNI not found');
  });

  test('PUT by a new SNI name creates a certificate holding that name and the given ones', async () => {
    const r = await admin.call('PUT', '/certificates/new.example.test', { json: { cert: RSA_CRT, key: RSA_KEY, snis: ['other.example.test'] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.snis, ['new.example.test', 'other.example.test']);
    const again = await admin.call('PUT', '/certificates/new.example.test', { json: { cert: RSA_CRT, key: RSA_KEY, snis: ['new.example.test'] } });
    assert.equal(again.body.id, r.body.id);
    assert.deepEqual(again.body.snis, ['new.example.test']);
    assert.equal((await admin.call('GET', '/snis/other.example.test')).status, 404, 'names left out of a PUT are removed');
  });

  test('PATCH snis replaces the list (null removes all); without snis the list stays', async () => {
    const cert = (await admin.call('POST', '/certificates', { json: { cert: RSA_CRT, key: RSA_KEY, snis: ['p1.test'] } })).body;
    const kept = await admin.call('PATCH', `/certificates/${cert.id}`, { json: { tags: ['t'] } });
    assert.deepEqual(kept.body.snis, ['p1.test']);
    const replaced = await admin.call('PATCH', `/certificates/${cert.id}`, { form: 'snis[]=p2.test&snis[]=p3.test' });
    assert.deepEqual(replaced.body.snis, ['p2.test', 'p3.test']);
    assert.equal((await admin.call('GET', '/snis/p1.test')).status, 404);
    const none = await admin.call('PATCH', `/certificates/${cert.id}`, { json: { snis: null } });
    assert.deepEqual(none.body.snis, []);
    assert.deepEqual((await admin.call('GET', `/certificates/${cert.id}/snis`)).body.data, []);
  });

  test('deleting a certificate deletes its SNIs; /snis/{s}/certificate is disabled', async () => {
    const cert = (await admin.call('POST', '/certificates', { json: { cert: RSA_CRT, key: RSA_KEY, snis: ['gone.test'] } })).body;
    assert.equal((await admin.call('GET', '/snis/gone.test/certificate')).status, 404);
    assert.equal((await admin.call('DELETE', `/certificates/${cert.id}`)).status, 204);
    assert.equal((await admin.call('GET', '/snis/gone.test')).status, 404);
  });

  test('a certificate used as a service client certificate cannot be deleted', async () => {
    const cert = (await admin.call('POST', '/certificates', { json: { cert: RSA_CRT, key: RSA_KEY } })).body;
    const svc = await admin.call('POST', '/services', { json: { url: 'https://tls.test', client_certificate: { id: cert.id } } });
    assert.equal(svc.status, 201, svc.text);
    const del = await admin.call('DELETE', `/certificates/${cert.id}`);
    assert.equal(del.status, 400);
    assert.equal(del.body.message, "an existing 'services' entity references this 'certificates' entity");
  });

  test('SNIs on their own: wildcards, one only', async () => {
    const cert = (await admin.call('POST', '/certificates', { json: { cert: EC_CRT, key: EC_KEY } })).body;
    const ok = await admin.call('POST', '/snis', { json: { name: '*.wild.test', certificate: { id: cert.id } } });
    assert.equal(ok.status, 201, ok.text);
    const bad = await admin.call('POST', '/snis', { json: { name: '*.a.*', certificate: { id: cert.id } } });
    assert.deepEqual(bad.body.fields, { name: 'only one wildcard must be specified' });
  });
});

describe('targets and CA certificates', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startTestAdmin();
    await admin.call('POST', '/upstreams', { json: { name: 'pool.test' } });
    await admin.call('POST', '/consumers', { json: { username: 'ann' } });
  });
  after(async () => {
    await admin.close();
  });

  test('targets: normalised address, lookup by host:port, PUT updates, duplicates are 409', async () => {
    const t = await admin.call('POST', '/upstreams/pool.test/targets', { json: { target: '10.0.0.1', weight: 5 } });
    assert.equal(t.status, 201, t.text);
    assert.equal(t.body.target, '10.0.0.1:8000');
    assert.equal((await admin.call('GET', '/upstreams/pool.test/targets/10.0.0.1:8000')).body.id, t.body.id);
    assert.equal((await admin.call('GET', '/upstreams/pool.test/targets/10.0.0.1')).body.id, t.body.id, 'the default port is implied');
    const put = await admin.call('PUT', '/upstreams/pool.test/targets/10.0.0.1:8000', { json: { weight: 7 } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.weight, 7);
    assert.equal(put.body.id, t.body.id);
    const dup = await admin.call('POST', '/upstreams/pool.test/targets', { json: { target: '10.0.0.1:8000' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 5);
    const invalid = await admin.call('POST', '/upstreams/pool.test/targets', { json: { target: 'some invalid host name' } });
    assert.deepEqual(invalid.body.fields, { target: 'Invalid target; not a valid hostname or ip address' });
    assert.equal((await admin.call('GET', '/upstreams/pool.test/targets/10.9.9.9:1')).status, 404);
    assert.equal((await admin.call('PUT', '/upstreams/pool.test/targets/10.9.9.9:1', { json: {} })).status, 404);
    const all = await admin.call('GET', '/upstreams/pool.test/targets/all');
    assert.equal(all.body.data.length, 1);
    assert.equal((await admin.call('DELETE', '/upstreams/pool.test/targets/10.0.0.1:8000')).status, 204);
    assert.equal((await admin.call('GET', '/upstreams/pool.test/targets')).body.data.length, 0);
    assert.equal((await admin.call('GET', '/upstreams/nope.test/targets/all')).status, 404);
  });

  test('CA certificates: digest computed, unique, and not deletable while a service uses one', async () => {
    const ca = await admin.call('POST', '/ca_certificates', { json: { cert: CA_CRT } });
    assert.equal(ca.status, 201, ca.text);
    assert.equal(ca.body.cert_digest, certificateDigest(CA_CRT));
    const dup = await admin.call('POST', '/ca_certificates', { json: { cert: CA_CRT } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.message, `UNIQUE violation detected on '{cert_digest="${ca.body.cert_digest}"}'`);
    const svc = await admin.call('POST', '/services', { json: { url: 'https://ca.test', ca_certificates: [ca.body.id] } });
    assert.equal(svc.status, 201, svc.text);
    const del = await admin.call('DELETE', `/ca_certificates/${ca.body.id}`);
    assert.deepEqual([del.status, del.body], [
      400,
      { code: 19, name: 'referenced by others', message: `ca certificate ${ca.body.id} is still referenced by services (id = ${svc.body.id})` },
    ]);
    await admin.call('DELETE', `/services/${svc.body.id}`);
    assert.equal((await admin.call('DELETE', `/ca_certificates/${ca.body.id}`)).status, 204);
  });
});
