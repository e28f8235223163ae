/**
 * Kong's node endpoints through bin/tollgate: the log level changed at run time (every worker, with its
 * timeout, and for every node on one PostgreSQL database), `/timers`, `/status`'s memory section and `GET /`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminCall } from './helpers/admin-call.ts';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';

async function levelOf(node: TollgateNode): Promise<string> {
  const r = await adminCall(node.admin, 'GET', '/debug/node/log-level');
  assert.equal(r.status, 200);
  return String(r.body?.message);
}

describe('dynamic log level on one node (SQLite, two workers)', () => {
  let node: TollgateNode;
  before(async () => {
    node = await startTollgate({ workers: 2, env: { TOLLGATE_DATABASE: 'sqlite' } });
  });
  after(async () => {
    await node?.stop();
  });

  test('GET answers the configured level', async () => {
    assert.equal(await levelOf(node), 'log level: notice');
  });

  test('bad levels and timeouts are refused with Kong\'s messages', async () => {
    const bad = await adminCall(node.admin, 'PUT', '/debug/node/log-level/loud');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, { message: 'unknown log level: loud' });
    const negative = await adminCall(node.admin, 'PUT', '/debug/node/log-level/debug?timeout=-1');
    assert.equal(negative.status, 400);
    assert.deepEqual(negative.body, { message: 'timeout must be greater than or equal to 0' });
    const same = await adminCall(node.admin, 'PUT', '/debug/node/log-level/notice');
    assert.deepEqual(same, { status: 200, body: { message: 'log level is already notice' } });
    // The control planes' path exists only on control planes.
    const cp = await adminCall(node.admin, 'PUT', '/debug/cluster/control-planes-nodes/log-level/debug');
    assert.equal(cp.status, 404);
  });

  test('a change reaches every worker, shows in GET /, and reverts after its timeout', async () => {
    const pids = ((await adminCall(node.admin, 'GET', '/')).body?.pids as { workers: number[] }).workers;
    assert.equal(pids.length, 2);
    const changed = await adminCall(node.admin, 'PUT', '/debug/node/log-level/debug?timeout=3');
    assert.deepEqual(changed, { status: 200, body: { message: 'log level changed' } });
    assert.equal(await levelOf(node), 'log level: debug');
    const info = await adminCall(node.admin, 'GET', '/');
    assert.equal((info.body?.configuration as Record<string, unknown>).log_level, 'debug');

    // Workers log each configuration they apply at debug level: a write makes both say so.
    const created = await adminCall(node.admin, 'POST', '/services', { name: 'while-debug', url: 'http://127.0.0.1:9' });
    assert.equal(created.status, 201);
    for (const pid of pids) {
      await waitUntil(() => new RegExp(`\\[debug\\] ${pid}#\\d+: configuration \\w+ applied`).test(node.output()), 15_000);
    }

    await waitUntil(async () => (await levelOf(node)) === 'log level: notice', 20_000);
    // Back at notice: a new configuration is applied without a debug line.
    const debugLines = (): number => (node.output().match(/\[debug\] \d+#[12]: configuration/g) ?? []).length;
    const before = debugLines();
    assert.equal((await adminCall(node.admin, 'POST', '/services', { name: 'after-revert', url: 'http://127.0.0.1:9' })).status, 201);
    await waitUntil(async () => {
      const status = await fetch(`${node.status}/status/ready`);
      return status.status === 200;
    }, 10_000);
    // Give the workers time to apply (they answer ready throughout), then check nothing was logged at debug.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(debugLines(), before);
  });

  test('timeout=0 keeps the level until the next change', async () => {
    assert.equal((await adminCall(node.admin, 'PUT', '/debug/node/log-level/warn?timeout=0')).status, 200);
    assert.equal(await levelOf(node), 'log level: warn');
    assert.equal((await adminCall(node.admin, 'PUT', '/debug/node/log-level/notice?timeout=0')).status, 200);
    assert.equal(await levelOf(node), 'log level: notice');
  });

  test('/timers and /status describe every process', async () => {
    const timers = await adminCall(node.admin, 'GET', '/timers');
    assert.equal(timers.status, 200);
    const worker = timers.body?.worker as { id: number; count: number };
    assert.equal(worker.count, 2);
    const sys = (timers.body?.stats as { sys: Record<string, number> }).sys;
    assert.ok(Number.isInteger(sys.pending) && sys.pending >= 0);
    assert.equal(sys.total, sys.pending + sys.running);

    const info = await adminCall(node.admin, 'GET', '/');
    assert.ok(Number.isInteger((info.body?.timers as { pending: number }).pending));

    const status = await adminCall(node.admin, 'GET', '/status');
    const memory = status.body?.memory as { workers_lua_vms: { pid: number; http_allocated_gc: string }[]; lua_shared_dicts: Record<string, Record<string, string>> };
    const pids = (info.body?.pids as { master: number; workers: number[] });
    assert.deepEqual(memory.workers_lua_vms.map((w) => w.pid).sort(), [pids.master, ...pids.workers].sort());
    for (const w of memory.workers_lua_vms) assert.match(w.http_allocated_gc, /^\d+\.\d{2} MiB$/);
    assert.match(memory.lua_shared_dicts.kong_db_cache.capacity, /^128\.00 MiB$/);
    assert.match(memory.lua_shared_dicts.kong_db_cache.allocated_slabs, /^\d+\.\d{2} MiB$/);

    const bytes = await adminCall(node.admin, 'GET', '/status?unit=b');
    const vms = (bytes.body?.memory as { workers_lua_vms: { http_allocated_gc: unknown }[] }).workers_lua_vms;
    assert.equal(typeof vms[0].http_allocated_gc, 'number');
    const kib = await adminCall(node.admin, 'GET', '/status?unit=k&scale=3');
    assert.match(String((kib.body?.memory as { workers_lua_vms: { http_allocated_gc: string }[] }).workers_lua_vms[0].http_allocated_gc), /^\d+\.\d{3} KiB$/);
    const badUnit = await adminCall(node.admin, 'GET', '/status?unit=t');
    assert.deepEqual(badUnit, { status: 400, body: { message: "invalid unit 't' (expected 'k/K', 'm/M', or 'g/G')" } });
    const fromStatusApi = await fetch(`${node.status}/status?unit=x`);
    assert.equal(fromStatusApi.status, 400);
  });
});

describe('dynamic log level without a database', () => {
  let node: TollgateNode;
  before(async () => {
    node = await startTollgate({ config: '_format_version: "3.0"\n' });
  });
  after(async () => {
    await node?.stop();
  });

  test('PUT answers 405 with Kong\'s message; GET still answers', async () => {
    const r = await adminCall(node.admin, 'PUT', '/debug/node/log-level/debug');
    assert.deepEqual(r, { status: 405, body: { message: 'cannot change log level when not using a database' } });
    const cluster = await adminCall(node.admin, 'PUT', '/debug/cluster/log-level/debug');
    assert.equal(cluster.status, 405);
    assert.equal(await levelOf(node), 'log level: notice');
  });
});

describe('cluster-wide log level on two nodes sharing PostgreSQL', () => {
  let db: TestDatabase;
  let a: TollgateNode;
  let b: TollgateNode;
  before(async () => {
    db = await createTestDatabase();
    const boot = await runTollgate(['migrations', 'bootstrap'], db.env);
    assert.equal(boot.code, 0, boot.stderr);
    a = await startTollgate({ env: db.env });
    b = await startTollgate({ env: db.env });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  test('a node-level change stays on its node; a cluster change reaches the other node', async () => {
    assert.equal((await adminCall(a.admin, 'PUT', '/debug/node/log-level/info?timeout=0')).status, 200);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await levelOf(b), 'log level: notice');

    const r = await adminCall(a.admin, 'PUT', '/debug/cluster/log-level/debug?timeout=0');
    assert.deepEqual(r, { status: 200, body: { message: 'log level changed' } });
    assert.equal(await levelOf(a), 'log level: debug');
    await waitUntil(async () => (await levelOf(b)) === 'log level: debug', 15_000);
  });
});
