/**
 * The node's database as plugins may use it (Kong's `kong.db.connector`), for plugins that keep their own rows
 * on the request path: rate-limiting's `cluster` policy counts in `ratelimiting_metrics`. Only a traditional
 * node with PostgreSQL has one; the runtime installs it in each proxy worker, and tells the schema checks
 * (in the supervisor) whether it exists, so that a configuration needing it is refused where it cannot work.
 */

/** A value bound to a query placeholder (`$1`, `$2`, ...). */
export type SqlParam = string | number | null | readonly (string | number)[];

export interface PluginDatabase {
  /** Kong's `kong.db.strategy`. */
  readonly strategy: 'postgres';
  /** Runs one statement with `$n` placeholders; resolves to its rows. */
  query(sql: string, params?: readonly SqlParam[]): Promise<readonly Readonly<Record<string, unknown>>[]>;
}

/** What the node offers plugins that need a database: PostgreSQL, or why there is none. */
export type NodeDatabaseKind = 'postgres' | 'sqlite' | 'off' | 'control_plane';

let database: PluginDatabase | null = null;
let kind: NodeDatabaseKind | null = null;

/** The worker's database handle, or null where the node has none (or outside proxy workers). */
export function pluginDatabase(): PluginDatabase | null {
  return database;
}

/** Installed by the runtime in proxy workers of a traditional PostgreSQL node; null removes it. */
export function setPluginDatabase(db: PluginDatabase | null): void {
  database = db;
}

/** The node's database kind as the runtime declared it; null when nothing declared one (tools, unit tests). */
export function nodeDatabaseKind(): NodeDatabaseKind | null {
  return kind;
}

/** Declared once at start by the supervisor (and workers), before any configuration is validated. */
export function setNodeDatabaseKind(value: NodeDatabaseKind | null): void {
  kind = value;
}

/**
 * Why a plugin option needing the node's PostgreSQL cannot work here, or null when it can (or when the node
 * did not say, as in tools validating a file on their own).
 */
export function databaseUnavailableReason(): string | null {
  switch (kind) {
    case 'off':
      return 'this node has no database (database = off: DB-less or a hybrid data plane)';
    case 'control_plane':
      return 'a control plane does not proxy, and its data planes have no database';
    case 'sqlite':
      return 'it needs PostgreSQL (database = postgres); this node uses the embedded SQLite database';
    default:
      return null;
  }
}
