/**
 * Several control planes on one PostgreSQL database: each pushes the same configuration (same hashes), and
 * a data plane that lists them all fails over from one to the next without being sent the configuration
 * it already has.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { runTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import {
  admin,
  certsFor,
  clusteringStatus,
  dataPlanes,
  makeHybridCerts,
  startControlPlane,
  startDataPlane,
  statusOf,
  waitForConnected,
  type ControlPlaneNode,
  type HybridCerts,
} from './helpers/hybrid.ts';

describe('two control planes sharing PostgreSQL', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let certs: HybridCerts;
  let upstream: TestUpstream;
  let cp1: ControlPlaneNode;
  let cp2: ControlPlaneNode;
  let dp: TollgateNode;

  before(async () => {
    db = await createTestDatabase();
    const boot = await runTollgate(['migrations', 'bootstrap'], db.env);
    assert.equal(boot.code, 0, boot.stderr);
    certs = makeHybridCerts();
    upstream = await startUpstream('multi-cp');
    const env = { ...db.env, TOLLGATE_DATABASE: 'postgres' };
    cp1 = await startControlPlane(certsFor('pki', certs, 'cp'), { env });
    cp2 = await startControlPlane(certsFor('pki', certs, 'cp'), { env });
    dp = await startDataPlane(certsFor('pki', certs, 'dp1'), [cp1, cp2]);
  });

  after(async () => {
    for (const node of [dp, cp1, cp2]) await node?.stop('SIGKILL').catch(() => {});
    await upstream?.close();
    await db?.drop();
    if (certs !== undefined) rmSync(certs.pki.dir, { recursive: true, force: true });
  });

  it('a write on either control plane reaches the data plane', async () => {
    const id = (await clusteringStatus(dp)).node_id;
    await waitForConnected(cp1, [id]);
    await admin(cp1, 'POST', '/services', { name: 'echo', url: `http://127.0.0.1:${upstream.port}` });
    await admin(cp1, 'POST', '/services/echo/routes', { name: 'one', paths: ['/one'] });
    await waitUntil(async () => (await statusOf(`${dp.proxy}/one`)) === 200, 5000, '/one on the data plane');
    // The second control plane, which the data plane is not connected to, sees the write and publishes the same version.
    await admin(cp2, 'POST', '/services/echo/routes', { name: 'two', paths: ['/two'] });
    await waitUntil(async () => (await statusOf(`${dp.proxy}/two`)) === 200, 5000, '/two on the data plane');
  });

  it('every control plane lists every data plane, through the shared database', async () => {
    const id = (await clusteringStatus(dp)).node_id;
    await waitUntil(async () => (await dataPlanes(cp2)).some((r) => r.id === id && r.connected && r.in_sync), 5000, 'the data plane listed on the other control plane');
    const row = (await dataPlanes(cp2)).find((r) => r.id === id) as unknown as { control_plane_id: string };
    const cp1Id = ((await (await fetch(`${cp1.admin}/`)).json()) as { node_id: string }).node_id;
    assert.equal(row.control_plane_id, cp1Id, 'it says which control plane holds the connection');
  });

  it("every control plane shows the cluster's traffic, through the shared database", async () => {
    for (let i = 0; i < 4; i++) assert.equal(await statusOf(`${dp.proxy}/one`), 200);
    // The data plane reports to the first telemetry endpoint (cp1); cp2 reads cp1's totals from the database.
    await waitUntil(async () => {
      const r = (await (await fetch(`${cp2.admin}/clustering/telemetry`)).json()) as { services: Record<string, { requests: number }> };
      return Object.values(r.services).reduce((n, s) => n + s.requests, 0) >= 4;
    }, 15_000, 'the traffic on the other control plane');
  });

  it('the data plane fails over to the other control plane and is not sent what it has', async () => {
    const id = (await clusteringStatus(dp)).node_id;
    const hash = (await clusteringStatus(dp)).config_hash;
    await cp1.stop('SIGKILL');
    await waitUntil(async () => (await clusteringStatus(dp)).control_plane?.control_plane === `127.0.0.1:${cp2.clusterPort}`, 20_000, 'the failover');
    await waitForConnected(cp2, [id], 5000);
    const status = await clusteringStatus(dp);
    assert.equal(status.control_plane?.control_plane, `127.0.0.1:${cp2.clusterPort}`);
    assert.equal(status.config_hash, hash);
    const row = (await dataPlanes(cp2)).find((r) => r.id === id);
    assert.equal(row?.in_sync, true, 'both control planes hash the same configuration alike');
    assert.equal(row?.last_payload, null, 'nothing was sent on reconnect');
    assert.equal((row as unknown as { control_plane_id: string }).control_plane_id, ((await (await fetch(`${cp2.admin}/`)).json()) as { node_id: string }).node_id);
    await admin(cp2, 'POST', '/services/echo/routes', { name: 'three', paths: ['/three'] });
    await waitUntil(async () => (await statusOf(`${dp.proxy}/three`)) === 200, 5000, '/three via the second control plane');
    assert.equal(await statusOf(`${dp.proxy}/one`), 200);
  });
});
