/** Store suite: insert, get, getBy, getByCacheKey, update, upsert, delete. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { StoreError } from '../types.ts';
import { certificate, consumer, keyAuth, plugin, ref, route, service, target, upstream } from './fixtures.ts';
import type { StoreHarness } from './harness.ts';

/** Asserts that `promise` rejects with a StoreError of `kind` and returns it for more checks. */
export async function storeError(promise: Promise<unknown>, kind: StoreError['kind']): Promise<StoreError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof StoreError, `expected a StoreError '${kind}', got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  return caught;
}

export function crudCases(harness: () => StoreHarness): void {
  it('insert returns the entity as stored; get and getBy find it', async () => {
    const store = await harness().fresh();
    const svc = service('billing', { tags: ['a'] });
    assert.deepEqual(await store.insert('services', svc), svc);
    assert.deepEqual(await store.get('services', svc.id), svc);
    assert.deepEqual(await store.getBy('services', 'name', 'billing'), svc);
    assert.deepEqual(await store.getBy('services', 'id', svc.id), svc);
    assert.equal(await store.get('services', randomUUID()), null);
    assert.equal(await store.get('services', 'not-a-uuid'), null);
    assert.equal(await store.getBy('services', 'name', 'other'), null);
    assert.equal(await store.get('routes', svc.id), null, 'ids are per collection');
  });

  it('ids are stored in lower case and found in any case, like a PostgreSQL uuid', async () => {
    const store = await harness().fresh();
    const svc = service('upper');
    const upper = { ...svc, id: svc.id.toUpperCase() };
    const stored = await store.insert('services', upper);
    assert.equal(stored.id, svc.id);
    assert.equal((await store.get('services', svc.id.toUpperCase()))?.id, svc.id);
    const rt = await store.insert('routes', route(svc, { service: { id: svc.id.toUpperCase() } }));
    assert.deepEqual(rt.service, { id: svc.id }, 'foreign keys too');
    assert.equal((await store.list('routes', { size: 10, foreign: { field: 'service', id: svc.id } })).data.length, 1);
  });

  it('input-only fields (certificate snis) are not stored', async () => {
    const store = await harness().fresh();
    const cert = certificate();
    const stored = await store.insert('certificates', { ...cert, snis: ['a.test'] });
    assert.equal('snis' in stored, false);
    assert.equal('snis' in ((await store.get('certificates', cert.id)) ?? {}), false);
  });

  it('getBy reaches unique fields and endpoint keys, and refuses other fields', async () => {
    const store = await harness().fresh();
    const alice = await store.insert('consumers', consumer('alice', { custom_id: 'c-1' }));
    assert.equal((await store.getBy('consumers', 'username', 'alice'))?.id, alice.id);
    assert.equal((await store.getBy('consumers', 'custom_id', 'c-1'))?.id, alice.id);
    const key = await store.insert('keyauth_credentials', keyAuth(alice, { key: 'k-1' }));
    assert.equal((await store.getBy('keyauth_credentials', 'key', 'k-1'))?.id, key.id);
    const up = await store.insert('upstreams', upstream('pool.test'));
    const tgt = await store.insert('targets', target(up, 'a.test:8000'));
    assert.equal((await store.getBy('targets', 'target', 'a.test:8000'))?.id, tgt.id, 'non-unique endpoint key');
    const named = await store.insert('plugins', plugin({}, { instance_name: 'hello' }));
    assert.equal((await store.getBy('plugins', 'instance_name', 'hello'))?.id, named.id);
    await assert.rejects(store.getBy('services', 'host', 'x'), /cannot be looked up by 'host'/);
  });

  it('consumer usernames are compared case-sensitively, as in Kong OSS', async () => {
    const store = await harness().fresh();
    await store.insert('consumers', consumer('Alice'));
    await store.insert('consumers', consumer('alice'));
    assert.equal(await store.getBy('consumers', 'username', 'ALICE'), null);
    assert.equal((await store.getBy('consumers', 'username', 'Alice'))?.username, 'Alice');
  });

  it('getByCacheKey finds plugins, targets and credentials by their cache key', async () => {
    const store = await harness().fresh();
    const svc = await store.insert('services', service('s'));
    const scoped = await store.insert('plugins', plugin({ service: svc }));
    const global = await store.insert('plugins', plugin());
    const key = { name: 'greeter', route: null, service: ref(svc), consumer: null };
    assert.equal((await store.getByCacheKey('plugins', key))?.id, scoped.id);
    assert.equal((await store.getByCacheKey('plugins', { ...key, service: null }))?.id, global.id);
    assert.equal(await store.getByCacheKey('plugins', { ...key, name: 'other' }), null);
    const up = await store.insert('upstreams', upstream('pool.test'));
    const tgt = await store.insert('targets', target(up, 'b.test:8000'));
    assert.equal((await store.getByCacheKey('targets', { upstream: ref(up), target: 'b.test:8000' }))?.id, tgt.id);
    const owner = await store.insert('consumers', consumer('bob'));
    const cred = await store.insert('keyauth_credentials', keyAuth(owner, { key: 'secret-key' }));
    assert.equal((await store.getByCacheKey('keyauth_credentials', { key: 'secret-key' }))?.id, cred.id);
  });

  it('update replaces the whole row but keeps created_at; lookups and tags follow', async () => {
    const store = await harness().fresh();
    const svc = await store.insert('services', service('old-name', { tags: ['a'] }));
    const replaced = { ...service('new-name', { tags: ['b'], retries: 1 }), id: svc.id, created_at: Number(svc.created_at) + 100 };
    const updated = await store.update('services', svc.id, replaced);
    assert.equal(updated.created_at, svc.created_at);
    assert.equal(updated.retries, 1);
    assert.deepEqual(await store.get('services', svc.id), updated);
    assert.equal(await store.getBy('services', 'name', 'old-name'), null);
    assert.equal((await store.getBy('services', 'name', 'new-name'))?.id, svc.id);
    assert.deepEqual((await store.list('services', { size: 10, tags: { mode: 'and', tags: ['a'] } })).data, []);
    assert.equal((await store.list('services', { size: 10, tags: { mode: 'and', tags: ['b'] } })).data.length, 1);
  });

  it('update of a missing row is not_found with Kong\'s message', async () => {
    const store = await harness().fresh();
    const svc = service('ghost');
    const error = await storeError(store.update('services', svc.id, svc), 'not_found');
    assert.equal(error.message, `could not find the entity with primary key '{id="${svc.id}"}'`);
    assert.deepEqual(error.fields, { id: svc.id });
    assert.equal(await store.get('services', svc.id), null);
  });

  it('upsert inserts a new row, then replaces it keeping created_at', async () => {
    const store = await harness().fresh();
    const first = service('first', { tags: ['x'] });
    assert.deepEqual(await store.upsert('services', first), first);
    const second = { ...service('second'), id: first.id, created_at: Number(first.created_at) + 5 };
    const replaced = await store.upsert('services', second);
    assert.equal(replaced.name, 'second');
    assert.equal(replaced.tags, null);
    assert.equal(replaced.created_at, first.created_at);
    assert.deepEqual(await store.get('services', first.id), replaced);
    assert.equal((await store.listTags({ size: 10 })).data.length, 0, 'old tags went with the old row');
    const other = await store.insert('services', service('taken'));
    const error = await storeError(store.upsert('services', { ...second, name: 'taken' }), 'unique');
    assert.deepEqual(error.fields, { name: 'taken' });
    assert.equal((await store.get('services', other.id))?.name, 'taken');
  });

  it('delete returns true when a row went, false when none was there', async () => {
    const store = await harness().fresh();
    const svc = await store.insert('services', service('doomed'));
    assert.equal(await store.delete('services', svc.id), true);
    assert.equal(await store.get('services', svc.id), null);
    assert.equal(await store.delete('services', svc.id), false);
    assert.equal(await store.delete('services', 'not-a-uuid'), false);
  });
}
