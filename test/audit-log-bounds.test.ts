/**
 * The Admin API audit log stays bounded whatever clients send, on SQLite and PostgreSQL, through
 * `bin/tollgate`: a burst of unauthenticated writes with 15 KB paths adds a few records with short paths (at
 * most 10 refusals a second one by one, one record counting the rest), records expire after
 * `audit_log_record_ttl` (deleted from the database, not only hidden), and `audit_log_max_records` caps the
 * number kept.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { Agent, request } from 'undici';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';

const TOKEN = 'audit-bounds-token-9d2e';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const TABLE = 'tollgate_audit_log';

interface AuditRow {
  method: string;
  path: string;
  status: number;
  token_id: string;
  dropped: number;
}

/** One way to look into the node's database, whichever it is. */
interface Backend {
  name: string;
  env(): Record<string, string>;
  /** Bytes the audit log takes (SQLite: the database file and its WAL; PostgreSQL: the table with its indexes). */
  bytes(node: TollgateNode): Promise<number>;
  rows(node: TollgateNode): Promise<number>;
  setUp?(): Promise<void>;
  tearDown?(): Promise<void>;
}

function sqliteBackend(): Backend {
  const size = (file: string) => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  return {
    name: 'SQLite',
    env: () => ({ TOLLGATE_DATABASE: 'sqlite' }),
    async bytes(node) {
      const db = join(node.prefix, 'tollgate.db');
      return size(db) + size(`${db}-wal`);
    },
    async rows(node) {
      const db = new DatabaseSync(join(node.prefix, 'tollgate.db'), { readOnly: true });
      try {
        return Number((db.prepare(`SELECT count(*) AS n FROM ${TABLE}`).get() as { n: number }).n);
      } finally {
        db.close();
      }
    },
  };
}

function postgresBackend(): Backend {
  let db: TestDatabase;
  const query = async (sql: string): Promise<number> => {
    const env = db.env;
    const client = new pg.Client({ host: env.TOLLGATE_PG_HOST, port: Number(env.TOLLGATE_PG_PORT), user: env.TOLLGATE_PG_USER, password: env.TOLLGATE_PG_PASSWORD, database: env.TOLLGATE_PG_DATABASE });
    await client.connect();
    try {
      return Number((await client.query(sql)).rows[0].n);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'PostgreSQL',
    env: () => db.env,
    bytes: () => query(`SELECT pg_total_relation_size('${TABLE}') AS n`),
    rows: () => query(`SELECT count(*) AS n FROM ${TABLE}`),
    async setUp() {
      db = await createTestDatabase();
      const boot = await runTollgate(['migrations', 'bootstrap'], db.env);
      assert.equal(boot.code, 0, boot.stderr);
    },
    async tearDown() {
      await db?.drop();
    },
  };
}

async function auditRows(node: TollgateNode): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  let next: string | null = '/audit/requests?size=1000';
  while (next !== null) {
    const res: Awaited<ReturnType<typeof request>> = await request(`${node.admin}${next}`, { headers: AUTH });
    const body = (await res.body.json()) as { data: AuditRow[]; next: string | null };
    assert.equal(res.statusCode, 200);
    rows.push(...body.data);
    if (body.next === null) next = null;
    else {
      const url = new URL(body.next, node.admin);
      next = url.pathname + url.search;
    }
  }
  return rows;
}

async function post(node: TollgateNode, path: string, json: unknown, headers: Record<string, string> = AUTH, dispatcher?: Agent): Promise<number> {
  const res = await request(`${node.admin}${path}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(json),
    dispatcher,
  });
  await res.body.dump();
  return res.statusCode;
}

async function startNode(backend: Backend, env: Record<string, string> = {}): Promise<TollgateNode> {
  const node = await startTollgate({ env: { ...backend.env(), TOLLGATE_ADMIN_API_TOKENS: TOKEN, ...env } });
  await waitUntil(async () => {
    try {
      const res = await request(`${node.admin}/status`, { headers: AUTH });
      await res.body.dump();
      return res.statusCode === 200;
    } catch {
      return false;
    }
  }, 20_000, 'the Admin API');
  return node;
}

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(`the audit log is bounded (${backend.name})`, () => {
    before(async () => backend.setUp?.());
    after(async () => backend.tearDown?.());

    test('a burst of unauthenticated writes with 15 KB paths grows the log by a bounded amount', async () => {
      const node = await startNode(backend);
      const agent = new Agent({ connections: 32 });
      try {
        assert.equal(await post(node, '/services', { name: 'before', host: 'example.com' }), 201);
        await waitUntil(async () => (await auditRows(node)).length === 1, 10_000, 'the first record');
        const bytesBefore = await backend.bytes(node);
        const burst = 3000;
        const started = Date.now();
        let sent = 0;
        await Promise.all(
          Array.from({ length: 32 }, async () => {
            while (sent < burst) {
              const n = sent++;
              const status = await post(node, `/services/${n}-${'p'.repeat(15_000)}`, { name: 'x' }, {}, agent);
              assert.equal(status, 401);
            }
          }),
        );
        const seconds = (Date.now() - started) / 1000;
        // The refusals of the last second are counted once that second is over.
        let rows: AuditRow[] = [];
        await waitUntil(async () => {
          rows = (await auditRows(node)).filter((r) => r.status === 401);
          return rows.reduce((sum, r) => sum + (r.dropped === 0 ? 1 : r.dropped), 0) === burst;
        }, 10_000, 'every refusal to be recorded or counted');
        const grown = (await backend.bytes(node)) - bytesBefore;

        const single = rows.filter((r) => r.dropped === 0);
        const summaries = rows.filter((r) => r.dropped > 0);
        assert.ok(summaries.length > 0, 'refusals beyond the rate are counted, not recorded one by one');
        // At most 10 a second one by one, plus one counting record a second (the seconds a burst touches).
        const seconds_touched = Math.ceil(seconds) + 1;
        assert.ok(single.length <= 10 * seconds_touched, `${single.length} single records in ${seconds} s`);
        assert.ok(summaries.length <= seconds_touched, `${summaries.length} counting records in ${seconds} s`);
        for (const r of single) {
          assert.ok(r.path.length <= 128, `path of ${r.path.length} characters`);
          assert.ok(r.path.startsWith('/services/'));
          assert.equal(r.token_id, 'anonymous');
        }
        for (const r of summaries) assert.deepEqual([r.method, r.path, r.token_id], ['-', '-', 'anonymous']);
        // 3000 records of 15 KB paths would be 45 MB; a few hundred short ones are some kilobytes.
        assert.ok(grown < 3 * 1024 * 1024, `the audit log grew by ${grown} bytes`);
        assert.equal(await backend.rows(node), rows.length + 1);

        // The rate is per second: a refusal after the burst is recorded, and writes with a token always are.
        await new Promise((r) => setTimeout(r, 1100));
        assert.equal(await post(node, '/services', { name: 'x' }, {}), 401);
        assert.equal(await post(node, '/services', { name: 'after', host: 'example.com' }), 201);
        await waitUntil(async () => {
          const latest = (await auditRows(node)).slice(0, 2);
          return latest.length === 2 && latest[0].status === 201 && latest[1].status === 401 && latest[1].dropped === 0;
        }, 10_000, 'the records after the burst');
      } finally {
        await agent.close();
        await node.stop();
      }
    });

    test('records expire after audit_log_record_ttl and at most audit_log_max_records are kept', async () => {
      const node = await startNode(backend, { TOLLGATE_AUDIT_LOG_RECORD_TTL: '2', TOLLGATE_AUDIT_LOG_MAX_RECORDS: '5' });
      try {
        for (let n = 0; n < 12; n++) assert.equal(await post(node, '/consumers', { username: `u${n}` }), 201);
        await waitUntil(async () => (await auditRows(node)).some((r) => r.status === 201), 10_000, 'the records');
        // Written one after another: each write deletes what is beyond the cap.
        await waitUntil(async () => (await backend.rows(node)) === 5, 5000, 'the cap');
        const kept = await auditRows(node);
        assert.ok(kept.length <= 5, `${kept.length} records listed`);
        // Then, with no further write, they expire and are deleted from the database.
        await waitUntil(async () => (await auditRows(node)).length === 0, 10_000, 'the records to expire from the list');
        await waitUntil(async () => (await backend.rows(node)) === 0, 10_000, 'the expired records to be deleted');
      } finally {
        await node.stop();
      }
    });
  });
}
