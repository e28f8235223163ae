/**
 * Hybrid mode end to end, as separate processes on loopback: one control plane (SQLite) and two data planes
 * with cluster certificates, in shared and in PKI mode. Everything runs for real: TLS, WebSockets, workers,
 * an upstream server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { waitUntil, type TollgateNode } from './helpers/tollgate.ts';
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
  type Mode,
} from './helpers/hybrid.ts';

for (const mode of ['shared', 'pki'] as const satisfies readonly Mode[]) {
  describe(`hybrid mode, cluster_mtls = ${mode}`, { timeout: 180_000 }, () => {
    let certs: HybridCerts;
    let upstream: TestUpstream;
    let cp: ControlPlaneNode;
    let dp1: TollgateNode;
    let dp2: TollgateNode;
    const extra: TollgateNode[] = [];
    let dp1Id = '';
    let dp2Id = '';
    let serviceId = '';

    before(async () => {
      certs = makeHybridCerts();
      upstream = await startUpstream('hybrid-upstream');
      cp = await startControlPlane(certsFor(mode, certs, 'cp'), { keepPrefix: true });
      dp1 = await startDataPlane(certsFor(mode, certs, 'dp1'), [cp], { keepPrefix: true });
      dp2 = await startDataPlane(certsFor(mode, certs, 'dp2'), [cp], { keepPrefix: true });
    });

    after(async () => {
      for (const node of [dp1, dp2, ...extra, cp]) await node?.stop('SIGKILL').catch(() => {});
      for (const node of [dp1, dp2, cp]) if (node !== undefined) rmSync(node.prefix, { recursive: true, force: true });
      await upstream?.close();
      if (certs !== undefined) rmSync(certs.pki.dir, { recursive: true, force: true });
    });

    it('data planes connect and the control plane lists them', async () => {
      dp1Id = (await clusteringStatus(dp1)).node_id;
      dp2Id = (await clusteringStatus(dp2)).node_id;
      await waitForConnected(cp, [dp1Id, dp2Id]);
      // Before any configuration exists a data plane is not ready: it would only answer 404.
      assert.equal(await statusOf(`${dp1.status}/status/ready`), 503);
    });

    it('a route created on the control plane proxies on both data planes within 1 second', async () => {
      const service = await admin(cp, 'POST', '/services', { name: 'echo', url: `http://127.0.0.1:${upstream.port}` });
      serviceId = String(service.id);
      const t0 = performance.now();
      await admin(cp, 'POST', '/services/echo/routes', { name: 'hello', paths: ['/hello'] });
      const times: number[] = [];
      for (const dp of [dp1, dp2]) {
        await waitUntil(async () => (await statusOf(`${dp.proxy}/hello`)) === 200, 5000, `the route on ${dp.proxy}`);
        times.push(performance.now() - t0);
      }
      assert.ok(Math.max(...times) < 1000, `propagation took ${times.map((t) => t.toFixed(0)).join(' and ')} ms`);
      assert.equal(await statusOf(`${dp1.status}/status/ready`), 200);
    });

    it('both data planes are listed in sync, with the control plane hash', async () => {
      await waitUntil(async () => (await dataPlanes(cp)).filter((d) => d.in_sync && d.connected).length >= 2, 5000, 'both in sync');
      const rows = await dataPlanes(cp);
      for (const id of [dp1Id, dp2Id]) {
        const row = rows.find((r) => r.id === id);
        assert.ok(row, `data plane ${id} listed`);
        assert.equal(row.sync_status, 'normal');
        assert.equal(row.in_sync, true);
        assert.deepEqual(row.lag, { versions_behind: 0, seconds: 0 });
        assert.ok(row.last_push_ms !== null, 'push time measured');
      }
      const status = await clusteringStatus(dp1);
      assert.equal(status.config_hash, rows.find((r) => r.id === dp1Id)!.config_hash);
      assert.equal(status.control_plane?.connected, true);
      assert.equal(status.config_source, 'control_plane');
    });

    it('telemetry from the data planes reaches the control plane', async () => {
      for (let i = 0; i < 5; i++) assert.equal(await statusOf(`${dp1.proxy}/hello`), 200);
      for (let i = 0; i < 3; i++) assert.equal(await statusOf(`${dp2.proxy}/hello`), 200);
      assert.equal(await statusOf(`${dp2.proxy}/nowhere`), 404);
      await waitUntil(async () => {
        const r = await fetch(`${cp.admin}/clustering/telemetry`);
        const body = (await r.json()) as { services: Record<string, { requests: number; status: Record<string, number> }> };
        return (body.services[serviceId]?.requests ?? 0) >= 8 && (body.services['']?.status['4xx'] ?? 0) >= 1;
      }, 10_000, 'telemetry for the echo service and for requests that matched no route');
      const metrics = await (await fetch(`${cp.status}/metrics`)).text();
      assert.match(metrics, new RegExp(`tollgate_cluster_service_requests_total\\{service="${serviceId}",code_class="2xx"\\} \\d+`));
      assert.match(metrics, new RegExp(`tollgate_data_plane_in_sync\\{node_id="${dp1Id}",hostname="[^"]*"\\} 1`));
      assert.match(metrics, new RegExp(`tollgate_data_plane_last_payload_bytes\\{node_id="${dp1Id}",hostname="[^"]*",kind="(full|delta)"\\} \\d+`));
      assert.match(metrics, /^tollgate_cluster_full_payload_bytes \d+$/m);
      assert.match(metrics, /^tollgate_data_plane_push_seconds\{[^}]*\} [\d.]+$/m);
      const dpMetrics = await (await fetch(`${dp1.status}/metrics`)).text();
      assert.match(dpMetrics, /^kong_control_plane_connected 1$/m);
      assert.match(dpMetrics, /^tollgate_data_plane_config_apply_seconds [\d.e-]+$/m);
    });

    it('a data plane lacking a plugin refuses the routes that use it and serves the rest', async () => {
      const bare = await startDataPlane(certsFor(mode, certs, 'dp2'), [cp], { env: { TOLLGATE_PLUGINS: 'off' } });
      extra.push(bare);
      const bareId = (await clusteringStatus(bare)).node_id;
      await admin(cp, 'POST', '/services/echo/routes', { name: 'guarded', paths: ['/guarded'] });
      await admin(cp, 'POST', '/routes/guarded/plugins', { name: 'key-auth' });
      await waitUntil(async () => (await statusOf(`${dp1.proxy}/guarded`)) === 401, 5000, 'key-auth on dp1');
      await waitUntil(async () => (await statusOf(`${bare.proxy}/guarded`)) === 503, 5000, 'the guarded route refused on the bare data plane');
      const refused = await fetch(`${bare.proxy}/guarded`);
      assert.match(((await refused.json()) as { message: string }).message, /'key-auth' plugin, which this data plane does not have/);
      assert.equal(await statusOf(`${bare.proxy}/hello`), 200, 'routes without the plugin still serve');
      const row = (await dataPlanes(cp)).find((r) => r.id === bareId);
      assert.equal(row?.sync_status, 'plugin_set_incompatible');
      assert.deepEqual(row?.missing_plugins, ['key-auth']);
      assert.equal(row?.in_sync, true, 'it still gets every configuration');
      assert.equal(row?.refused_routes, 1);
      await bare.stop();
    });

    it('a data plane with a foreign certificate is refused, and both sides say why', async () => {
      const foreign = await startDataPlane(certsFor(mode, certs, 'foreign'), [cp]);
      extra.push(foreign);
      await waitUntil(async () => ((await clusteringStatus(foreign)).control_plane?.last_error ?? '') !== '', 10_000, 'the foreign data plane to give up');
      const error = (await clusteringStatus(foreign)).control_plane?.last_error ?? '';
      const expected = mode === 'shared' ? /certificate/i : /certificate|authority|refused/i;
      assert.match(error, expected);
      await waitUntil(() => /refused data plane|TLS handshake .* failed/.test(cp.output()), 5000, 'the control plane to log the refusal');
      const foreignId = (await clusteringStatus(foreign)).node_id;
      assert.ok(!(await dataPlanes(cp)).some((r) => r.id === foreignId), 'the foreign node is not listed');
      assert.equal(await statusOf(`${foreign.proxy}/hello`), 404, 'it never got the configuration');
      await foreign.stop();
    });

    it('a data plane that reconnects with the current configuration is sent nothing', async () => {
      const pushes = async () => {
        const text = await (await fetch(`${cp.status}/metrics`)).text();
        return [...text.matchAll(/^tollgate_cluster_pushes_total\{kind="(full|delta)"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[2]), 0);
      };
      await waitUntil(async () => (await dataPlanes(cp)).find((r) => r.id === dp2Id)?.in_sync === true, 5000, 'dp2 in sync');
      const before = await pushes();
      await dp2.stop();
      dp2 = await startDataPlane(certsFor(mode, certs, 'dp2'), [cp], { prefix: dp2.prefix, keepPrefix: true, waitFor: 'ready' });
      assert.equal((await clusteringStatus(dp2)).node_id, dp2Id, 'the node id survives a restart');
      await waitForConnected(cp, [dp2Id]);
      assert.equal((await dataPlanes(cp)).find((r) => r.id === dp2Id)?.in_sync, true);
      assert.equal(await pushes(), before, 'no configuration was sent');
      assert.equal((await clusteringStatus(dp2)).config_source, 'cache');
    });

    it('with the control plane killed, both data planes keep serving', async () => {
      await cp.stop('SIGKILL');
      for (const dp of [dp1, dp2]) {
        await waitUntil(async () => (await clusteringStatus(dp)).control_plane?.connected === false, 5000, 'the link to drop');
        assert.equal(await statusOf(`${dp.proxy}/hello`), 200);
        assert.equal(await statusOf(`${dp.proxy}/guarded`), 401);
      }
    });

    it('a data plane restarts without the control plane and serves from its cache', async () => {
      await dp1.stop();
      dp1 = await startDataPlane(certsFor(mode, certs, 'dp1'), [cp], { prefix: dp1.prefix, keepPrefix: true, waitFor: 'ready' });
      assert.equal(await statusOf(`${dp1.proxy}/hello`), 200);
      const status = await clusteringStatus(dp1);
      assert.equal(status.config_source, 'cache');
      assert.equal(status.control_plane?.connected, false);
    });

    it('the control plane comes back: data planes reconnect on their own and are sent nothing', async () => {
      cp = await startControlPlane(certsFor(mode, certs, 'cp'), { prefix: cp.prefix, keepPrefix: true, clusterPort: cp.clusterPort, telemetryPort: cp.telemetryPort });
      // Back-off after the kill is at most 1 + 2 + 4 + 8 s by now. The database still holds the killed control
      // plane's records (shown until they go stale), so wait for this control plane's own sessions.
      const cpId = ((await (await fetch(`${cp.admin}/`)).json()) as { node_id: string }).node_id;
      await waitUntil(async () => {
        const rows = (await dataPlanes(cp)) as unknown as { id: string; connected: boolean; control_plane_id: string }[];
        return [dp1Id, dp2Id].every((id) => rows.some((r) => r.id === id && r.connected && r.control_plane_id === cpId));
      }, 30_000, 'both data planes to reconnect');
      const rows = await dataPlanes(cp);
      for (const id of [dp1Id, dp2Id]) {
        const row = rows.find((r) => r.id === id);
        assert.equal(row?.in_sync, true);
        assert.equal(row?.last_payload, null, 'a data plane with the current configuration is sent nothing');
      }
      await admin(cp, 'POST', '/services/echo/routes', { name: 'after-restart', paths: ['/after-restart'] });
      for (const dp of [dp1, dp2]) await waitUntil(async () => (await statusOf(`${dp.proxy}/after-restart`)) === 200, 5000, 'the new route');
    });
  });
}
