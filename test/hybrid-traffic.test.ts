/**
 * Pushes under load: 20 changes made on the control plane (each arriving at the data plane as a delta, its
 * workers patched in place) while 8 clients keep requesting through the data plane's two workers: not one
 * request may fail.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Agent, request } from 'undici';
import { waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { admin, certsFor, clusteringStatus, dataPlanes, makeHybridCerts, startControlPlane, startDataPlane, statusOf, type ControlPlaneNode, type HybridCerts } from './helpers/hybrid.ts';

describe('configuration pushes under continuous traffic', { timeout: 120_000 }, () => {
  let certs: HybridCerts;
  let upstream: TestUpstream;
  let cp: ControlPlaneNode;
  let dp: TollgateNode;

  before(async () => {
    certs = makeHybridCerts();
    upstream = await startUpstream('traffic');
    cp = await startControlPlane(certsFor('shared', certs, 'cp'));
    dp = await startDataPlane(certsFor('shared', certs, 'dp1'), [cp], { workers: 2 });
    await admin(cp, 'POST', '/services', { name: 'echo', url: `http://127.0.0.1:${upstream.port}` });
    // Enough routes that a one-route change is sent as a delta rather than the whole configuration.
    for (let i = 0; i < 20; i++) await admin(cp, 'POST', '/services/echo/routes', { name: `base-${i}`, paths: [`/base/${i}`] });
    await admin(cp, 'POST', '/services/echo/routes', { name: 'hello', paths: ['/hello'] });
    await waitUntil(async () => (await statusOf(`${dp.proxy}/hello`)) === 200, 10_000, 'the first configuration');
  });

  after(async () => {
    await dp?.stop('SIGKILL');
    await cp?.stop('SIGKILL');
    await upstream?.close();
    if (certs !== undefined) rmSync(certs.pki.dir, { recursive: true, force: true });
  });

  it('20 changes while traffic flows: 0 failed requests, each change served within a second', async () => {
    const agent = new Agent({ connections: 16, pipelining: 1 });
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const client = async () => {
      while (!stop) {
        try {
          const res = await request(`${dp.proxy}/hello`, { dispatcher: agent });
          await res.body.text();
          if (res.statusCode !== 200) failures.push(`status ${res.statusCode}`);
          else ok++;
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    const id = (await clusteringStatus(dp)).node_id;
    try {
      for (let gen = 1; gen <= 20; gen++) {
        const t0 = performance.now();
        if (gen % 2 === 0) await admin(cp, 'DELETE', `/routes/gen-${gen - 1}`);
        await admin(cp, 'POST', '/services/echo/routes', { name: `gen-${gen}`, paths: [`/gen/${gen}`] });
        await waitUntil(async () => (await statusOf(`${dp.proxy}/gen/${gen}`)) === 200, 5000, `route gen-${gen}`);
        // Each worker swaps on its own: the other one may need a few more milliseconds.
        if (gen % 2 === 0) await waitUntil(async () => (await statusOf(`${dp.proxy}/gen/${gen - 1}`)) === 404, 5000, `the deleted route gen-${gen - 1} to go`);
        assert.ok(performance.now() - t0 < 1000, `change ${gen} took ${(performance.now() - t0).toFixed(0)} ms`);
      }
    } finally {
      stop = true;
      await Promise.all(clients);
      await agent.close();
    }
    assert.deepEqual(failures, [], `failed requests: ${failures.length}`);
    assert.ok(ok > 200, `traffic flowed during the changes (${ok} requests)`);
    const row = (await dataPlanes(cp)).find((r) => r.id === id);
    assert.equal(row?.in_sync, true);
    assert.equal(row?.last_payload?.kind, 'delta', 'changes travel as deltas');
  });
});
