import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A fresh PostgreSQL database for one test file on the server CI starts (127.0.0.1:5432 unless
 * TOLLGATE_TEST_PG_* say otherwise), dropped afterwards.
 */
export interface TestDatabase {
  name: string;
  /** TOLLGATE_* settings that point a node at it. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

function adminClient(): pg.Client {
  return new pg.Client({
    host: process.env.TOLLGATE_TEST_PG_HOST ?? '127.0.0.1',
    port: Number(process.env.TOLLGATE_TEST_PG_PORT ?? 5432),
    user: process.env.TOLLGATE_TEST_PG_USER ?? 'postgres',
    password: process.env.TOLLGATE_TEST_PG_PASSWORD || undefined,
    database: 'postgres',
  });
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `tollgate_it_${randomBytes(5).toString('hex')}`;
  const client = adminClient();
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const env: Record<string, string> = {
    TOLLGATE_DATABASE: 'postgres',
    TOLLGATE_PG_HOST: process.env.TOLLGATE_TEST_PG_HOST ?? '127.0.0.1',
    TOLLGATE_PG_PORT: process.env.TOLLGATE_TEST_PG_PORT ?? '5432',
    TOLLGATE_PG_USER: process.env.TOLLGATE_TEST_PG_USER ?? 'postgres',
    TOLLGATE_PG_DATABASE: name,
  };
  if (process.env.TOLLGATE_TEST_PG_PASSWORD) env.TOLLGATE_PG_PASSWORD = process.env.TOLLGATE_TEST_PG_PASSWORD;
  return {
    name,
    env,
    async drop() {
      const c = adminClient();
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
