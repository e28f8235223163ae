/**
 * Measures hybrid mode at scale, through real processes: a control plane whose database holds `routes`
 * routes (imported with `tollgate config db_import`), one data plane; then a one-route change. Used by
 * test/hybrid-scale.test.ts (10,000 routes) and bench/hybrid.ts (10,000 and 100,000).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTollgate, waitUntil } from './tollgate.ts';
import { startUpstream } from './upstream.ts';
import { admin, certsFor, clusteringStatus, dataPlanes, makeHybridCerts, startControlPlane, startDataPlane, statusOf, type Mode } from './hybrid.ts';

export interface ScaleResult {
  routes: number;
  /** `db_import` of the generated file. */
  importMs: number;
  /** Control plane start (export and publish included) to the data plane serving every route. */
  initialSyncMs: number;
  fullBytes: number;
  /** A route added on the control plane until the data plane proxies it. */
  propagationMs: number;
  deltaKind: 'full' | 'delta';
  deltaBytes: number;
  /** What the data plane reported for validating and serving the changed configuration. */
  dataPlaneApplyMs: number | null;
}

export async function measureHybridScale(routes: number, mode: Mode = 'shared', options: { logLevel?: string; onLogs?: (cp: string, dp: string) => void } = {}): Promise<ScaleResult> {
  const logLevel = options.logLevel ?? 'notice';
  const certs = makeHybridCerts();
  const upstream = await startUpstream('scale-upstream');
  const cpPrefix = mkdtempSync(join(tmpdir(), 'tollgate-cp-'));
  const services = Math.max(1, Math.ceil(routes / 100));
  const document = {
    _format_version: '3.0',
    services: Array.from({ length: services }, (_, s) => ({
      name: `svc-${s}`,
      url: `http://127.0.0.1:${upstream.port}`,
      routes: Array.from({ length: Math.min(100, routes - s * 100) }, (_, r) => ({ name: `route-${s * 100 + r}`, paths: [`/r/${s * 100 + r}`] })),
    })),
  };
  const file = join(cpPrefix, 'big.json');
  writeFileSync(file, JSON.stringify(document));
  const nodes: { stop(signal?: NodeJS.Signals): Promise<unknown> }[] = [];
  try {
    const t0 = performance.now();
    const imported = await runTollgate(['config', 'db_import', file], { TOLLGATE_PREFIX: cpPrefix, TOLLGATE_DATABASE: 'sqlite' });
    if (imported.code !== 0) throw new Error(`db_import failed: ${imported.stderr}`);
    const importMs = performance.now() - t0;

    const t1 = performance.now();
    const cp = await startControlPlane(certsFor(mode, certs, 'cp'), { prefix: cpPrefix, keepPrefix: true, env: { TOLLGATE_LOG_LEVEL: logLevel } });
    nodes.push(cp);
    const dp = await startDataPlane(certsFor(mode, certs, 'dp1'), [cp], { env: { TOLLGATE_LOG_LEVEL: logLevel } });
    nodes.push(dp);
    const last = `/r/${routes - 1}`;
    await waitUntil(async () => (await statusOf(`${dp.proxy}${last}`)) === 200, 120_000, `the data plane to serve ${routes} routes`);
    const initialSyncMs = performance.now() - t1;
    const dpId = (await clusteringStatus(dp)).node_id;
    await waitUntil(async () => (await dataPlanes(cp)).find((d) => d.id === dpId)?.in_sync === true, 30_000, 'in sync');
    const fullBytes = (await dataPlanes(cp)).find((d) => d.id === dpId)?.last_payload?.bytes ?? 0;

    const t2 = performance.now();
    await admin(cp, 'POST', '/services/svc-0/routes', { name: 'added', paths: ['/added'] });
    await waitUntil(async () => (await statusOf(`${dp.proxy}/added`)) === 200, 120_000, 'the added route');
    const propagationMs = performance.now() - t2;
    await waitUntil(async () => (await dataPlanes(cp)).find((d) => d.id === dpId)?.in_sync === true, 30_000, 'in sync after the change');
    options.onLogs?.(cp.output(), dp.output());
    const row = (await dataPlanes(cp)).find((d) => d.id === dpId)!;
    const raw = (await (await fetch(`${cp.admin}/clustering/data-planes`)).json()) as { data: { id: string; last_apply_ms: number | null }[] };
    return {
      routes,
      importMs,
      initialSyncMs,
      fullBytes,
      propagationMs,
      deltaKind: row.last_payload?.kind ?? 'full',
      deltaBytes: row.last_payload?.bytes ?? 0,
      dataPlaneApplyMs: raw.data.find((d) => d.id === dpId)?.last_apply_ms ?? null,
    };
  } finally {
    for (const node of nodes.reverse()) await node.stop('SIGKILL').catch(() => {});
    await upstream.close();
    rmSync(cpPrefix, { recursive: true, force: true });
    rmSync(certs.pki.dir, { recursive: true, force: true });
  }
}
