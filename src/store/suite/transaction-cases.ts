/** Store suite: transactions and the configuration version. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import type { StoreOps } from '../types.ts';
import { storeError } from './crud-cases.ts';
import { consumer, route, service } from './fixtures.ts';
import type { StoreHarness } from './harness.ts';

export function transactionCases(harness: () => StoreHarness): void {
  it('a transaction commits all its writes, or none when its callback throws', async () => {
    const store = await harness().fresh();
    const svc = service('tx-service');
    const committed = await store.transaction(async (tx) => {
      await tx.insert('services', svc);
      await tx.insert('routes', route(svc, { name: 'tx-route' }));
      assert.notEqual(await tx.get('services', svc.id), null, 'the transaction sees its own writes');
      return 'done';
    });
    assert.equal(committed, 'done');
    assert.equal((await store.list('routes', { size: 10 })).data.length, 1);

    const version = await store.configVersion();
    const doomed = service('doomed');
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.insert('services', doomed);
        await tx.insert('routes', route(doomed, { name: 'doomed-route' }));
        await tx.delete('services', svc.id).catch(() => false); // refused: a route uses it
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.equal(await store.get('services', doomed.id), null);
    assert.equal(await store.getBy('routes', 'name', 'doomed-route'), null);
    assert.notEqual(await store.get('services', svc.id), null);
    assert.equal(await store.configVersion(), version, 'a rolled-back transaction bumps nothing');
  });

  it('a write that fails inside a transaction is undone alone; the rest commits', async () => {
    const store = await harness().fresh();
    await store.insert('consumers', consumer('taken'));
    const kept = consumer('kept');
    await store.transaction(async (tx) => {
      await tx.insert('consumers', kept);
      const error = await storeError(tx.insert('consumers', consumer('taken')), 'unique');
      assert.deepEqual(error.fields, { username: 'taken' });
      await storeError(tx.insert('routes', route(service('never-stored'))), 'foreign_key');
      await tx.insert('consumers', consumer('after-failure'));
    });
    assert.notEqual(await store.get('consumers', kept.id), null);
    assert.notEqual(await store.getBy('consumers', 'username', 'after-failure'), null);
    assert.equal((await store.list('consumers', { size: 10 })).data.length, 3);
  });

  it('configVersion: +1 per committed transaction or single write; nothing for failures and no-ops', async () => {
    const store = await harness().fresh();
    const start = await store.configVersion();
    await store.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) await tx.insert('consumers', consumer(`v-${i}`));
    });
    assert.equal(await store.configVersion(), start + 1, 'three writes, one transaction, one bump');
    const single = await store.insert('consumers', consumer('single'));
    await store.update('consumers', single.id, { ...single, custom_id: 'x' });
    await store.delete('consumers', single.id);
    assert.equal(await store.configVersion(), start + 4);
    await storeError(store.insert('consumers', consumer('v-0')), 'unique');
    assert.equal(await store.delete('consumers', single.id), false);
    await store.transaction(async (tx) => {
      await tx.list('consumers', { size: 10 });
    });
    assert.equal(await store.configVersion(), start + 4, 'failed writes, deletes of nothing and reads bump nothing');
  });

  it('inside a transaction the store itself is refused; the tx handle ends with the transaction', async () => {
    const store = await harness().fresh();
    let leaked: StoreOps | null = null;
    await assert.rejects(
      store.transaction(async (tx) => {
        leaked = tx;
        await store.get('services', service().id);
      }),
      /use the `tx` handle/,
    );
    await store.transaction(async (tx) => {
      leaked = tx;
    });
    await assert.rejects((leaked as unknown as StoreOps).get('services', service().id), /transaction has ended/);
    assert.equal(await store.get('services', service().id), null, 'the store works again afterwards');
  });

  it('writes started together inside one transaction run one after another and all commit', async () => {
    const store = await harness().fresh();
    const rows = Array.from({ length: 8 }, (_, i) => consumer(`parallel-${i}`));
    await store.transaction(async (tx) => {
      await Promise.all(rows.map((row) => tx.insert('consumers', row)));
    });
    assert.equal((await store.list('consumers', { size: 100 })).data.length, rows.length);
  });

  it('two connections writing at once both commit, one after the other', async () => {
    const store = await harness().fresh();
    const second = await harness().openSecond();
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      const start = await store.configVersion();
      const slow = store.transaction(async (tx) => {
        await tx.insert('consumers', consumer('slow-writer'));
        await gate; // holds its transaction open (and, on SQLite, the file's write lock)
      });
      await sleep(20);
      const quick = second.insert('consumers', consumer('quick-writer'));
      const before = Date.now();
      await sleep(50);
      const waited = Date.now() - before;
      release();
      await Promise.all([slow, quick]);
      assert.ok(waited < 1000, `the waiting writer blocked the event loop for ${waited} ms`);
      assert.equal(await store.configVersion(), start + 2);
      assert.equal((await store.list('consumers', { size: 10 })).data.length, 2);
    } finally {
      release();
      await second.close();
    }
  });
}
