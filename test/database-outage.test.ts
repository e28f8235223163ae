/**
 * A traditional node on PostgreSQL whose database connections die or stall under it: terminated backends during
 * writes, and a TCP relay (written here) between the node and the server that cuts and stalls the link. The
 * node must stay up, the write in flight fails with a 500 naming the database, later writes succeed, the proxy
 * keeps serving its current configuration throughout, and nothing waits longer than `pg_timeout`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { request } from 'undici';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { adminCall as call, keepRequesting } from './helpers/admin-call.ts';


/** Requests the proxy over and over until stopped; every answer must be the upstream's 200. */
function keepProxying(node: TollgateNode, path: string) {
  return keepRequesting(node.proxy, path);
}

/** A loopback TCP relay to PostgreSQL that can cut every connection or stall them (bytes held, sockets open). */
interface Relay {
  port: number;
  cut(): void;
  stall(on: boolean): void;
  close(): Promise<void>;
}

async function startRelay(targetHost: string, targetPort: number): Promise<Relay> {
  const pairs = new Set<[Socket, Socket]>();
  let stalled = false;
  const server: Server = createServer((client) => {
    if (stalled) {
      // A partition: the connection is accepted but nothing ever comes back.
      client.on('error', () => undefined);
      pairs.add([client, client]);
      return;
    }
    const upstream = connect(targetPort, targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket) => {
      from.on('data', (chunk: Buffer) => {
        if (!stalled) to.write(chunk);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = (): void => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port: (server.address() as AddressInfo).port,
    cut,
    stall(on: boolean) {
      stalled = on;
    },
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function adminSql(db: TestDatabase): pg.Client {
  return new pg.Client({
    host: db.env.TOLLGATE_PG_HOST,
    port: Number(db.env.TOLLGATE_PG_PORT),
    user: db.env.TOLLGATE_PG_USER,
    password: db.env.TOLLGATE_PG_PASSWORD,
    database: db.name,
  });
}

describe('a PostgreSQL node whose database connections are lost', () => {
  let db: TestDatabase;
  let up: TestUpstream;
  before(async () => {
    db = await createTestDatabase();
    const boot = await runTollgate(['migrations', 'bootstrap'], db.env);
    assert.equal(boot.code, 0, boot.stderr);
    up = await startUpstream('pg-outage-up');
  });
  after(async () => {
    await up?.close();
    await db?.drop();
  });

  test('terminated backends during PATCH loops: the node stays up, failures are 500s naming the database, the proxy serves throughout', async () => {
    const node = await startTollgate({ env: db.env, workers: 2 });
    const sql = adminSql(db);
    await sql.connect();
    let proxying: ReturnType<typeof keepProxying> | undefined;
    try {
      assert.equal((await call(node.admin, 'POST', '/services', { name: 's', url: `http://127.0.0.1:${up.port}` })).status, 201);
      assert.equal((await call(node.admin, 'POST', '/services/s/routes', { name: 'r', paths: ['/r'] })).status, 201);
      await waitUntil(async () => (await request(`${node.proxy}/r`).then(async (r) => (await r.body.text(), r.statusCode))) === 200, 10_000, 'the route');
      proxying = keepProxying(node, '/r');
      const statuses: number[] = [];
      const bodies: string[] = [];
      let writing = true;
      const loops = [0, 1, 2, 3].map(async (n) => {
        let i = 0;
        while (writing) {
          const r = await call(node.admin, 'PATCH', '/services/s', { retries: (n * 1000 + i++) % 30000 });
          statuses.push(r.status);
          if (r.status !== 200) bodies.push(JSON.stringify(r.body));
        }
      });
      for (let round = 0; round < 12; round++) {
        await new Promise((r) => setTimeout(r, 150));
        await sql.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'tollgate' and datname = $1`, [db.name]);
      }
      writing = false;
      await Promise.all(loops);
      assert.equal(node.proc.exitCode, null, `the node exited:\n${node.output()}`);
      for (const status of statuses) assert.ok(status === 200 || status === 500, `unexpected status ${status}: ${bodies.join('\n')}`);
      for (const body of bodies) assert.match(body, /PostgreSQL database '.+' at .+ failed/);
      console.log(`# ${statuses.length} writes, ${bodies.length} failed while their connection was terminated`);
      // Writes succeed again once the database answers.
      await waitUntil(async () => (await call(node.admin, 'PATCH', '/services/s', { retries: 7 })).status === 200, 15_000, 'a write to succeed');
      const svc = await call(node.admin, 'GET', '/services/s');
      assert.equal(svc.body?.retries, 7);
      const { served, failures } = await proxying.stop();
      assert.deepEqual(failures, [], 'the proxy answered every request');
      assert.ok(served > 0);
      assert.equal(node.proc.exitCode, null);
    } finally {
      await proxying?.stop();
      await sql.end();
      await node.stop();
    }
  });

  test('a relay that cuts and stalls the link: Admin API and /status answer within pg_timeout, the proxy serves throughout', async () => {
    const relay = await startRelay(db.env.TOLLGATE_PG_HOST, Number(db.env.TOLLGATE_PG_PORT));
    const env = { ...db.env, TOLLGATE_PG_HOST: '127.0.0.1', TOLLGATE_PG_PORT: String(relay.port), TOLLGATE_PG_TIMEOUT: '1000' };
    const node = await startTollgate({ env, workers: 1 });
    let proxying: ReturnType<typeof keepProxying> | undefined;
    try {
      assert.equal((await call(node.admin, 'PUT', '/services/relayed', { url: `http://127.0.0.1:${up.port}` })).status, 200);
      assert.equal((await call(node.admin, 'PUT', '/routes/relayed', { paths: ['/relayed'], service: { name: 'relayed' } })).status, 200);
      await waitUntil(async () => (await request(`${node.proxy}/relayed`).then(async (r) => (await r.body.text(), r.statusCode))) === 200, 10_000, 'the route');
      proxying = keepProxying(node, '/relayed');

      // Cut: every connection dies at once, some in the middle of a write.
      const writes = [0, 1, 2, 3].map((n) => call(node.admin, 'PATCH', '/services/relayed', { retries: n }));
      relay.cut();
      for (const r of await Promise.all(writes)) {
        assert.ok(r.status === 200 || r.status === 500, JSON.stringify(r));
        if (r.status === 500) assert.match(JSON.stringify(r.body), /PostgreSQL database/);
      }
      await waitUntil(async () => (await call(node.admin, 'PATCH', '/services/relayed', { retries: 3 })).status === 200, 15_000, 'writes after the cut');

      // Stall: the link is up but silent, as in a network partition. Nothing may hang much past pg_timeout.
      relay.stall(true);
      relay.cut();
      const t0 = Date.now();
      const stalledWrite = await call(node.admin, 'PATCH', '/services/relayed', { retries: 4 });
      assert.equal(stalledWrite.status, 500, JSON.stringify(stalledWrite.body));
      assert.match(JSON.stringify(stalledWrite.body), /PostgreSQL database '.+' at 127\.0\.0\.1:\d+ .*failed/);
      const status = await call(node.status, 'GET', '/status');
      assert.equal(status.status, 200);
      assert.deepEqual(status.body?.database, { reachable: false });
      const read = await call(node.admin, 'GET', '/services/relayed');
      assert.equal(read.status, 500);
      // Generous: three calls, each bounded by pg_timeout (1 s) plus a connect, on a noisy machine.
      assert.ok(Date.now() - t0 < 20_000, `the calls took ${Date.now() - t0} ms`);
      assert.equal(node.proc.exitCode, null, `the node exited:\n${node.output()}`);

      // The partition heals.
      relay.stall(false);
      relay.cut();
      await waitUntil(async () => (await call(node.admin, 'PATCH', '/services/relayed', { retries: 5 })).status === 200, 20_000, 'writes after the partition');
      assert.deepEqual((await call(node.status, 'GET', '/status')).body?.database, { reachable: true });
      const { served, failures } = await proxying.stop();
      assert.deepEqual(failures, [], 'the proxy answered every request');
      assert.ok(served > 0);
    } finally {
      await proxying?.stop();
      await node.stop();
      await relay.close();
    }
  });
});
