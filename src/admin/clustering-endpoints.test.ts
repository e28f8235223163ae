/**
 * The clustering endpoints' HTTP contract: refused outside a control plane, paged by id, Kong's older
 * map view. The control plane behind them is a stand-in ClusterView here; test/hybrid*.test.ts run the
 * real one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterView } from './context.ts';
import { startTestAdmin } from './test-support.ts';

const rows = ['c', 'a', 'b'].map((letter) => ({
  id: `${letter.repeat(8)}-0000-4000-8000-000000000000`,
  hostname: `dp-${letter}`,
  ip: '10.0.0.1',
  config_hash: letter.repeat(32),
  last_seen: 1_700_000_000,
  connected: true,
}));

const controlPlane: ClusterView = {
  role: 'control_plane',
  dataPlanes: async () => rows.map((r) => ({ ...r })),
  telemetry: async () => ({ services: { s1: { requests: 3 } }, data_planes: [] }),
  metrics: () => '',
};

test('outside a control plane the clustering endpoints answer 400 with the reason', async () => {
  const admin = await startTestAdmin();
  try {
    for (const path of ['/clustering/data-planes', '/clustering/status', '/clustering/telemetry']) {
      const r = await admin.call('GET', path);
      assert.equal(r.status, 400, path);
      assert.equal(r.body.message, 'this endpoint is only available when Tollgate is configured to run as a control plane for the cluster');
    }
  } finally {
    await admin.close();
  }
});

test('/clustering/data-planes is a collection paged by id; /clustering/status maps ids (deprecated)', async () => {
  const admin = await startTestAdmin({ clustering: controlPlane });
  try {
    const first = await admin.call('GET', '/clustering/data-planes?size=2');
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.data.map((d: { hostname: string }) => d.hostname), ['dp-a', 'dp-b']);
    assert.match(first.body.next, /^\/clustering\/data-planes\?offset=/);
    const second = await admin.call('GET', first.body.next);
    assert.deepEqual(second.body.data.map((d: { hostname: string }) => d.hostname), ['dp-c']);
    assert.equal(second.body.next, null);
    const bad = await admin.call('GET', '/clustering/data-planes?size=0');
    assert.equal(bad.status, 400);

    const status = await admin.call('GET', '/clustering/status');
    assert.equal(status.headers.deprecation, 'true');
    assert.deepEqual(status.body[rows[1].id], { config_hash: 'a'.repeat(32), hostname: 'dp-a', ip: '10.0.0.1', last_seen: 1_700_000_000 });

    const telemetry = await admin.call('GET', '/clustering/telemetry');
    assert.equal(telemetry.body.services.s1.requests, 3);
  } finally {
    await admin.close();
  }
});
