/**
 * SQLite through Node's built-in `node:sqlite` (synchronous `DatabaseSync`), behind the async driver
 * interface. One connection per store; its work runs one job at a time so that statements of concurrent
 * callers never land inside someone else's transaction. Other processes (or stores) on the same file are
 * serialised by SQLite's own locking (WAL mode; `BEGIN IMMEDIATE`, retried without blocking while another
 * connection writes).
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { ensurePrivateFile, narrowIfPresent } from '../../core/private-files.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConstraintKind, DbRow, Dialect, SqlDriver, SqlSession, SqlValue } from '../sql/driver.ts';
import { SerialQueue } from '../sql/serial-queue.ts';

/**
 * SQLite waits for a lock synchronously, freezing the event loop; so it waits only briefly itself, and a
 * writer that finds the file locked by another connection retries asynchronously for up to this long.
 */
const LOCK_WAIT_MS = 5000;
const SYNC_BUSY_TIMEOUT_MS = 20;
/** SQLite's primary result codes (extended codes add bits above 8). */
const SQLITE_BUSY = 5;
const SQLITE_CONSTRAINT = 19;

function isBusy(error: unknown): boolean {
  const e = error as { code?: unknown; errcode?: unknown } | null;
  return !!e && e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number' && (e.errcode & 0xff) === SQLITE_BUSY;
}

export const sqliteDialect: Dialect = {
  kind: 'sqlite',
  readDocument(value: unknown): Record<string, unknown> {
    return JSON.parse(String(value)) as Record<string, unknown>;
  },
  readInteger(value: unknown): number {
    return Number(value);
  },
  classifyError(error: unknown): ConstraintKind | 'other' | null {
    const e = error as { code?: unknown; errcode?: unknown; message?: unknown } | null;
    if (!e || e.code !== 'ERR_SQLITE_ERROR') return null;
    if (typeof e.errcode === 'number' && (e.errcode & 0xff) === SQLITE_CONSTRAINT) {
      const message = String(e.message);
      if (message.includes('UNIQUE constraint failed')) return 'unique';
      if (message.includes('FOREIGN KEY constraint failed')) return 'foreign_key';
    }
    return 'other';
  },
  tableExistsSql: `SELECT 1 AS "found" FROM sqlite_master WHERE type = 'table' AND name = ?`,
  async announceVersion(): Promise<void> {
    // Other connections learn about commits by polling.
  },
};

class SqliteSession implements SqlSession {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<DbRow[]> {
    return this.#prepare(sql).all(...params) as DbRow[];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return Number(this.#prepare(sql).run(...params).changes);
  }

  async exec(script: string): Promise<void> {
    // Schema changes invalidate prepared statements; SQLite re-prepares them, but drop ours to be plain.
    this.#statements.clear();
    this.#db.exec(script);
  }
}

export interface SqliteDriver extends SqlDriver {
  readonly path: string;
}

/** Opens (creating when missing) the SQLite file at `path` (`:memory:` for a private in-memory database). */
export function openSqliteDriver(path: string): SqliteDriver {
  let db: DatabaseSync;
  const onDisk = path !== ':memory:' && path !== '' && !path.startsWith('file:');
  try {
    // The database holds credentials in clear: owner-only, and SQLite gives its -wal and -shm the same mode.
    if (onDisk) ensurePrivateFile(path);
    db = new DatabaseSync(path);
  } catch (error) {
    throw new Error(`cannot open the SQLite database '${path}': ${(error as Error).message}; check that its directory exists and is writable`, {
      cause: error,
    });
  }
  db.exec(`PRAGMA busy_timeout = ${SYNC_BUSY_TIMEOUT_MS}`);
  db.exec('PRAGMA foreign_keys = ON');
  if (path !== ':memory:' && path !== '') {
    // WAL lets readers of other connections go on while one writes.
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
  }
  if (onDisk) for (const suffix of ['-wal', '-shm', '-journal']) narrowIfPresent(`${path}${suffix}`);
  const session = new SqliteSession(db);
  const queue = new SerialQueue();
  let closed = false;

  /** Starts a transaction, waiting (without blocking the event loop) while another connection writes. */
  const begin = async (statement: string): Promise<void> => {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
      try {
        db.exec(statement);
        return;
      } catch (error) {
        if (!isBusy(error)) throw error;
        if (Date.now() >= deadline) {
          throw new Error(`the SQLite database '${path}' stayed locked by another connection for ${LOCK_WAIT_MS} ms; retry later`, {
            cause: error,
          });
        }
      }
      await sleep(pause);
    }
  };

  const eventListeners = new Set<(payload: string) => void>();

  const inTransaction = <T>(statement: string, fn: (s: SqlSession) => Promise<T>): Promise<T> =>
    queue.run(async () => {
      if (closed) throw new Error(`store: the SQLite database '${path}' is closed`);
      await begin(statement);
      let result: T;
      try {
        result = await fn(session);
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
      try {
        db.exec('COMMIT');
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
      return result;
    });

  return {
    kind: 'sqlite',
    dialect: sqliteDialect,
    defaultPollMs: 250,
    path,
    read: (fn) =>
      queue.run(async () => {
        if (closed) throw new Error(`store: the SQLite database '${path}' is closed`);
        return fn(session);
      }),
    snapshot: (fn) => inTransaction('BEGIN', fn),
    // IMMEDIATE takes the write lock at once, so two writers never deadlock upgrading read locks.
    transaction: (fn) => inTransaction('BEGIN IMMEDIATE', fn),
    migrationTransaction: (fn) => inTransaction('BEGIN IMMEDIATE', fn),
    watchChanges(poke: () => void, pollMs: number): () => void {
      const timer = setInterval(poke, pollMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    async publishEvent(payload: string): Promise<void> {
      for (const deliver of [...eventListeners]) setImmediate(() => deliver(payload));
    },
    subscribeEvents(deliver: (payload: string) => void): () => void {
      eventListeners.add(deliver);
      return () => eventListeners.delete(deliver);
    },
    close: () =>
      queue.run(async () => {
        if (closed) return;
        closed = true;
        db.close();
      }),
  };
}
