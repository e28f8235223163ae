/**
 * `policy = cluster`: counters in the node's PostgreSQL, in Kong's plugin-owned tables (`ratelimiting_metrics`,
 * `response_ratelimiting_metrics`, created by the plugins' migrations). Two traditional nodes of two workers
 * each on one database enforce one rate-limiting limit exactly under concurrent requests, and share
 * response-ratelimiting's counts. A DB-less node refuses the policy, at start and on `POST /config`, naming
 * config.policy.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { request } from 'undici';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function call(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string) {
  const res = await request(url, { method: method as 'GET', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

async function post(base: string, path: string, json: unknown) {
  const res = await call(`${base}${path}`, { 'content-type': 'application/json' }, 'POST', JSON.stringify(json));
  return { status: res.status, body: res.text === '' ? null : JSON.parse(res.text) };
}

describe('policy = cluster on PostgreSQL', () => {
  let db: TestDatabase;
  let up: TestUpstream;
  let a: TollgateNode;
  let b: TollgateNode;
  let client: pg.Client;
  before(async () => {
    db = await createTestDatabase();
    // Echoes; answers X-Kong-Limit with the `limit` query argument (response-ratelimiting's increments).
    up = await startUpstream('cluster-up', (req, res) => {
      const limit = new URL(req.url ?? '/', 'http://x').searchParams.get('limit');
      const body = JSON.stringify({ headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', ...(limit === null ? {} : { 'x-kong-limit': limit }) });
      res.end(body);
    });
    const boot = await runTollgate(['migrations', 'bootstrap'], db.env);
    assert.equal(boot.code, 0, boot.stderr);
    // One after the other: a loaded machine starts two at once slowly.
    a = await startTollgate({ env: db.env, workers: 2 });
    b = await startTollgate({ env: db.env, workers: 2 });
    client = new pg.Client({ host: db.env.TOLLGATE_PG_HOST, port: Number(db.env.TOLLGATE_PG_PORT), user: db.env.TOLLGATE_PG_USER, password: db.env.TOLLGATE_PG_PASSWORD, database: db.name });
    await client.connect();
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await client?.end();
    await up?.close();
    await db?.drop();
  });

  test("the plugins' migrations create Kong's tables", async () => {
    const list = await runTollgate(['migrations', 'list'], db.env);
    assert.match(list.stdout, /^  rate-limiting:000_base_rate_limiting$/m);
    assert.match(list.stdout, /^  response-ratelimiting:000_base_response_rate_limiting$/m);
    const tables = await client.query(`SELECT table_name FROM information_schema.tables WHERE table_name IN ('ratelimiting_metrics', 'response_ratelimiting_metrics') ORDER BY 1`);
    assert.deepEqual(tables.rows.map((r) => r.table_name), ['ratelimiting_metrics', 'response_ratelimiting_metrics']);
  });

  test('rate-limiting: one exact limit for two nodes of two workers each', async () => {
    const svc = await post(a.admin, '/services', { name: 'rl', url: `http://127.0.0.1:${up.port}` });
    assert.equal(svc.status, 201, JSON.stringify(svc.body));
    const route = await post(a.admin, '/services/rl/routes', { name: 'rl', paths: ['/rl'] });
    assert.equal(route.status, 201, JSON.stringify(route.body));
    const plugin = await post(a.admin, '/routes/rl/plugins', { name: 'rate-limiting', config: { day: 15, hour: 15, limit_by: 'header', header_name: 'x-client', policy: 'cluster' } });
    assert.equal(plugin.status, 201, JSON.stringify(plugin.body));
    // Both nodes serve the route once the write reached them; probes use a client id of their own.
    for (const node of [a, b]) {
      await waitUntil(async () => (await call(`${node.proxy}/rl`, { 'x-client': 'probe' })).headers['x-ratelimit-limit-day'] === '15', 20_000, 'the plugin on both nodes');
    }
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => call(`${(i % 2 === 0 ? a : b).proxy}/rl`, { 'x-client': 'burst' })));
    const ok = results.filter((r) => r.status === 200).length;
    assert.equal(ok, 15, results.map((r) => r.status).join(','));
    assert.equal(results.filter((r) => r.status === 429).length, 25);
    const rows = await client.query(`SELECT "period", "value", "route_id", "service_id" FROM "ratelimiting_metrics" WHERE "identifier" = 'burst' ORDER BY "period"`);
    assert.deepEqual(rows.rows.map((r) => [r.period, r.value]), [['day', 15], ['hour', 15]], 'refused requests are taken back out');
    assert.equal(rows.rows[0].route_id, route.body.id);
    assert.equal(rows.rows[0].service_id, '00000000-0000-0000-0000-000000000000');
  });

  test('response-ratelimiting: counts shared through the database', async () => {
    assert.equal((await post(a.admin, '/services/rl/routes', { name: 'rrl', paths: ['/rrl'] })).status, 201);
    const plugin = await post(a.admin, '/routes/rrl/plugins', { name: 'response-ratelimiting', config: { limit_by: 'ip', policy: 'cluster', fault_tolerant: false, limits: { videos: { hour: 2 } } } });
    assert.equal(plugin.status, 201, JSON.stringify(plugin.body));
    for (const node of [a, b]) {
      await waitUntil(async () => (await call(`${node.proxy}/rrl`)).headers['x-ratelimit-limit-videos-hour'] === '2', 20_000, 'the plugin on both nodes');
    }
    assert.equal((await call(`${a.proxy}/rrl?limit=${encodeURIComponent('videos=2')}`)).status, 200);
    await waitUntil(async () => JSON.parse((await call(`${b.proxy}/rrl`)).text).headers['x-ratelimit-remaining-videos'] === '0', 15_000, 'node B sees the count');
    assert.equal((await call(`${b.proxy}/rrl?limit=${encodeURIComponent('videos=1')}`)).status, 429);
    const rows = await client.query(`SELECT "period", "value" FROM "response_ratelimiting_metrics"`);
    assert.deepEqual(rows.rows.map((r) => [r.period, r.value]), [['videos_hour', 2]]);
  });
});

describe('policy = cluster without a database', () => {
  const config = `_format_version: "3.0"
services:
  - name: s
    url: http://127.0.0.1:9
    plugins:
      - name: rate-limiting
        config: { minute: 5, policy: cluster }
`;

  test('a DB-less node refuses to start with it, naming config.policy', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'tg-cluster-'));
    const file = join(prefix, 'tollgate.yml');
    writeFileSync(file, config);
    const r = await runTollgate(['start'], { TOLLGATE_PREFIX: prefix, TOLLGATE_DATABASE: 'off', TOLLGATE_DECLARATIVE_CONFIG: file, TOLLGATE_PROXY_LISTEN: 'off', TOLLGATE_ADMIN_LISTEN: 'off', TOLLGATE_STATUS_LISTEN: 'off' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /policy/);
    assert.match(r.stderr, /policy 'cluster' keeps counters in the database, and this node has no database/);
  });

  test('db_import into SQLite refuses it, naming config.policy', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'tg-cluster-'));
    const file = join(prefix, 'import.yml');
    writeFileSync(file, config);
    const r = await runTollgate(['config', 'db_import', file], { TOLLGATE_PREFIX: prefix, TOLLGATE_DATABASE: 'sqlite' });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /in 'policy': policy 'cluster' keeps counters in the database, and it needs PostgreSQL/);
  });

  test('POST /config on a DB-less node answers 400 naming config.policy', async () => {
    const node = await startTollgate();
    try {
      const res = await call(`${node.admin}/config`, { 'content-type': 'application/yaml' }, 'POST', config.replace('rate-limiting', 'response-ratelimiting').replace('{ minute: 5, policy: cluster }', '{ policy: cluster, limits: { videos: { minute: 5 } } }'));
      assert.equal(res.status, 400, res.text);
      assert.match(res.text, /"policy":"policy 'cluster' keeps counters in the database, and this node has no database \(database = off: DB-less or a hybrid data plane\): use 'redis'/);
    } finally {
      await node.stop();
    }
  });
});
