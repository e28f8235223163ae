/** The suite's SQLite setup: a store on a file in a temporary directory, removed afterwards. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStore } from '../sqlite/index.ts';
import type { Store } from '../types.ts';
import { clearEntities } from './clear.ts';
import type { EmptyDatabase, StoreHarness } from './harness.ts';

function withFile<T>(path: string, fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export async function sqliteHarness(): Promise<StoreHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-store-test-'));
  const path = join(dir, 'store.sqlite');
  const store = await openSqliteStore(path);
  const opened: Store[] = [store];
  let emptyCount = 0;
  return {
    kind: 'sqlite',
    async fresh() {
      await clearEntities(store);
      return store;
    },
    async openSecond() {
      const second = await openSqliteStore(path);
      opened.push(second);
      return second;
    },
    async emptyDatabase(): Promise<EmptyDatabase> {
      const file = join(dir, `empty-${++emptyCount}.sqlite`);
      return {
        target: { sqlite: file },
        async open(registry) {
          const s = await openSqliteStore(file, { migrations: registry });
          opened.push(s);
          return s;
        },
        async exec(sql) {
          withFile(file, (db) => db.exec(sql));
        },
        async tableExists(name) {
          return withFile(file, (db) => db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined);
        },
        async drop() {
          for (const suffix of ['', '-wal', '-shm']) await rm(file + suffix, { force: true });
        },
      };
    },
    async close() {
      for (const s of opened) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
