/** Store suite: the Admin API audit log (append, newest-first pages, no configuration version bump). */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { AUDIT_TABLE } from '../migrations/core-001-audit-log.ts';
import { ident } from '../sql/layout.ts';
import { SqlStore } from '../sql/sql-store.ts';
import { StoreError, type AuditRecord, type Store } from '../types.ts';
import type { StoreHarness } from './harness.ts';

async function emptyAudit(store: Store): Promise<void> {
  if (!(store instanceof SqlStore)) throw new Error('emptyAudit: not an SQL store');
  await store.driver.transaction((session) => session.exec(`DELETE FROM ${ident(AUDIT_TABLE)};`));
}

function record(n: number): AuditRecord {
  return {
    id: randomUUID(),
    created_at: 1_700_000_000.125 + n,
    token_id: n % 2 === 0 ? 'anonymous' : '0a1b2c3d',
    client_ip: '127.0.0.1',
    method: 'POST',
    path: `/services/s${n}`,
    status: 200 + n,
    dropped: n % 3,
  };
}

export function auditCases(harness: () => StoreHarness): void {
  it('audit records come back newest first, paged, exactly as appended, without bumping the config version', async () => {
    const store = await harness().fresh();
    await emptyAudit(store);
    const version = await store.configVersion();
    const written = [0, 1, 2, 3, 4].map(record);
    for (const r of written) await store.appendAudit(r);
    assert.equal(await store.configVersion(), version, 'audit records are no configuration');

    const first = await store.listAudit({ size: 2 });
    assert.deepEqual(first.data, [written[4], written[3]]);
    assert.equal(typeof first.offset, 'string');
    const second = await store.listAudit({ size: 2, offset: first.offset });
    assert.deepEqual(second.data, [written[2], written[1]]);
    const last = await store.listAudit({ size: 2, offset: second.offset });
    assert.deepEqual(last.data, [written[0]]);
    assert.equal(last.offset, null);
    assert.deepEqual((await store.listAudit({ size: 5 })).offset, null, 'no offset when nothing follows');
  });

  it('appending keeps at most maxRecords (the newest) and deletes the expired; listing leaves out the expired', async () => {
    const store = await harness().fresh();
    await emptyAudit(store);
    const written = Array.from({ length: 8 }, (_, n) => record(n));
    for (const r of written) await store.appendAudit(r, { maxRecords: 5 });
    assert.deepEqual((await store.listAudit({ size: 100 })).data, written.slice(3).reverse(), 'the oldest beyond the cap are gone');
    // created_at runs from 1_700_000_000.125 (n = 0) up, one second apart.
    const since = 1_700_000_005;
    assert.deepEqual((await store.listAudit({ size: 100, since })).data.map((r) => r.path), ['/services/s7', '/services/s6', '/services/s5']);
    const paged = await store.listAudit({ size: 2, since });
    assert.deepEqual((await store.listAudit({ size: 2, since, offset: paged.offset })).data.map((r) => r.path), ['/services/s5']);
    await store.appendAudit(record(8), { maxRecords: 5, expireBefore: since });
    assert.deepEqual((await store.listAudit({ size: 100 })).data.map((r) => r.path), ['/services/s8', '/services/s7', '/services/s6', '/services/s5']);
    assert.equal(await store.pruneAudit(1_700_000_007), 2);
    assert.deepEqual((await store.listAudit({ size: 100 })).data.map((r) => r.path), ['/services/s8', '/services/s7']);
  });

  it('a bad audit offset is a StoreError invalid_offset', async () => {
    const store = await harness().fresh();
    for (const bad of ['%%%', Buffer.from('["abc"]').toString('base64')]) {
      await assert.rejects(store.listAudit({ size: 1, offset: bad }), (e: unknown) => e instanceof StoreError && e.kind === 'invalid_offset' && e.entity === 'audit');
    }
  });
}

export function dataPlaneCases(harness: () => StoreHarness): void {
  it('data plane records are upserted by id, listed by id and purged by age, without bumping the config version', async () => {
    const store = await harness().fresh();
    for (const entry of await store.listDataPlanes()) await store.purgeDataPlanes(entry.updated_at + 1);
    const version = await store.configVersion();
    const b = randomUUID().replace(/^./, 'b');
    const a = randomUUID().replace(/^./, 'a');
    await store.putDataPlane({ id: b, control_plane_id: 'cp1', updated_at: 100, record: { hostname: 'b', connected: true } });
    await store.putDataPlane({ id: a, control_plane_id: 'cp1', updated_at: 200, record: { hostname: 'a', nested: { n: 1 } } });
    await store.putDataPlane({ id: b, control_plane_id: 'cp2', updated_at: 300, record: { hostname: 'b2', connected: false } });
    const listed = await store.listDataPlanes();
    assert.deepEqual(listed.map((e) => [e.id, e.control_plane_id, e.updated_at, e.record]), [
      [a, 'cp1', 200, { hostname: 'a', nested: { n: 1 } }],
      [b, 'cp2', 300, { hostname: 'b2', connected: false }],
    ]);
    assert.equal(await store.purgeDataPlanes(250), 1);
    assert.deepEqual((await store.listDataPlanes()).map((e) => e.id), [b]);
    assert.equal(await store.configVersion(), version);
  });
}

export function telemetryCases(harness: () => StoreHarness): void {
  it('control plane telemetry totals are upserted by control plane and dropped when old', async () => {
    const store = await harness().fresh();
    await store.listTelemetry(Number.MAX_SAFE_INTEGER);
    const version = await store.configVersion();
    await store.putTelemetry({ control_plane_id: 'cp-b', updated_at: 100, totals: { services: { s: { requests: 1 } } } });
    await store.putTelemetry({ control_plane_id: 'cp-a', updated_at: 200, totals: { services: {} } });
    await store.putTelemetry({ control_plane_id: 'cp-b', updated_at: 300, totals: { services: { s: { requests: 5 } } } });
    assert.deepEqual((await store.listTelemetry(0)).map((e) => [e.control_plane_id, e.updated_at, e.totals]), [
      ['cp-a', 200, { services: {} }],
      ['cp-b', 300, { services: { s: { requests: 5 } } }],
    ]);
    assert.deepEqual((await store.listTelemetry(250)).map((e) => e.control_plane_id), ['cp-b']);
    assert.deepEqual((await store.listTelemetry(0)).map((e) => e.control_plane_id), ['cp-b'], 'the old row is gone');
    assert.equal(await store.configVersion(), version);
  });
}
