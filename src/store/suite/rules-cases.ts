/** Store suite: unique and foreign-key rules, cascades, restricted deletes, expiring rows. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import type { EntityName } from '../../entities/index.ts';
import type { Store } from '../types.ts';
import { storeError } from './crud-cases.ts';
import {
  certificate,
  entity,
  consumer,
  keyAuth,
  plugin,
  ref,
  route,
  service,
  sni,
  target,
  upstream,
} from './fixtures.ts';
import type { StoreHarness } from './harness.ts';

async function count(store: Store, entity: EntityName): Promise<number> {
  return (await store.list(entity, { size: 1000 })).data.length;
}

export function rulesCases(harness: () => StoreHarness): void {
  it('unique fields: a second row with the same value is a unique error naming the field', async () => {
    const store = await harness().fresh();
    await store.insert('services', service('billing'));
    const dup = await storeError(store.insert('services', service('billing')), 'unique');
    assert.equal(dup.message, `UNIQUE violation detected on '{name="billing"}'`);
    assert.deepEqual(dup.fields, { name: 'billing' });
    assert.equal(dup.entity, 'services');
    await store.insert('consumers', consumer('alice', { custom_id: 'c-1' }));
    assert.deepEqual((await storeError(store.insert('consumers', consumer('alice')), 'unique')).fields, { username: 'alice' });
    assert.deepEqual((await storeError(store.insert('consumers', consumer('bob', { custom_id: 'c-1' })), 'unique')).fields, { custom_id: 'c-1' });
    await store.insert('consumers', consumer(null));
    await store.insert('consumers', consumer(null)); // nulls never collide
    const cert = await store.insert('certificates', certificate());
    await store.insert('snis', sni(cert, 'a.test'));
    assert.deepEqual((await storeError(store.insert('snis', sni(cert, 'a.test')), 'unique')).fields, { name: 'a.test' });
    assert.equal(await count(store, 'services'), 1);
  });

  it('plugins are unique per name + route + service + consumer + consumer group, nulls included', async () => {
    const store = await harness().fresh();
    const svc = await store.insert('services', service('s'));
    await store.insert('plugins', plugin());
    const global = await storeError(store.insert('plugins', plugin()), 'unique');
    // Kong's open-source key: the consumer group is named only when the plugin has one.
    assert.deepEqual(global.fields, { name: 'greeter', route: null, service: null, consumer: null });
    assert.equal(global.message, `UNIQUE violation detected on '{consumer=null,name="greeter",route=null,service=null}'`);
    await store.insert('plugins', plugin({ service: svc }));
    const scoped = await storeError(store.insert('plugins', plugin({ service: svc })), 'unique');
    assert.deepEqual(scoped.fields, { name: 'greeter', route: null, service: { id: svc.id }, consumer: null });
    assert.equal(scoped.message, `UNIQUE violation detected on '{consumer=null,name="greeter",route=null,service={id="${svc.id}"}}'`);
    const group = await store.insert('consumer_groups', entity('consumer_groups', { name: 'gold' }));
    await store.insert('plugins', plugin({ service: svc }, { consumer_group: ref(group) }));
    const grouped = await storeError(store.insert('plugins', plugin({ service: svc }, { consumer_group: ref(group) })), 'unique');
    assert.deepEqual(grouped.fields, { name: 'greeter', route: null, service: { id: svc.id }, consumer: null, consumer_group: { id: group.id } });
    assert.equal(await count(store, 'plugins'), 3);
  });

  it('targets are unique per upstream; another upstream may use the same address', async () => {
    const store = await harness().fresh();
    const [one, two] = [await store.insert('upstreams', upstream('one.test')), await store.insert('upstreams', upstream('two.test'))];
    await store.insert('targets', target(one, 'a.test:8000'));
    await store.insert('targets', target(two, 'a.test:8000'));
    const dup = await storeError(store.insert('targets', target(one, 'a.test:8000')), 'unique');
    assert.deepEqual(dup.fields, { upstream: { id: one.id }, target: 'a.test:8000' });
  });

  it('inserting an existing id is a primary_key error; updating into a taken value is a unique error', async () => {
    const store = await harness().fresh();
    const svc = await store.insert('services', service('first'));
    const again = await storeError(store.insert('services', { ...service('second'), id: svc.id }), 'primary_key');
    assert.equal(again.message, `primary key violation on key '{id="${svc.id}"}'`);
    assert.deepEqual(again.fields, { id: svc.id });
    const other = await store.insert('services', service('other'));
    const taken = await storeError(store.update('services', other.id, { ...other, name: 'first' }), 'unique');
    assert.deepEqual(taken.fields, { name: 'first' });
    assert.equal((await store.get('services', other.id))?.name, 'other');
  });

  it('a foreign key must point at an existing row, on insert and on update', async () => {
    const store = await harness().fresh();
    const missing = randomUUID();
    const svc = await store.insert('services', service('s'));
    const error = await storeError(store.insert('routes', route({ id: missing } as never)), 'foreign_key');
    assert.equal(error.message, `the foreign key '{id="${missing}"}' does not reference an existing 'services' entity.`);
    assert.deepEqual(error.fields, { service: { id: missing } });
    const rt = await store.insert('routes', route(svc));
    await storeError(store.update('routes', rt.id, { ...rt, service: { id: missing } }), 'foreign_key');
    assert.deepEqual((await store.get('routes', rt.id))?.service, { id: svc.id });
    const credential = await storeError(store.insert('keyauth_credentials', keyAuth({ id: missing } as never)), 'foreign_key');
    assert.deepEqual(credential.fields, { consumer: { id: missing } });
    const scoped = await storeError(store.insert('plugins', plugin({ service: svc, consumer: { id: missing } as never })), 'foreign_key');
    assert.deepEqual(scoped.fields, { consumer: { id: missing } });
  });

  it('deleting a consumer deletes its credentials and its plugins (and their tags)', async () => {
    const store = await harness().fresh();
    const [gone, kept] = [await store.insert('consumers', consumer('gone')), await store.insert('consumers', consumer('kept'))];
    for (const owner of [gone, kept]) {
      await store.insert('keyauth_credentials', keyAuth(owner, { tags: ['cred'] }));
      await store.insert('plugins', plugin({ consumer: owner }));
    }
    assert.equal(await store.delete('consumers', gone.id), true);
    for (const entity of ['keyauth_credentials', 'plugins'] as const) {
      const rows = (await store.list(entity, { size: 100 })).data;
      assert.deepEqual(rows.map((row) => row.consumer), [{ id: kept.id }], entity);
    }
    assert.equal((await store.listTags({ size: 100, tag: 'cred' })).data.length, 1);
  });

  it('deleting a service or a route deletes the plugins scoped to it', async () => {
    const store = await harness().fresh();
    const svc = await store.insert('services', service('with-plugin'));
    const other = await store.insert('services', service('other'));
    const rt = await store.insert('routes', route(other));
    await store.insert('plugins', plugin({ service: svc }));
    await store.insert('plugins', plugin({ route: rt }));
    const global = await store.insert('plugins', plugin());
    await store.delete('services', svc.id);
    assert.equal(await count(store, 'plugins'), 2);
    await store.delete('routes', rt.id);
    assert.deepEqual((await store.list('plugins', { size: 10 })).data.map((p) => p.id), [global.id]);
  });

  it('deleting an upstream deletes its targets; a certificate its SNIs', async () => {
    const store = await harness().fresh();
    const up = await store.insert('upstreams', upstream('pool.test'));
    const kept = await store.insert('upstreams', upstream('kept.test'));
    await store.insert('targets', target(up, 'a.test:8000'));
    await store.insert('targets', target(up, 'b.test:8000'));
    await store.insert('targets', target(kept, 'c.test:8000'));
    await store.delete('upstreams', up.id);
    assert.deepEqual((await store.list('targets', { size: 10 })).data.map((t) => t.target), ['c.test:8000']);
    const cert = await store.insert('certificates', certificate());
    await store.insert('snis', sni(cert, 'a.test'));
    await store.insert('snis', sni(cert, '*.b.test'));
    assert.equal(await store.delete('certificates', cert.id), true);
    assert.equal(await count(store, 'snis'), 0);
  });

  it('a service used by routes cannot be deleted: referenced error naming routes', async () => {
    const store = await harness().fresh();
    const svc = await store.insert('services', service('busy'));
    const rt = await store.insert('routes', route(svc));
    const error = await storeError(store.delete('services', svc.id), 'referenced');
    assert.equal(error.message, "an existing 'routes' entity references this 'services' entity");
    assert.equal(error.referencedBy, 'routes');
    assert.deepEqual(error.fields, { '@referenced_by': 'routes' });
    assert.notEqual(await store.get('services', svc.id), null);
    await store.delete('routes', rt.id);
    assert.equal(await store.delete('services', svc.id), true);
  });

  it('a certificate used as a service client certificate cannot be deleted', async () => {
    const store = await harness().fresh();
    const cert = await store.insert('certificates', certificate());
    await store.insert('snis', sni(cert, 'tls.test'));
    await store.insert('services', service('mtls', { protocol: 'https', client_certificate: ref(cert) }));
    const error = await storeError(store.delete('certificates', cert.id), 'referenced');
    assert.equal(error.referencedBy, 'services');
    assert.equal(await count(store, 'snis'), 1, 'the refused delete cascaded nothing');
  });

  it('rows with a ttl report the seconds left, vanish when expired, and free their keys', async () => {
    const store = await harness().fresh();
    const owner = await store.insert('consumers', consumer('temp'));
    const lasting = await store.insert('keyauth_credentials', keyAuth(owner, { key: 'lasting', ttl: 100 }));
    assert.equal(lasting.ttl, 100);
    const read = await store.get('keyauth_credentials', lasting.id);
    assert.ok(typeof read?.ttl === 'number' && read.ttl >= 99 && read.ttl <= 100, `ttl read back: ${read?.ttl}`);
    const kept = await store.update('keyauth_credentials', lasting.id, keyAuth(owner, { key: 'lasting' }));
    assert.ok(typeof kept.ttl === 'number' && kept.ttl >= 99, 'an update without ttl keeps the expiry');
    const cleared = await store.upsert('keyauth_credentials', { ...keyAuth(owner, { key: 'lasting' }), id: lasting.id });
    assert.equal('ttl' in cleared, false, 'PUT without ttl removes the expiry');
    assert.equal('ttl' in ((await store.get('keyauth_credentials', lasting.id)) ?? {}), false);

    const brief = await store.insert('keyauth_credentials', keyAuth(owner, { key: 'brief', ttl: 0.05 }));
    assert.notEqual(await store.get('keyauth_credentials', brief.id), null);
    await sleep(120);
    assert.equal(await store.get('keyauth_credentials', brief.id), null);
    assert.equal(await store.getBy('keyauth_credentials', 'key', 'brief'), null);
    assert.deepEqual((await store.list('keyauth_credentials', { size: 10 })).data.map((k) => k.key), ['lasting']);
    assert.equal((await store.exportAll()).keyauth_credentials.length, 1);
    await store.insert('keyauth_credentials', keyAuth(owner, { key: 'brief' }));
  });
}
