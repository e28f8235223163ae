/**
 * The prometheus plugin in hybrid mode, as processes on loopback: an instance created on the control plane
 * reaches the data plane, which exports the per-request metrics of its own traffic on its Status API; the
 * control plane exports Kong's data-plane gauges, and neither exports what Kong leaves out there.
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
  makeHybridCerts,
  startControlPlane,
  startDataPlane,
  statusOf,
  waitForConnected,
  type ControlPlaneNode,
  type HybridCerts,
} from './helpers/hybrid.ts';

const metricsOf = async (node: TollgateNode): Promise<string> => (await fetch(`${node.status}/metrics`)).text();

describe('prometheus plugin in hybrid mode', { timeout: 180_000 }, () => {
  let certs: HybridCerts;
  let upstream: TestUpstream;
  let cp: ControlPlaneNode;
  let dp: TollgateNode;
  let dpId = '';

  before(async () => {
    certs = makeHybridCerts();
    upstream = await startUpstream('hybrid-upstream');
    cp = await startControlPlane(certsFor('shared', certs, 'cp'));
    dp = await startDataPlane(certsFor('shared', certs, 'dp1'), [cp]);
    dpId = (await clusteringStatus(dp)).node_id;
    await waitForConnected(cp, [dpId]);
  });

  after(async () => {
    for (const node of [dp, cp]) await node?.stop('SIGKILL').catch(() => {});
    await upstream?.close();
    if (certs !== undefined) rmSync(certs.pki.dir, { recursive: true, force: true });
  });

  it('the data plane records its traffic for an instance created on the control plane', async () => {
    await admin(cp, 'POST', '/services', { name: 'echo', url: `http://127.0.0.1:${upstream.port}` });
    await admin(cp, 'POST', '/services/echo/routes', { name: 'hello', paths: ['/hello'] });
    await admin(cp, 'POST', '/plugins', { name: 'prometheus', config: { status_code_metrics: true, latency_metrics: true } });
    await waitUntil(async () => {
      await statusOf(`${dp.proxy}/hello`);
      return /^kong_http_requests_total\{service="echo",route="hello",code="200",source="service",workspace="default",consumer=""\} \d+$/m.test(await metricsOf(dp));
    }, 20_000, 'kong_http_requests_total on the data plane');
    const text = await metricsOf(dp);
    assert.match(text, /^kong_request_latency_ms_count\{service="echo",route="hello",workspace="default"\} \d+$/m);
    assert.match(text, /^kong_control_plane_connected 1$/m);
    assert.match(text, /^kong_datastore_reachable 1$/m, 'a data plane has no datastore to lose');
    assert.match(text, new RegExp(`^kong_node_info\\{node_id="${dpId}",version="[^"]+"\\} 1$`, 'm'));
    assert.match(text, /^kong_data_plane_cluster_cert_expiry_timestamp \d+$/m);
  });

  it('the control plane exports Kong\'s data-plane gauges and its own node-level metrics, no target health', async () => {
    await admin(cp, 'POST', '/upstreams', { name: 'pool' });
    await admin(cp, 'POST', '/upstreams/pool/targets', { target: `127.0.0.1:${upstream.port}` });
    await admin(cp, 'POST', '/services/echo/plugins', { name: 'prometheus', config: { upstream_health_metrics: true } });
    // The data plane checks its targets: they show there.
    await waitUntil(
      async () => /^kong_upstream_target_health\{upstream="pool",target="127\.0\.0\.1:\d+",address="127\.0\.0\.1:\d+",state="healthchecks_off",subsystem="http"\} 1$/m.test(await metricsOf(dp)),
      20_000,
      'target health on the data plane',
    );
    const text = await metricsOf(cp);
    assert.match(text, new RegExp(`^kong_data_plane_last_seen\\{node_id="${dpId}",hostname="[^"]*",ip="[^"]*"\\} \\d+$`, 'm'));
    assert.match(text, new RegExp(`^kong_data_plane_config_hash\\{node_id="${dpId}",hostname="[^"]*",ip="[^"]*"\\} \\d+`, 'm'));
    assert.match(text, new RegExp(`^kong_data_plane_version_compatible\\{node_id="${dpId}",hostname="[^"]*",ip="[^"]*",kong_version="[^"]+"\\} 1$`, 'm'));
    assert.match(text, /^kong_node_info\{/m);
    assert.match(text, /^kong_datastore_reachable 1$/m);
    assert.doesNotMatch(text, /kong_upstream_target_health/, 'Kong exports no target health on a control plane');
    assert.doesNotMatch(text, /^kong_control_plane_connected/m);
  });
});
