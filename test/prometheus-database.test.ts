/**
 * The prometheus plugin on a traditional node with PostgreSQL: `kong_datastore_reachable` follows the real
 * database (1 while it answers, 0 once it is gone), entities created through the Admin API are counted, and
 * the Admin API's `/metrics` serves the same families as the Status API's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

async function text(url: string): Promise<string> {
  const res = await request(url);
  assert.equal(res.statusCode, 200);
  return res.body.text();
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const out = await res.body.text();
  assert.equal(res.statusCode, 201, out);
}

describe('prometheus plugin with PostgreSQL', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let up: TestUpstream;
  let node: TollgateNode;
  let dropped = false;

  before(async () => {
    db = await createTestDatabase();
    const boot = await runTollgate(['migrations', 'bootstrap'], db.env);
    assert.equal(boot.code, 0, boot.stderr);
    up = await startUpstream('pg-prometheus-up');
    node = await startTollgate({ env: db.env, waitFor: 'listening' });
  });

  after(async () => {
    await node?.stop('SIGKILL').catch(() => {});
    await up?.close();
    if (!dropped) await db?.drop();
  });

  test('entities are counted and the datastore is reachable; both APIs serve the metrics', async () => {
    await post(`${node.admin}/services`, { name: 'orders', url: `http://127.0.0.1:${up.port}` });
    await post(`${node.admin}/services/orders/routes`, { name: 'orders-route', paths: ['/orders'] });
    await post(`${node.admin}/plugins`, { name: 'prometheus', config: { status_code_metrics: true } });
    await waitUntil(async () => {
      const res = await request(`${node.proxy}/orders`);
      await res.body.text();
      return /^kong_http_requests_total\{service="orders",route="orders-route",code="200",source="service",workspace="default",consumer=""\} \d+$/m.test(await text(`${node.status}/metrics`));
    }, 30_000, 'the node serving the configuration from the database');
    const status = await text(`${node.status}/metrics`);
    assert.match(status, /^kong_datastore_reachable 1$/m);
    assert.match(status, /^kong_db_entities_total 3$/m);
    const admin = await text(`${node.admin}/metrics`);
    for (const family of ['kong_datastore_reachable', 'kong_db_entities_total', 'kong_http_requests_total', 'kong_nginx_connections_total', 'kong_node_info']) {
      assert.match(admin, new RegExp(`^# TYPE ${family} `, 'm'), family);
    }
  });

  test('kong_datastore_reachable is 0 once the database is gone', async () => {
    await db.drop();
    dropped = true;
    await waitUntil(async () => /^kong_datastore_reachable 0$/m.test(await text(`${node.status}/metrics`)), 30_000, 'kong_datastore_reachable 0');
  });
});
