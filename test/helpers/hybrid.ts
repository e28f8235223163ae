/**
 * Test helper: starts control planes and data planes as real `bin/tollgate` processes on loopback with
 * cluster certificates, and reads their clustering endpoints.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { startTollgate, waitUntil, type TollgateNode } from './tollgate.ts';
import { makeClusterPki, makeSharedPair, type ClusterPki, type PkiEntity } from './cluster-pki.ts';

export type Mode = 'shared' | 'pki';

/** The certificates one node runs with. */
export interface NodeCerts {
  mode: Mode;
  cert: PkiEntity;
  caCert: string | null;
}

/** Every certificate the hybrid tests use: a PKI plus two unrelated shared-mode pairs. */
export interface HybridCerts {
  pki: ClusterPki;
  foreignShared: PkiEntity;
}

export function makeHybridCerts(): HybridCerts {
  const pki = makeClusterPki();
  return { pki, foreignShared: makeSharedPair(pki.dir, 'foreign-shared') };
}

export function certsFor(mode: Mode, certs: HybridCerts, which: 'cp' | 'dp1' | 'dp2' | 'foreign'): NodeCerts {
  if (mode === 'shared') {
    // In shared mode every node holds the same pair; the foreign node holds another gen_cert pair.
    return { mode, cert: which === 'foreign' ? certs.foreignShared : certs.pki.shared, caCert: null };
  }
  return { mode, cert: certs.pki[which], caCert: certs.pki.caCert };
}

export interface ControlPlaneNode extends TollgateNode {
  clusterPort: number;
  telemetryPort: number;
}

export async function startControlPlane(
  certs: NodeCerts,
  options: { env?: Record<string, string>; prefix?: string; keepPrefix?: boolean; clusterPort?: number; telemetryPort?: number } = {},
): Promise<ControlPlaneNode> {
  const clusterPort = options.clusterPort ?? (await freePort());
  const telemetryPort = options.telemetryPort ?? (await freePort());
  const node = await startTollgate({
    prefix: options.prefix,
    keepPrefix: options.keepPrefix,
    waitFor: 'listening',
    env: {
      TOLLGATE_ROLE: 'control_plane',
      TOLLGATE_DATABASE: 'sqlite',
      TOLLGATE_PROXY_LISTEN: 'off',
      TOLLGATE_CLUSTER_LISTEN: `127.0.0.1:${clusterPort}`,
      TOLLGATE_CLUSTER_TELEMETRY_LISTEN: `127.0.0.1:${telemetryPort}`,
      TOLLGATE_CLUSTER_MTLS: certs.mode,
      TOLLGATE_CLUSTER_CERT: certs.cert.certPath,
      TOLLGATE_CLUSTER_CERT_KEY: certs.cert.keyPath,
      ...(certs.caCert === null ? {} : { TOLLGATE_CLUSTER_CA_CERT: certs.caCert }),
      TOLLGATE_LOG_LEVEL: 'info',
      ...options.env,
    },
  });
  return Object.assign(node, { clusterPort, telemetryPort });
}

export async function startDataPlane(
  certs: NodeCerts,
  controlPlanes: readonly { clusterPort: number; telemetryPort: number }[],
  options: { env?: Record<string, string>; prefix?: string; keepPrefix?: boolean; waitFor?: 'ready' | 'listening'; workers?: number } = {},
): Promise<TollgateNode> {
  return startTollgate({
    workers: options.workers,
    prefix: options.prefix ?? mkdtempSync(join(tmpdir(), 'tollgate-dp-')),
    keepPrefix: options.keepPrefix,
    waitFor: options.waitFor ?? 'listening',
    env: {
      TOLLGATE_ROLE: 'data_plane',
      TOLLGATE_ADMIN_LISTEN: 'off',
      TOLLGATE_CLUSTER_CONTROL_PLANE: controlPlanes.map((c) => `127.0.0.1:${c.clusterPort}`).join(','),
      TOLLGATE_CLUSTER_TELEMETRY_ENDPOINT: controlPlanes.map((c) => `127.0.0.1:${c.telemetryPort}`).join(','),
      TOLLGATE_CLUSTER_MTLS: certs.mode,
      TOLLGATE_CLUSTER_CERT: certs.cert.certPath,
      TOLLGATE_CLUSTER_CERT_KEY: certs.cert.keyPath,
      ...(certs.caCert === null ? {} : { TOLLGATE_CLUSTER_CA_CERT: certs.caCert, TOLLGATE_CLUSTER_SERVER_NAME: 'cp.tollgate.test' }),
      TOLLGATE_CLUSTER_TELEMETRY_INTERVAL: '1',
      TOLLGATE_LOG_LEVEL: 'info',
      ...options.env,
    },
  });
}

export interface DataPlaneRow {
  id: string;
  hostname: string;
  connected: boolean;
  in_sync: boolean;
  sync_status: string;
  sync_status_reason: string | null;
  config_hash: string;
  missing_plugins: string[];
  refused_routes: number;
  last_payload: { kind: 'full' | 'delta'; bytes: number } | null;
  last_push_ms: number | null;
  lag: { versions_behind: number | null; seconds: number };
}

export async function dataPlanes(cp: TollgateNode): Promise<DataPlaneRow[]> {
  const r = await fetch(`${cp.admin}/clustering/data-planes`);
  return ((await r.json()) as { data: DataPlaneRow[] }).data;
}

export interface DataPlaneStatus {
  node_id: string;
  config_hash: string;
  config_source: string;
  control_plane: { connected: boolean; last_error: string | null; control_plane: string | null } | null;
  refused_routes: number;
  missing_plugins: string[];
}

export async function clusteringStatus(dp: TollgateNode): Promise<DataPlaneStatus> {
  const r = await fetch(`${dp.status}/clustering/status`);
  return (await r.json()) as DataPlaneStatus;
}

export async function waitForConnected(cp: TollgateNode, ids: readonly string[], ms = 15_000): Promise<void> {
  await waitUntil(async () => {
    const rows = await dataPlanes(cp);
    return ids.every((id) => rows.some((r) => r.id === id && r.connected));
  }, ms, `data planes ${ids.join(', ')} to connect`);
}

export async function statusOf(url: string, init?: RequestInit): Promise<number> {
  try {
    const r = await fetch(url, init);
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

/** Admin API call that must succeed; returns the JSON body. */
export async function admin(cp: TollgateNode, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(`${cp.admin}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}
