/**
 * Kong's database settings that Tollgate applies, through real `bin/tollgate` processes on the local PostgreSQL:
 * `pg_schema` (tables bootstrapped into it and read from it), `pg_pool_size` and `pg_keepalive_timeout` (the
 * store's connections, counted in pg_stat_activity), `db_update_frequency` (the check that catches a change made
 * without a notification), `pg_ssl_verify` (against a loopback server that answers PostgreSQL's TLS request with
 * a certificate from a throw-away CA), `vault_env_prefix` (a certificate key read from a prefixed variable) and
 * `vaults = off` (the same reference left unresolved).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket, connect as connectTls } from 'node:tls';
import pg from 'pg';
import { makeClusterPki, type ClusterPki } from './helpers/cluster-pki.ts';
import { freePort } from './helpers/ports.ts';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function statusOf(url: string): Promise<number> {
  const r = await fetch(url);
  await r.arrayBuffer();
  return r.status;
}

function client(db: TestDatabase): pg.Client {
  return new pg.Client({
    host: db.env.TOLLGATE_PG_HOST,
    port: Number(db.env.TOLLGATE_PG_PORT),
    user: db.env.TOLLGATE_PG_USER,
    password: db.env.TOLLGATE_PG_PASSWORD,
    database: db.name,
  });
}

async function sql<T extends pg.QueryResultRow>(db: TestDatabase, text: string, values: unknown[] = []): Promise<T[]> {
  const c = client(db);
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

let up: TestUpstream;
before(async () => {
  up = await startUpstream('kong-db-settings-up');
});
after(async () => {
  await up?.close();
});

describe('pg_schema', () => {
  let db: TestDatabase;
  let node: TollgateNode | undefined;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await node?.stop();
    await db?.drop();
  });

  test('bootstrap creates the schema and its tables there; the node reads and writes them there', async () => {
    const env = { ...db.env, TOLLGATE_PG_SCHEMA: 'tollgate_custom' };
    const boot = await runTollgate(['migrations', 'bootstrap'], env);
    assert.equal(boot.code, 0, boot.stderr);
    const tables = await sql<{ table_schema: string }>(db, `SELECT table_schema FROM information_schema.tables WHERE table_name = 'services'`);
    assert.deepEqual(tables.map((t) => t.table_schema), ['tollgate_custom'], 'the tables are in the schema, not in public');
    const elsewhere = await runTollgate(['migrations', 'list'], db.env);
    assert.match(elsewhere.stdout + elsewhere.stderr, /not bootstrapped|bootstrap/, 'without pg_schema the database looks empty');

    node = await startTollgate({ env: { ...env, TOLLGATE_DB_UPDATE_FREQUENCY: '1' } });
    assert.equal((await call(node.admin, 'POST', '/services', { name: 's', url: `http://127.0.0.1:${up.port}` })).status, 201);
    assert.equal((await call(node.admin, 'POST', '/services/s/routes', { name: 'r', paths: ['/schema'] })).status, 201);
    await waitUntil(async () => (await statusOf(`${node!.proxy}/schema`)) === 200, 10_000, 'the route on the proxy');
    const rows = await sql<{ name: string }>(db, 'SELECT name FROM tollgate_custom.services');
    assert.deepEqual(rows.map((r) => r.name), ['s']);
  });
});

describe('pg_pool_size, pg_keepalive_timeout and db_update_frequency', () => {
  let db: TestDatabase;
  const nodes: TollgateNode[] = [];
  before(async () => {
    db = await createTestDatabase();
    const boot = await runTollgate(['migrations', 'bootstrap'], db.env);
    assert.equal(boot.code, 0, boot.stderr);
  });
  after(async () => {
    for (const node of nodes) await node.stop();
    await db?.drop();
  });

  const storeConnections = async (): Promise<number> =>
    Number((await sql<{ n: string }>(db, `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'tollgate'`, [db.name]))[0].n);

  test('the store opens at most pg_pool_size connections, and closes idle ones after pg_keepalive_timeout', async () => {
    const node = await startTollgate({ env: { ...db.env, TOLLGATE_PG_POOL_SIZE: '2', TOLLGATE_PG_KEEPALIVE_TIMEOUT: '300' } });
    nodes.push(node);
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await storeConnections());
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    for (let round = 0; round < 5; round++) {
      const statuses = await Promise.all(Array.from({ length: 40 }, () => statusOf(`${node.admin}/services`)));
      assert.ok(statuses.every((s) => s === 200), String(statuses));
    }
    sampling = false;
    await sampler;
    // Two pooled connections and the one that LISTENs for changes.
    assert.ok(peak >= 2 && peak <= 3, `peak of ${peak} connections`);
    await waitUntil(async () => (await storeConnections()) === 1, 5000, 'idle pooled connections closed (only the LISTEN one left)');
  });

  test('a change made without a notification is seen by the next db_update_frequency check, and not before', async () => {
    const hourly = await startTollgate({ env: { ...db.env, TOLLGATE_DB_UPDATE_FREQUENCY: '3600' } });
    nodes.push(hourly);
    const everySecond = await startTollgate({ env: { ...db.env, TOLLGATE_DB_UPDATE_FREQUENCY: '1' } });
    nodes.push(everySecond);
    assert.equal((await call(hourly.admin, 'POST', '/services', { name: 'polled', url: `http://127.0.0.1:${up.port}` })).status, 201);
    assert.equal((await call(hourly.admin, 'POST', '/services/polled/routes', { name: 'polled', paths: ['/polled'] })).status, 201);
    for (const node of [hourly, everySecond]) {
      await waitUntil(async () => (await statusOf(`${node.proxy}/polled`)) === 200, 10_000, 'the route on both nodes (notified)');
    }
    // Behind the nodes' backs: the route goes and the version moves, with no NOTIFY.
    await sql(db, `DELETE FROM routes WHERE name = 'polled'`);
    await sql(db, `UPDATE tollgate_config_version SET version = version + 1 WHERE id = 1`);
    await waitUntil(async () => (await statusOf(`${everySecond.proxy}/polled`)) === 404, 10_000, 'the check every second to see the change');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await statusOf(`${hourly.proxy}/polled`), 200, 'the hourly node has not checked yet');
  });
});

describe('pg_ssl_verify', () => {
  let pki: ClusterPki;
  let server: Server;
  let port: number;
  let handshakes = 0;
  before(async () => {
    pki = makeClusterPki();
    // A stand-in PostgreSQL: it accepts the TLS request (SSLRequest, answered 'S'), completes the handshake
    // with the CA's server certificate for 127.0.0.1, counts it, and hangs up.
    server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.write('S');
        const tls = new TLSSocket(socket, { isServer: true, cert: pki.cp.cert, key: pki.cp.key });
        tls.on('error', () => undefined);
        tls.on('secure', () => {
          handshakes++;
          tls.destroy();
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((r) => server?.close(r));
    rmSync(pki.dir, { recursive: true, force: true });
  });

  const listWith = (env: Record<string, string>) =>
    runTollgate(['migrations', 'list'], {
      TOLLGATE_DATABASE: 'postgres', TOLLGATE_PG_HOST: '127.0.0.1', TOLLGATE_PG_PORT: String(port), TOLLGATE_PG_SSL: 'on', TOLLGATE_PG_TIMEOUT: '3000', ...env,
    });

  test('off: any certificate is taken; on: only one from lua_ssl_trusted_certificate', async () => {
    const unverified = await listWith({ TOLLGATE_PG_SSL_VERIFY: 'off' });
    assert.notEqual(unverified.code, 0);
    assert.equal(handshakes, 1, unverified.stderr);

    const untrusted = await listWith({ TOLLGATE_PG_SSL_VERIFY: 'on' });
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.stderr, /certificate/i, 'refused for its certificate');
    assert.equal(handshakes, 1, 'no handshake completed with an unknown CA');

    const trusted = await listWith({ TOLLGATE_PG_SSL_VERIFY: 'on', TOLLGATE_LUA_SSL_TRUSTED_CERTIFICATE: `system, ${pki.root.certPath}` });
    assert.notEqual(trusted.code, 0, 'the stand-in is no database');
    assert.doesNotMatch(trusted.stderr, /self[- ]signed|unable to (get|verify)/i, trusted.stderr);
    assert.equal(handshakes, 2, 'the handshake completed against the trusted CA');
  });
});

describe('vault_env_prefix and vaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-vault-prefix-'));
  const nodes: TollgateNode[] = [];
  after(async () => {
    for (const node of nodes) await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A node serving a certificate (CN `prefixed`) whose key is `{vault://env/site-key}`, set in SECRETS_SITE_KEY when
   * the node is given that prefix, else in SITE_KEY; the CN it serves for the certificate's SNI.
   */
  async function servedCn(env: Record<string, string>): Promise<{ cn: string; node: TollgateNode }> {
    const certPath = join(dir, 'c.crt');
    const keyPath = join(dir, 'c.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=prefixed', '-keyout', keyPath, '-out', certPath], { stdio: 'ignore' });
    const cert = readFileSync(certPath, 'utf8');
    const tlsPort = await freePort();
    const config = `_format_version: "3.0"
certificates:
  - cert: |
${cert.trimEnd().split('\n').map((l) => `      ${l}`).join('\n')}
    key: "{vault://env/site-key}"
    snis: [{ name: prefixed.test }]
`;
    const node = await startTollgate({
      config,
      extraProxyListen: `127.0.0.1:${tlsPort} ssl`,
      env: { [env.TOLLGATE_VAULT_ENV_PREFIX === 'SECRETS_' ? 'SECRETS_SITE_KEY' : 'SITE_KEY']: readFileSync(keyPath, 'utf8'), ...env },
    });
    nodes.push(node);
    // An unresolved key leaves the SNI without a usable certificate: the handshake fails (`refused`).
    const cn = await new Promise<string>((resolve) => {
      const socket = connectTls({ host: '127.0.0.1', port: tlsPort, servername: 'prefixed.test', rejectUnauthorized: false }, () => {
        const subject = socket.getPeerCertificate().subject?.CN;
        socket.end();
        resolve(String(subject));
      });
      socket.once('error', () => resolve('refused'));
    });
    return { cn, node };
  }

  test("an env reference in a worker's configuration reads the prefixed variable", async () => {
    const { cn, node } = await servedCn({ TOLLGATE_VAULT_ENV_PREFIX: 'SECRETS_' });
    assert.equal(cn, 'prefixed', node.output());
  });

  test('with vaults = off the reference does not resolve, and the certificate is not served', async () => {
    const { cn } = await servedCn({ TOLLGATE_VAULTS: 'off' });
    assert.equal(cn, 'refused');
  });
});
