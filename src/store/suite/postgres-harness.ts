/**
 * The suite's PostgreSQL setup: a fresh database `tollgate_store_test_<random>` per run (plus empty ones
 * for migration cases), dropped afterwards. Connection from TOLLGATE_TEST_PG_HOST / _PORT / _USER /
 * _PASSWORD (defaults 127.0.0.1, 5432, postgres, empty); databases are created from
 * TOLLGATE_TEST_PG_DATABASE (default `postgres`).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { bootstrap } from '../migrations/index.ts';
import { openPostgresStore } from '../postgres/index.ts';
import type { PostgresSettings, Store } from '../types.ts';
import { clearEntities } from './clear.ts';
import type { EmptyDatabase, StoreHarness } from './harness.ts';

/** Why the PostgreSQL cases are skipped, or null when they run (they run unless TOLLGATE_TEST_PG=off). */
export function postgresSkipReason(): string | null {
  return process.env.TOLLGATE_TEST_PG === 'off' ? 'PostgreSQL store tests skipped: TOLLGATE_TEST_PG=off' : null;
}

export function testSettings(database: string): PostgresSettings {
  return {
    host: process.env.TOLLGATE_TEST_PG_HOST || '127.0.0.1',
    port: Number(process.env.TOLLGATE_TEST_PG_PORT || 5432),
    user: process.env.TOLLGATE_TEST_PG_USER || 'postgres',
    password: process.env.TOLLGATE_TEST_PG_PASSWORD || null,
    database,
    ssl: false,
  };
}

async function connectAdmin(): Promise<pg.Client> {
  const settings = testSettings(process.env.TOLLGATE_TEST_PG_DATABASE || 'postgres');
  const client = new pg.Client({ ...settings, password: settings.password ?? undefined });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `the PostgreSQL store tests need a server at ${settings.host}:${settings.port} (user '${settings.user}'): ` +
        `${(error as Error).message}. Start one, point TOLLGATE_TEST_PG_HOST/_PORT/_USER/_PASSWORD at it, ` +
        'or set TOLLGATE_TEST_PG=off to skip these tests',
      { cause: error },
    );
  }
  return client;
}

export async function postgresHarness(): Promise<StoreHarness> {
  const admin = await connectAdmin();
  const databases: string[] = [];
  const opened: Store[] = [];
  const createDatabase = async (): Promise<PostgresSettings> => {
    const name = `tollgate_store_test_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${name}`);
    databases.push(name);
    return testSettings(name);
  };
  const withClient = async <T>(settings: PostgresSettings, fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ ...settings, password: settings.password ?? undefined });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };

  const settings = await createDatabase();
  await bootstrap({ postgres: settings });
  const store = await openPostgresStore(settings);
  opened.push(store);
  return {
    kind: 'postgres',
    async fresh() {
      await clearEntities(store);
      return store;
    },
    async openSecond() {
      const second = await openPostgresStore(settings);
      opened.push(second);
      return second;
    },
    async emptyDatabase(): Promise<EmptyDatabase> {
      const empty = await createDatabase();
      return {
        target: { postgres: empty },
        async open(registry) {
          const s = await openPostgresStore(empty, { migrations: registry });
          opened.push(s);
          return s;
        },
        exec: (sql) => withClient(empty, async (client) => void (await client.query(sql))),
        tableExists: (name) =>
          withClient(empty, async (client) => {
            const result = await client.query('SELECT 1 FROM information_schema.tables WHERE table_name = $1', [name]);
            return result.rows.length > 0;
          }),
        async drop() {
          await admin.query(`DROP DATABASE IF EXISTS ${empty.database} WITH (FORCE)`);
        },
      };
    },
    async close() {
      for (const s of opened) await s.close();
      for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
