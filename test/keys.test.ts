/**
 * Keys, key sets and vaults through the Admin API of a real `bin/tollgate` on SQLite: CRUD, Kong's
 * validation errors (400 naming the field), private parts masked in every answer (and a masked value sent
 * back keeping the stored key), keys nested under `/key-sets/{set}/keys`, cascade deletes, the vault
 * backends' schemas, and a declarative file carrying all three.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTollgate, startTollgate, type TollgateNode } from './helpers/tollgate.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM_PUBLIC = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const PEM_PRIVATE = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const JWK_PRIVATE = { ...ec.privateKey.export({ format: 'jwk' }), kid: 'jwk-1', alg: 'ES256' };
const JWK_D = JWK_PRIVATE.d as string;
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });

type Body = Record<string, unknown>;

async function call(node: TollgateNode, method: string, path: string, body?: unknown): Promise<{ status: number; body: Body; text: string }> {
  const r = await fetch(`${node.admin}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text === '' ? {} : (JSON.parse(text) as Body), text };
}

describe('keys and key sets through the Admin API', () => {
  let node: TollgateNode;
  let prefix: string;
  const env = (p: string) => ({ TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: p });
  before(async () => {
    prefix = mkdtempSync(join(tmpdir(), 'tg-keys-'));
    node = await startTollgate({ env: env(prefix), prefix, keepPrefix: true });
  });
  after(async () => {
    await node?.stop();
    rmSync(prefix, { recursive: true, force: true });
  });

  test('create a key set and keys in it (JWK and PEM); private parts are masked in every answer', async () => {
    const set = await call(node, 'POST', '/key-sets', { name: 'signing' });
    assert.equal(set.status, 201, set.text);
    assert.deepEqual(Object.keys(set.body).sort(), ['created_at', 'id', 'name', 'tags', 'updated_at']);

    const jwk = await call(node, 'POST', '/keys', { name: 'ec-key', set: { id: set.body.id }, kid: 'jwk-1', jwk: JSON.stringify(JWK_PRIVATE) });
    assert.equal(jwk.status, 201, jwk.text);
    assert.deepEqual(jwk.body.set, { id: set.body.id });
    const shown = JSON.parse(jwk.body.jwk as string) as Record<string, string>;
    assert.equal(shown.d, '******');
    assert.equal(shown.x, JWK_PRIVATE.x);
    assert.ok(!jwk.text.includes(JWK_D));

    const pem = await call(node, 'POST', '/key-sets/signing/keys', { name: 'rsa-key', kid: 'pem-1', pem: { public_key: PEM_PUBLIC, private_key: PEM_PRIVATE } });
    assert.equal(pem.status, 201, pem.text);
    assert.deepEqual(pem.body.set, { id: set.body.id });
    assert.equal((pem.body.pem as Body).private_key, '******');
    assert.equal((pem.body.pem as Body).public_key, PEM_PUBLIC);

    for (const path of ['/keys', '/keys/ec-key', '/keys/rsa-key', '/key-sets/signing/keys', `/key-sets/${String(set.body.id)}/keys/rsa-key`]) {
      const r = await call(node, 'GET', path);
      assert.equal(r.status, 200, path);
      assert.ok(!r.text.includes(JWK_D) && !r.text.includes('PRIVATE KEY'), path);
    }
    assert.equal(((await call(node, 'GET', '/key-sets/signing/keys')).body.data as Body[]).length, 2);
  });

  test('a form sending the masked values back keeps the stored key; a new key replaces it', async () => {
    // Were the masks stored, the key would not load and these writes would be 400s.
    const read = (await call(node, 'GET', '/keys/rsa-key')).body;
    const renamed = await call(node, 'PATCH', `/keys/${String(read.id)}`, { ...read, tags: ['edited'] });
    assert.equal(renamed.status, 200, renamed.text);
    assert.deepEqual(renamed.body.tags, ['edited']);
    const jwkRead = (await call(node, 'GET', '/keys/ec-key')).body;
    const put = await call(node, 'PUT', `/keys/${String(jwkRead.id)}`, { ...jwkRead, name: 'ec-key' });
    assert.equal(put.status, 200, put.text);

    const replaced = await call(node, 'PATCH', '/keys/rsa-key', {
      pem: { public_key: other.publicKey.export({ type: 'spki', format: 'pem' }), private_key: other.privateKey.export({ type: 'pkcs8', format: 'pem' }) },
    });
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal((replaced.body.pem as Body).private_key, '******');
  });

  test('validation: 400s naming the field, in Kong words', async () => {
    const cases: [Body, (body: Body) => void][] = [
      [{ jwk: JSON.stringify(JWK_PRIVATE) }, (b) => assert.equal((b.fields as Body).kid, 'required field missing')],
      [{ kid: 'k', jwk: '{"kid": "k"}' }, (b) => assert.equal(b.message, 'schema violation (could not load JWK, likely not a valid key)')],
      [{ kid: 'other', jwk: JSON.stringify(JWK_PRIVATE) }, (b) => assert.equal(b.message, 'schema violation (kid in jwk.kid must be equal to keys.kid)')],
      [{ kid: 'k', jwk: 'not json' }, (b) => assert.equal(b.message, 'schema violation (could not json decode jwk string)')],
      [{ kid: 'k', pem: { public_key: 'not a key' } }, (b) => assert.equal((b.fields as Body).pem, 'could not load public key')],
      [{ kid: 'k', pem: { private_key: 'not a key' } }, (b) => assert.equal((b.fields as Body).pem, 'could not load private key')],
      [
        { kid: 'k', pem: { public_key: other.publicKey.export({ type: 'spki', format: 'pem' }), private_key: PEM_PRIVATE } },
        (b) => assert.equal((b.fields as Body).pem, 'public key does not match private key'),
      ],
      [{ kid: 'k' }, (b) => assert.deepEqual((b.fields as Body)['@entity'], ["at least one of these fields must be non-empty: 'jwk', 'pem'"])],
      [
        { kid: 'jwk-1', jwk: JSON.stringify(JWK_PRIVATE), pem: { public_key: PEM_PUBLIC } },
        (b) => assert.deepEqual((b.fields as Body)['@entity'], ["only one or none of these fields must be set: 'jwk', 'pem'"]),
      ],
    ];
    for (const [input, check] of cases) {
      const r = await call(node, 'POST', '/keys', input);
      assert.equal(r.status, 400, `${JSON.stringify(input)}: ${r.text}`);
      assert.equal(r.body.name, 'schema violation');
      check(r.body);
      assert.ok(!r.text.includes('PRIVATE KEY') && !r.text.includes(JWK_D), 'errors never echo key material');
    }
    const duplicate = await call(node, 'POST', '/key-sets', { name: 'signing' });
    assert.equal(duplicate.status, 409, duplicate.text);
    const reference = await call(node, 'POST', '/keys', { name: 'from-vault', kid: 'vaulted', jwk: '{vault://env/signing-jwk}' });
    assert.equal(reference.status, 201, reference.text);
    assert.equal(reference.body.jwk, '{vault://env/signing-jwk}');
    // `kid` is unique within a set (Kong's cache key: kid and set), and among keys without a set.
    const sameKid = await call(node, 'POST', '/keys', { name: 'again', kid: 'vaulted', jwk: '{vault://env/other-jwk}' });
    assert.equal(sameKid.status, 409, sameKid.text);
    const inSet = await call(node, 'POST', '/key-sets/signing/keys', { name: 'in-set', kid: 'vaulted', jwk: '{vault://env/other-jwk}' });
    assert.equal(inSet.status, 201, inSet.text);
  });

  test('vaults: CRUD by id or prefix, Kong errors, the backends schemas', async () => {
    const created = await call(node, 'POST', '/vaults', { prefix: 'my-env', name: 'env', description: 'Process environment', config: { prefix: 'APP_' } });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.config, { prefix: 'APP_', ttl: null, neg_ttl: null, resurrect_ttl: null });
    assert.equal((await call(node, 'GET', '/vaults/my-env')).body.id, created.body.id);
    const patched = await call(node, 'PATCH', '/vaults/my-env', { config: { ttl: 30 } });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.body.config, { prefix: 'APP_', ttl: 30, neg_ttl: null, resurrect_ttl: null });

    const unknown = await call(node, 'POST', '/vaults', { prefix: 'aws-1', name: 'aws' });
    assert.equal(unknown.status, 400);
    assert.equal((unknown.body.fields as Body).name, "vault 'aws' is not installed");
    const reserved = await call(node, 'POST', '/vaults', { prefix: 'env', name: 'env' });
    assert.equal(reserved.status, 400);
    assert.ok(typeof (reserved.body.fields as Body).prefix === 'string');
    const badPrefix = await call(node, 'POST', '/vaults', { prefix: 'Has_Upper', name: 'env' });
    assert.equal(badPrefix.status, 400);
    assert.ok(typeof (badPrefix.body.fields as Body).prefix === 'string');
    const relative = await call(node, 'POST', '/vaults', { prefix: 'files', name: 'file', config: { base_path: 'secrets' } });
    assert.equal(relative.status, 400);
    assert.ok(typeof ((relative.body.fields as Body).config as Body).base_path === 'string');

    const schema = await call(node, 'GET', '/schemas/vaults/file');
    assert.equal(schema.status, 200);
    const config = (schema.body.fields as Body[]).find((f) => 'config' in f)?.config as { fields: Body[] };
    assert.deepEqual(config.fields.map((f) => Object.keys(f)[0]), ['base_path', 'ttl', 'neg_ttl', 'resurrect_ttl']);
    assert.equal((await call(node, 'GET', '/schemas/vaults/aws')).status, 404);
    assert.equal((await call(node, 'GET', '/schemas/vaults')).status, 200);
    assert.equal((await call(node, 'DELETE', '/vaults/my-env')).status, 204);
    assert.equal((await call(node, 'GET', '/vaults/my-env')).status, 404);
  });

  test('deleting a key set deletes its keys; db_export has the keys in full', async () => {
    const before = (await call(node, 'GET', '/keys')).body.data as Body[];
    assert.equal((await call(node, 'DELETE', '/key-sets/signing')).status, 204);
    const after = (await call(node, 'GET', '/keys')).body.data as Body[];
    assert.equal(after.length, before.length - 3);
    assert.ok(after.every((k) => k.set === null));

    await call(node, 'POST', '/keys', { name: 'kept', kid: 'jwk-1', jwk: JSON.stringify(JWK_PRIVATE) });
    await node.stop();
    const exported = await runTollgate(['config', 'db_export'], env(prefix));
    assert.equal(exported.code, 0, exported.stderr);
    assert.ok(exported.stdout.includes(JWK_D), 'an export is a backup: it keeps the private parts');
  });
});

describe('vaults, key sets and keys in a declarative file', () => {
  let node: TollgateNode;
  before(async () => {
    node = await startTollgate({
      config: `_format_version: "3.0"
vaults:
  - prefix: app-env
    name: env
    config: { prefix: APP_ }
key_sets:
  - name: jwks
    keys:
      - name: nested
        kid: jwk-1
        jwk: '${JSON.stringify(JWK_PRIVATE)}'
keys:
  - name: loose
    kid: pem-1
    pem:
      public_key: |
${PEM_PUBLIC.trimEnd().split('\n').map((line: string) => `        ${line}`).join('\n')}
`,
    });
  });
  after(async () => {
    await node?.stop();
  });

  test('loads them, nests keys under their set, masks private parts', async () => {
    assert.equal((await call(node, 'GET', '/vaults/app-env')).body.name, 'env');
    const nested = await call(node, 'GET', '/key-sets/jwks/keys');
    assert.equal(nested.status, 200);
    assert.deepEqual((nested.body.data as Body[]).map((k) => k.name), ['nested']);
    assert.ok(!nested.text.includes(JWK_D));
    assert.equal(((await call(node, 'GET', '/keys/loose')).body.pem as Body).public_key, PEM_PUBLIC);
  });
});
