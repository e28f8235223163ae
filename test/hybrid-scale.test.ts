/**
 * True incremental sync at scale: a one-route change on a 10,000-route configuration reaches the data plane
 * as a delta of a few kilobytes, not the whole configuration. Sizes are asserted (they are deterministic);
 * times are printed, not asserted (bench/hybrid.ts records them in docs/benchmarks.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureHybridScale } from './helpers/hybrid-scale.ts';

test('a one-route change on 10,000 routes is sent as a delta of a few kilobytes', { timeout: 240_000 }, async (t) => {
  const r = await measureHybridScale(10_000);
  t.diagnostic(JSON.stringify(r));
  assert.ok(r.fullBytes > 100_000, `the full snapshot is large (${r.fullBytes} bytes)`);
  assert.equal(r.deltaKind, 'delta');
  assert.ok(r.deltaBytes < 4096, `delta of ${r.deltaBytes} bytes`);
  assert.ok(r.deltaBytes * 50 < r.fullBytes, `delta ${r.deltaBytes} bytes vs full ${r.fullBytes} bytes`);
});

test('a configuration over cluster_max_payload is not sent, and the control plane says why', { timeout: 240_000 }, async () => {
  const { randomBytes } = await import('node:crypto');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { runTollgate, waitUntil } = await import('./helpers/tollgate.ts');
  const { certsFor, clusteringStatus, dataPlanes, makeHybridCerts, startControlPlane, startDataPlane } = await import('./helpers/hybrid.ts');
  const certs = makeHybridCerts();
  const prefix = mkdtempSync(join(tmpdir(), 'tollgate-cp-big-'));
  // Random paths do not compress: 30,000 of them make more than the 4 MiB minimum of cluster_max_payload.
  const routes = Array.from({ length: 30_000 }, (_, i) => ({ name: `r${i}`, paths: [`/${randomBytes(120).toString('base64url')}`] }));
  writeFileSync(join(prefix, 'big.json'), JSON.stringify({ _format_version: '3.0', services: [{ name: 's', url: 'http://127.0.0.1:9', routes }] }));
  const nodes: { stop(signal?: NodeJS.Signals): Promise<unknown> }[] = [];
  try {
    const imported = await runTollgate(['config', 'db_import', join(prefix, 'big.json')], { TOLLGATE_PREFIX: prefix, TOLLGATE_DATABASE: 'sqlite' });
    assert.equal(imported.code, 0, imported.stderr);
    const cp = await startControlPlane(certsFor('shared', certs, 'cp'), { prefix, keepPrefix: true, env: { TOLLGATE_CLUSTER_MAX_PAYLOAD: String(4 * 1024 * 1024) } });
    nodes.push(cp);
    const dp = await startDataPlane(certsFor('shared', certs, 'dp1'), [cp]);
    nodes.push(dp);
    const id = (await clusteringStatus(dp)).node_id;
    await waitUntil(async () => (await dataPlanes(cp)).some((r) => r.id === id && r.connected), 30_000, 'the data plane to connect');
    await waitUntil(() => /over cluster_max_payload/.test(cp.output()), 60_000, 'the refusal in the log');
    const row = (await (await fetch(`${cp.admin}/clustering/data-planes`)).json()) as { data: { id: string; last_apply_error: { message: string } | null; in_sync: boolean }[] };
    const mine = row.data.find((r) => r.id === id);
    assert.match(mine?.last_apply_error?.message ?? '', /bytes compressed, over cluster_max_payload \(4194304\)/);
    assert.equal(mine?.in_sync, false);
    assert.equal((await clusteringStatus(dp)).control_plane?.connected, true, 'the data plane stays connected');
  } finally {
    for (const node of nodes.reverse()) await node.stop('SIGKILL').catch(() => {});
    rmSync(prefix, { recursive: true, force: true });
    rmSync(certs.pki.dir, { recursive: true, force: true });
  }
});
