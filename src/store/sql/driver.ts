/**
 * What the SQL store needs from a database: sessions that run statements, transactions, a consistent
 * snapshot for exports, and a way to learn that another connection committed. SQLite and PostgreSQL each
 * implement it; everything above (queries, errors, versions, watchers) is shared.
 */

export type SqlValue = string | number | bigint | null;

/** A result row: column name -> value as the driver returns it. */
export type DbRow = Record<string, unknown>;

/** Statements on one connection (or, for plain reads on PostgreSQL, on any pooled connection). */
export interface SqlSession {
  /** One statement with `?` placeholders; returns its rows. */
  query(sql: string, params?: readonly SqlValue[]): Promise<DbRow[]>;
  /** One statement with `?` placeholders; returns the number of rows it changed. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export type ConstraintKind = 'unique' | 'foreign_key';

/** The differences between the SQL dialects that the shared query code cares about. */
export interface Dialect {
  readonly kind: 'sqlite' | 'postgres';
  /** The entity column as the driver returned it, as an object. */
  readDocument(value: unknown): Record<string, unknown>;
  /** An integer column as the driver returned it (PostgreSQL gives bigint as text). */
  readInteger(value: unknown): number;
  /** A constraint violation's kind, `other` for any other database error, null for non-database errors. */
  classifyError(error: unknown): ConstraintKind | 'other' | null;
  /** SQL telling whether a table exists (one `?`: the name); returns a row when it does. */
  readonly tableExistsSql: string;
  /** Work done in the writing transaction once the new version is known (PostgreSQL: NOTIFY). */
  announceVersion(session: SqlSession, version: number): Promise<void>;
}

export interface SqlDriver {
  readonly kind: 'sqlite' | 'postgres';
  readonly dialect: Dialect;
  /** Poll period of `watch` when the caller gives none. */
  readonly defaultPollMs: number;
  /** Reads outside any transaction; each statement sees the latest committed data. */
  read<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Several reads in one consistent snapshot. */
  snapshot<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** A write transaction on one connection; rolled back when `fn` throws. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** A transaction for migrations: also holds the migration lock (PostgreSQL advisory lock). */
  migrationTransaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Calls `poke` whenever another connection may have committed (a poll tick, a notification). */
  watchChanges(poke: () => void, pollMs: number): () => void;
  /**
   * Sends a node-to-node event to every store on this database, this one included (PostgreSQL: NOTIFY on
   * its own channel). SQLite has no notifications between connections: only this process hears it.
   */
  publishEvent(payload: string): Promise<void>;
  /** Calls `deliver` with each event's payload; returns unsubscribe. */
  subscribeEvents(deliver: (payload: string) => void): () => void;
  close(): Promise<void>;
}
