/**
 * PostgreSQL through node-postgres: a pool for reads and transactions, and one dedicated connection that
 * LISTENs for the configuration-version notifications other nodes send when they commit.
 */
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { DatabaseUnavailableError, type PostgresSettings } from '../types.ts';
import type { ConstraintKind, DbRow, Dialect, SqlDriver, SqlSession, SqlValue } from '../sql/driver.ts';

/** The NOTIFY channel carrying new configuration versions. */
export const VERSION_CHANNEL = 'tollgate_config_version';
/** The NOTIFY channel carrying node-to-node events (a log level set for the whole cluster). */
export const EVENTS_CHANNEL = 'tollgate_cluster_events';
/** Advisory-lock key held while migrations run (ASCII "tlgt"), so two nodes never migrate at once. */
const MIGRATION_LOCK_KEY = 0x746c6774;
const POOL_SIZE = 10;
/** Kong's `pg_timeout` default: the longest a connect or a query may take. */
export const DEFAULT_TIMEOUT_MS = 5000;

const placeholderCache = new Map<string, string>();

/** `?` placeholders as PostgreSQL's `$1, $2, ...` (quoted text and identifiers are left alone). */
export function numberPlaceholders(sql: string): string {
  const cached = placeholderCache.get(sql);
  if (cached !== undefined) return cached;
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const c of sql) {
    if (quote !== null) {
      if (c === quote) quote = null;
      out += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      out += c;
    } else if (c === '?') {
      out += `$${++n}`;
    } else {
      out += c;
    }
  }
  if (placeholderCache.size < 10_000) placeholderCache.set(sql, out);
  return out;
}

export const postgresDialect: Dialect = {
  kind: 'postgres',
  readDocument(value: unknown): Record<string, unknown> {
    return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
  },
  readInteger(value: unknown): number {
    return Number(value);
  },
  classifyError(error: unknown): ConstraintKind | 'other' | null {
    if (!(error instanceof pg.DatabaseError)) return null;
    if (error.code === '23505') return 'unique';
    if (error.code === '23503') return 'foreign_key';
    return 'other';
  },
  tableExistsSql:
    `SELECT 1 AS "found" FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`,
  async announceVersion(session: SqlSession, version: number): Promise<void> {
    // Delivered to listeners only when (and if) the transaction commits.
    await session.query('SELECT pg_notify(?, ?)', [VERSION_CHANNEL, String(version)]);
  },
};

interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

/**
 * True for a failure of the connection rather than of the statement: a lost or refused connection, a timeout,
 * or the server ending the session (SQLSTATE class 08 connection exception, 57 operator intervention such as
 * `pg_terminate_backend` or a shutdown). The connection is then useless and the operation cannot be retried on it.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (error instanceof pg.DatabaseError) return error.code?.startsWith('08') === true || error.code?.startsWith('57') === true;
  return error instanceof Error;
}

class PostgresSession implements SqlSession {
  readonly #target: Queryable;
  readonly #server: string;

  constructor(target: Queryable, server: string) {
    this.#target = target;
    this.#server = server;
  }

  async #run(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.#target.query(text, values);
    } catch (error) {
      throw isConnectionFailure(error) ? new DatabaseUnavailableError(this.#server, error) : error;
    }
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<DbRow[]> {
    return (await this.#run(numberPlaceholders(sql), [...params])).rows as DbRow[];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.#run(numberPlaceholders(sql), [...params])).rowCount ?? 0;
  }

  async exec(script: string): Promise<void> {
    // Without parameters the simple protocol runs several statements in one call.
    await this.#run(script);
  }
}

/** Where a connection goes, for messages (never the password). */
export function describeServer(settings: PostgresSettings): string {
  return `PostgreSQL database '${settings.database}' at ${settings.host}:${settings.port} (user '${settings.user}')`;
}

/** node-postgres settings for `settings` (also the proxy workers' pool for plugins, runtime/plugin-database.ts). */
export function clientConfig(settings: PostgresSettings): pg.ClientConfig {
  const timeout = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password ?? undefined,
    database: settings.database,
    ssl: settings.ssl ? tlsOptions(settings) : false,
    application_name: 'tollgate',
    // Kong's pg_schema: set at connect time, so every statement, the LISTEN connection and plugins' pools all see it.
    ...(settings.schema ? { options: `-c search_path="${settings.schema}"` } : {}),
    // pg_timeout bounds both the connect and every query, so a partitioned network fails calls instead of
    // hanging them; keep-alive probes notice a silently dead link on an idle connection.
    connectionTimeoutMillis: timeout,
    query_timeout: timeout,
    keepAlive: true,
  };
}

/**
 * TLS options for `pg_ssl`: without `pg_ssl_verify` any certificate is taken (Kong's default); with it, the chain
 * must lead to a trusted CA (`lua_ssl_trusted_certificate`) and the certificate must name `pg_host`.
 */
function tlsOptions(settings: PostgresSettings): ConnectionOptions {
  if (settings.sslVerify !== true) return { rejectUnauthorized: false };
  // node-postgres checks the certificate's names against pg_host itself.
  return { rejectUnauthorized: true, ...(settings.sslCa ? { ca: [...settings.sslCa] } : {}) };
}

/**
 * The connection that LISTENs, shared by every watcher and event subscriber of one driver; reopened within a
 * second when lost.
 */
class VersionListener {
  readonly #config: pg.ClientConfig;
  readonly #pokes = new Set<() => void>();
  readonly #events = new Set<(payload: string) => void>();
  #client: pg.Client | null = null;
  #connecting = false;

  constructor(config: pg.ClientConfig) {
    this.#config = config;
  }

  add(poke: () => void): void {
    this.#pokes.add(poke);
    this.ensure();
  }

  remove(poke: () => void): void {
    this.#pokes.delete(poke);
    if (this.#idle()) this.#disconnect();
  }

  addEvents(deliver: (payload: string) => void): void {
    this.#events.add(deliver);
    this.ensure();
  }

  removeEvents(deliver: (payload: string) => void): void {
    this.#events.delete(deliver);
    if (this.#idle()) this.#disconnect();
  }

  #idle(): boolean {
    return this.#pokes.size === 0 && this.#events.size === 0;
  }

  ensure(): void {
    if (this.#client !== null || this.#connecting || this.#idle()) return;
    this.#connecting = true;
    const client = new pg.Client(this.#config);
    const drop = (): void => {
      if (this.#client === client) this.#client = null;
      client.end().catch(() => undefined);
    };
    client.on('error', drop);
    client.on('end', () => {
      if (this.#client === client) this.#client = null;
    });
    client.on('notification', (message) => {
      if (message.channel === EVENTS_CHANNEL) {
        for (const deliver of this.#events) deliver(message.payload ?? '');
        return;
      }
      for (const poke of this.#pokes) poke();
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${VERSION_CHANNEL}; LISTEN ${EVENTS_CHANNEL}`))
      .then(() => {
        this.#connecting = false;
        if (this.#idle()) return drop();
        this.#client = client;
        // Anything committed while we were not listening is caught by this check.
        for (const poke of this.#pokes) poke();
      })
      .catch(() => {
        this.#connecting = false;
        drop();
      });
  }

  #disconnect(): void {
    const client = this.#client;
    this.#client = null;
    if (client) client.end().catch(() => undefined);
  }

  close(): void {
    this.#pokes.clear();
    this.#events.clear();
    this.#disconnect();
  }
}

export interface PostgresDriver extends SqlDriver {
  readonly settings: PostgresSettings;
}

/** A driver for the database in `settings`; connections open lazily (see `checkConnection`). */
export function openPostgresDriver(settings: PostgresSettings): PostgresDriver {
  const config = clientConfig(settings);
  const server = describeServer(settings);
  const pool = new pg.Pool({
    ...config,
    max: settings.poolSize ?? POOL_SIZE,
    ...(settings.idleTimeoutMs !== undefined ? { idleTimeoutMillis: settings.idleTimeoutMs } : {}),
  });
  // An idle pooled connection that dies is simply replaced; without a listener it would crash the process.
  pool.on('error', () => undefined);
  // A connection lost while checked out (in a transaction, between two statements) emits 'error' on the client
  // itself, where the pool listens only while it is idle: without this listener that event ends the process.
  // The failure reaches the caller through the statement that runs next on the dead connection.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const listener = new VersionListener(config);
  const readSession = new PostgresSession(pool, server);

  async function connectClient(): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (error) {
      throw new DatabaseUnavailableError(server, error);
    }
  }

  async function withClient<T>(begin: string[], fn: (s: SqlSession) => Promise<T>): Promise<T> {
    const client = await connectClient();
    const session = new PostgresSession(client, server);
    let broken: Error | undefined;
    try {
      for (const statement of begin) await session.exec(statement);
      const result = await fn(session);
      await session.exec('COMMIT');
      return result;
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) {
        // The connection is gone or stalled: a ROLLBACK would wait on it too; the server rolls back on its own.
        broken = error as Error;
      } else {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
      }
      throw error;
    } finally {
      // A connection whose rollback failed is in an unknown state: destroy it instead of reusing it.
      client.release(broken ?? undefined);
    }
  }

  return {
    kind: 'postgres',
    dialect: postgresDialect,
    defaultPollMs: 1000,
    settings,
    read: (fn) => fn(readSession),
    snapshot: (fn) => withClient(['BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'], fn),
    transaction: (fn) => withClient(['BEGIN'], fn),
    migrationTransaction: (fn) => withClient(['BEGIN', `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`], fn),
    watchChanges(poke: () => void, pollMs: number): () => void {
      listener.add(poke);
      // The poll (Kong's db_update_frequency) only catches notifications missed; a lost LISTEN connection is
      // reopened every second whatever the poll, and reopening it checks for what was missed meanwhile.
      const poll = setInterval(poke, pollMs);
      poll.unref();
      const reconnect = setInterval(() => listener.ensure(), 1000);
      reconnect.unref();
      return () => {
        clearInterval(poll);
        clearInterval(reconnect);
        listener.remove(poke);
      };
    },
    async publishEvent(payload: string): Promise<void> {
      try {
        await pool.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, payload]);
      } catch (error) {
        throw new DatabaseUnavailableError(server, error);
      }
    },
    subscribeEvents(deliver: (payload: string) => void): () => void {
      listener.addEvents(deliver);
      // Without watchers nothing else polls: keep re-opening a lost LISTEN connection.
      const timer = setInterval(() => listener.ensure(), 1000);
      timer.unref();
      return () => {
        clearInterval(timer);
        listener.removeEvents(deliver);
      };
    },
    async close(): Promise<void> {
      listener.close();
      await pool.end();
    },
  };
}

/** Fails with a message naming the server and the settings to check when it cannot be reached. */
export async function checkConnection(driver: PostgresDriver): Promise<void> {
  try {
    await driver.read((s) => s.query('SELECT 1'));
  } catch (error) {
    const reason = (error as Error).message || String(error);
    throw new Error(
      `cannot connect to ${describeServer(driver.settings)}: ${reason}; ` +
        'check pg_host, pg_port, pg_user, pg_password and pg_database, and that the server is running',
      { cause: error },
    );
  }
}

/**
 * Creates `pg_schema` when it is missing (bootstrap only: Kong's does too), so that a fresh database with a schema
 * configured can be bootstrapped in one step. The name was checked to be a plain identifier when it was read.
 */
export async function ensureSchema(driver: SqlDriver): Promise<void> {
  const schema = (driver as Partial<PostgresDriver>).settings?.schema;
  if (driver.kind !== 'postgres' || !schema) return;
  await driver.transaction((session) => session.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"`));
}
