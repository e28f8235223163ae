import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { request } from 'undici';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';

/** A form-encoded Admin API call, the way Kong's getting-started guide uses curl -d. */
async function form(base: string, method: string, path: string, fields: Record<string, string>) {
  const res = await request(`${base}${path}`, {
    method: method as 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? null : JSON.parse(text) };
}

async function statusOf(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await request(url, { headers });
  await res.body.text();
  return res.statusCode;
}

describe('traditional mode on the embedded SQLite store', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('sqlite-up');
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite' } });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('Admin API writes reach the proxy within a second, with no restart', async () => {
    const svc = await form(node.admin, 'POST', '/services', { name: 'example_service', url: `http://127.0.0.1:${up.port}` });
    assert.equal(svc.status, 201, JSON.stringify(svc.body));
    const t0 = Date.now();
    const route = await form(node.admin, 'POST', '/services/example_service/routes', { 'paths[]': '/mock', name: 'example_route' });
    assert.equal(route.status, 201, JSON.stringify(route.body));
    await waitUntil(async () => (await statusOf(`${node.proxy}/mock/x`)) === 200, 1000, 'the new route on the proxy');
    assert.ok(Date.now() - t0 < 1000);
    const echo = (await (await request(`${node.proxy}/mock/anything`)).body.json()) as Echo;
    assert.equal(echo.url, '/anything');
    const del = await request(`${node.admin}/routes/example_route`, { method: 'DELETE' });
    assert.equal(del.statusCode, 204);
    await del.body.text();
    await waitUntil(async () => (await statusOf(`${node.proxy}/mock/x`)) === 404, 1000, 'the route gone from the proxy');
  });

  test('bad input gets Kong’s errors and changes nothing', async () => {
    const bad = await form(node.admin, 'POST', '/services', { name: 'bad', host: 'x', port: '99999' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 2);
    assert.equal(bad.body.fields.port, 'value should be between 0 and 65535');
    const dup = await form(node.admin, 'POST', '/services', { name: 'example_service', host: 'y' });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.message, `UNIQUE violation detected on '{name="example_service"}'`);
    const list = (await (await request(`${node.admin}/services`)).body.json()) as { data: unknown[] };
    assert.equal(list.data.length, 1);
  });

  test('a node with proxy_listen = off (Admin API only) is ready without workers', async () => {
    const adminOnly = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PROXY_LISTEN: 'off' } });
    try {
      const ready = await request(`${adminOnly.status}/status/ready`);
      assert.equal(ready.statusCode, 200, await ready.body.text());
      const info = (await (await request(`${adminOnly.admin}/`)).body.json()) as { pids: { workers: number[] } };
      assert.deepEqual(info.pids.workers, []);
    } finally {
      await adminOnly.stop();
    }
  });

  test('the configuration survives a restart (same prefix, same SQLite file)', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'tg-sqlite-'));
    const first = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: prefix } });
    const created = await form(first.admin, 'POST', '/consumers', { username: 'persisted' });
    assert.equal(created.status, 201);
    assert.equal(await first.stop(), 0);
    const second = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: prefix } });
    try {
      const res = await request(`${second.admin}/consumers/persisted`);
      assert.equal(res.statusCode, 200);
      assert.equal(((await res.body.json()) as { id: string }).id, created.body.id);
    } finally {
      await second.stop();
    }
  });
});

describe('traditional mode on PostgreSQL', () => {
  let db: TestDatabase;
  let up: TestUpstream;
  before(async () => {
    db = await createTestDatabase();
    up = await startUpstream('pg-up');
  });
  after(async () => {
    await up?.close();
    await db?.drop();
  });

  test('start refuses a database that is not bootstrapped and names the command', async () => {
    const r = await runTollgate(['start'], { ...db.env, TOLLGATE_PREFIX: mkdtempSync(join(tmpdir(), 'tg-pg-')) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /tollgate migrations bootstrap/);
  });

  test('migrations bootstrap, list and up', async () => {
    const listBefore = await runTollgate(['migrations', 'list'], db.env);
    assert.equal(listBefore.code, 3, listBefore.stdout + listBefore.stderr);
    const boot = await runTollgate(['migrations', 'bootstrap'], db.env);
    assert.equal(boot.code, 0, boot.stderr);
    const list = await runTollgate(['migrations', 'list'], db.env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /core:000_base/);
    assert.match(list.stdout, /^  key-auth:000_base_key_auth$/m, 'an enabled plugin\'s migrations are listed under its name');
    const bare = await runTollgate(['migrations', 'list'], { ...db.env, TOLLGATE_PLUGINS: 'off' });
    assert.equal(bare.code, 0, bare.stderr);
    assert.match(bare.stdout, /key-auth:000_base_key_auth/, 'recorded migrations of plugins not enabled still show as executed');
    const again = await runTollgate(['migrations', 'bootstrap'], db.env);
    assert.equal(again.code, 1);
    const upToDate = await runTollgate(['migrations', 'up'], db.env);
    assert.equal(upToDate.code, 0);
    assert.match(upToDate.stdout, /up to date/);
  });

  test('db_import is all or nothing; db_export writes the database back out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-import-'));
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, `_format_version: "3.0"\nservices:\n  - name: imported\n    url: http://127.0.0.1:${up.port}\n  - name: broken\n    port: 99999\n`);
    const ko = await runTollgate(['config', 'db_import', bad], db.env);
    assert.equal(ko.code, 1);
    assert.match(ko.stderr, /in entry 2 of 'services':\n\s+in 'host': required field missing\n\s+in 'port': value should be between 0 and 65535/);
    const empty = await runTollgate(['config', 'db_export'], db.env);
    assert.doesNotMatch(empty.stdout, /imported/, 'nothing was imported');
    const good = join(dir, 'good.yml');
    writeFileSync(good, `_format_version: "3.0"\nservices:\n  - name: imported\n    url: http://127.0.0.1:${up.port}\n    routes:\n      - name: imported\n        paths: ["/imported"]\n`);
    const ok = await runTollgate(['config', 'db_import', good], db.env);
    assert.equal(ok.code, 0, ok.stderr);
    const out = await runTollgate(['config', 'db_export'], db.env);
    assert.match(out.stdout, /name: imported/);
    assert.match(out.stdout, /_format_version: "3.0"/);
  });

  test('two nodes on one database see each other’s writes within a second', async () => {
    const a = await startTollgate({ env: db.env });
    const b = await startTollgate({ env: db.env });
    try {
      assert.equal(await statusOf(`${b.proxy}/imported`), 200, 'both serve what the database holds at start');
      const t0 = Date.now();
      const route = await form(a.admin, 'POST', '/services/imported/routes', { 'paths[]': '/from-a', name: 'from-a' });
      assert.equal(route.status, 201, JSON.stringify(route.body));
      await waitUntil(async () => (await statusOf(`${b.proxy}/from-a`)) === 200, 1000, 'node B to serve node A’s route');
      assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
      const del = await request(`${b.admin}/routes/from-a`, { method: 'DELETE' });
      assert.equal(del.statusCode, 204);
      await del.body.text();
      await waitUntil(async () => (await statusOf(`${a.proxy}/from-a`)) === 404, 1000, 'node A to drop the route deleted on B');
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('a traditional node whose database is slow or fails a read', () => {
  let db: TestDatabase;
  let up: TestUpstream;
  before(async () => {
    db = await createTestDatabase();
    const boot = await runTollgate(['migrations', 'bootstrap'], db.env);
    assert.equal(boot.code, 0, boot.stderr);
    up = await startUpstream('pg-read-up');
  });
  after(async () => {
    await up?.close();
    await db?.drop();
  });

  test('a change the node fails to read is read again until the database answers', async () => {
    const node = await startTollgate({ env: { ...db.env, TOLLGATE_LOG_LEVEL: 'info' } });
    const sql = new pg.Client({ host: db.env.TOLLGATE_PG_HOST, port: Number(db.env.TOLLGATE_PG_PORT), user: db.env.TOLLGATE_PG_USER, password: db.env.TOLLGATE_PG_PASSWORD, database: db.name });
    await sql.connect();
    try {
      // The write commits (it does not touch ca_certificates) but reading the whole configuration back fails.
      const service = await form(node.admin, 'POST', '/services', { name: 'late', url: `http://127.0.0.1:${up.port}` });
      assert.equal(service.status, 201, JSON.stringify(service.body));
      await sql.query('ALTER TABLE ca_certificates RENAME TO ca_certificates_away');
      const route = await form(node.admin, 'POST', '/services/late/routes', { 'paths[]': '/late', name: 'late' });
      assert.equal(route.status, 201, JSON.stringify(route.body));
      await waitUntil(async () => /could not read the configuration from the database; the current one keeps serving, next try in/.test(node.output()), 5000, 'the failed read to be logged');
      assert.equal(await statusOf(`${node.proxy}/late`), 404);
      await sql.query('ALTER TABLE ca_certificates_away RENAME TO ca_certificates');
      await waitUntil(async () => (await statusOf(`${node.proxy}/late`)) === 200, 15_000, 'the route once the database answers');
    } finally {
      await sql.query('ALTER TABLE IF EXISTS ca_certificates_away RENAME TO ca_certificates').catch(() => {});
      await sql.end();
      await node.stop();
    }
  });

  test('writes while the database is slow: the node ends on the last one, not on an older read finishing late', async () => {
    const node = await startTollgate({ env: db.env });
    const sql = new pg.Client({ host: db.env.TOLLGATE_PG_HOST, port: Number(db.env.TOLLGATE_PG_PORT), user: db.env.TOLLGATE_PG_USER, password: db.env.TOLLGATE_PG_PASSWORD, database: db.name });
    await sql.connect();
    try {
      const service = await form(node.admin, 'POST', '/services', { name: 'slow', url: `http://127.0.0.1:${up.port}` });
      assert.equal(service.status, 201, JSON.stringify(service.body));
      // Reads of the whole configuration take their snapshot, then wait on this lock (the last collection, a
      // plugin's, is read last; routes are written without touching it). Each write below starts such a read.
      await sql.query('BEGIN');
      await sql.query('LOCK TABLE keyauth_credentials IN ACCESS EXCLUSIVE MODE');
      for (const name of ['first', 'second', 'third']) {
        const route = await form(node.admin, 'POST', '/services/slow/routes', { 'paths[]': `/${name}`, name });
        assert.equal(route.status, 201, JSON.stringify(route.body));
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      await sql.query('COMMIT');
      await waitUntil(async () => (await statusOf(`${node.proxy}/third`)) === 200, 5000, 'the last route');
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const name of ['first', 'second', 'third']) assert.equal(await statusOf(`${node.proxy}/${name}`), 200, name);
    } finally {
      await sql.query('ROLLBACK').catch(() => {});
      await sql.end();
      await node.stop();
    }
  });
});
