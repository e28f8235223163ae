/**
 * The `Store` contract: CRUD with Kong's paging, tag and foreign filters, unique and foreign-key rules,
 * cascades, transactions that bump one configuration version, an export for the proxy, and a change
 * feed. Every implementation (SQLite, PostgreSQL) passes the shared suite in `store-suite.ts`.
 */
import type { EntityName } from '../entities/index.ts';
import type { FlatConfig } from '../declarative/index.ts';

/** One stored entity: the validated entity as written (foreign keys as `{id}` or null). */
export type Row = Record<string, unknown> & { id: string };

/** `tags=a,b` is `and` (every tag), `tags=a/b` is `or` (any tag). */
export interface TagFilter {
  mode: 'and' | 'or';
  tags: string[];
}

export interface ListOptions {
  /** 1..1000. */
  size: number;
  /** Opaque token from a previous page (Kong: base64 of JSON `[last id]`). */
  offset?: string | null;
  tags?: TagFilter | null;
  /** Only rows whose foreign key `field` points at `id` (nested collections such as /services/{s}/routes). */
  foreign?: { field: string; id: string } | null;
}

/** One page, ordered by id (UUID text order), like Kong on PostgreSQL; `offset` is null on the last page. */
export interface Page {
  data: Row[];
  offset: string | null;
}

export interface TagRow {
  entity_name: string;
  entity_id: string;
  tag: string;
}

export interface TagPage {
  data: TagRow[];
  offset: string | null;
}

/**
 * `primary_key` is an addition to the brief's list: an insert reusing an existing id (Kong's code 3,
 * "primary key violation"), kept apart from `unique` (code 5) so the Admin API can answer like Kong.
 */
export type StoreErrorKind =
  | 'unique'
  | 'primary_key'
  | 'foreign_key'
  | 'referenced'
  | 'not_found'
  | 'invalid_offset'
  | 'database';

/** The collection an error is about; `tags` for the /tags listing (which is no entity). */
export type StoreErrorSubject = EntityName | 'tags' | 'audit';

/**
 * The database could not be reached, dropped the connection, or did not answer within its timeout. The
 * operation failed (a write may or may not have committed); the next one opens a new connection. `message`
 * names the server (never the password) and the cause.
 */
export class DatabaseUnavailableError extends Error {
  constructor(server: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${server} failed: ${reason}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * Thrown by the store; the Admin API maps it to Kong's error bodies. `message` is already Kong's text
 * (`UNIQUE violation detected on '{name="x"}'`, `'x' is not a valid offset: bad base64 encoding`, ...).
 */
export class StoreError extends Error {
  kind: StoreErrorKind;
  entity: StoreErrorSubject;
  /**
   * unique / primary_key: the conflicting key values (`{name: "x"}`, or a plugin's cache-key fields
   * `{name, route, service, consumer}`); foreign_key: `{service: {id}}`; referenced: `{"@referenced_by": "routes"}`;
   * not_found: `{id}`; invalid_offset: `{offset}`.
   */
  fields: Record<string, unknown>;
  /** referenced: the collection that blocks a restricted delete (`routes`). */
  referencedBy?: EntityName;

  constructor(
    kind: StoreErrorKind,
    entity: StoreErrorSubject,
    message: string,
    fields: Record<string, unknown> = {},
    referencedBy?: EntityName,
  ) {
    super(message);
    this.name = 'StoreError';
    this.kind = kind;
    this.entity = entity;
    this.fields = fields;
    if (referencedBy !== undefined) this.referencedBy = referencedBy;
  }
}

export interface StoreOps {
  get(entity: EntityName, id: string): Promise<Row | null>;
  /** Lookup by a unique field or endpoint key (name, username, key, custom_id, ...). */
  getBy(entity: EntityName, field: string, value: string): Promise<Row | null>;
  /**
   * Lookup by the entity's cache key (`plugins`: name, route, service, consumer; `targets`: upstream, target;
   * a plugin's credentials: their own cache key); foreign keys as `{id}` or null. Addition to the brief.
   */
  getByCacheKey(entity: EntityName, key: Record<string, unknown>): Promise<Row | null>;
  list(entity: EntityName, options: ListOptions): Promise<Page>;
  /** Unique + FK enforced (StoreError). A `ttl` (seconds) on entities that accept one makes the row expire. */
  insert(entity: EntityName, row: Row): Promise<Row>;
  /**
   * Full replace of an existing row (PUT/PATCH after merging); unique + FK enforced; not_found if absent.
   * The stored `created_at` is kept; without a `ttl` in `row` the row keeps its expiry.
   */
  update(entity: EntityName, id: string, row: Row): Promise<Row>;
  /** Insert or replace by primary key (PUT); a replaced row keeps its `created_at`. */
  upsert(entity: EntityName, row: Row): Promise<Row>;
  /** Deletes with Kong's cascade/restrict rules from ENTITIES metadata; false when nothing was there. */
  delete(entity: EntityName, id: string): Promise<boolean>;
  /** Every tag with its entity, for GET /tags and /tags/{tag} (paged like list, ordered by entity id). */
  listTags(options: { size: number; offset?: string | null; tag?: string | null }): Promise<TagPage>;
}

/**
 * One Admin API write as the audit log keeps it: who (token id or `anonymous`, client IP), when, what
 * (method and path, never the body or query string) and the status answered.
 */
export interface AuditRecord {
  /** UUID of the record. */
  id: string;
  /** Unix time in seconds, with milliseconds as the fraction. */
  created_at: number;
  /** The first 8 hex characters of the SHA-256 of the token used, or `anonymous`. */
  token_id: string;
  client_ip: string;
  method: string;
  /** The path without its query string (arguments may carry secrets). */
  path: string;
  status: number;
  /**
   * How many refused requests this record stands for that were not recorded one by one (refusals are rate
   * limited); 0 for a record of one request.
   */
  dropped: number;
}

/** What keeps the audit log bounded, enforced as a record is appended. */
export interface AuditBounds {
  /** Keep at most this many records (the newest). */
  maxRecords?: number | null;
  /** Delete records created before this time (seconds since the epoch). */
  expireBefore?: number | null;
}

/** Which audit records to list: a page size, the offset of a previous page, and the retention. */
export interface AuditListOptions {
  size: number;
  offset?: string | null;
  /** Leave out records created before this time (seconds since the epoch): they are past their retention. */
  since?: number | null;
}

/**
 * What a control plane records about one data plane (`record` is the cluster code's document), shared
 * between control planes through the database.
 */
export interface DataPlaneEntry {
  id: string;
  control_plane_id: string;
  /** Seconds since the epoch. */
  updated_at: number;
  record: Record<string, unknown>;
}

/** One control plane's running telemetry totals (`totals` is the cluster code's document). */
export interface TelemetryEntry {
  control_plane_id: string;
  /** Seconds since the epoch. */
  updated_at: number;
  totals: Record<string, unknown>;
}

/** One page of audit records, newest first; `offset` is null on the last page. */
export interface AuditPage {
  data: AuditRecord[];
  offset: string | null;
}

export interface Store extends StoreOps {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Keeps one audit record and drops those past `bounds` (the oldest beyond a row cap, the expired); does not
   * bump the configuration version (it is no configuration).
   */
  appendAudit(record: AuditRecord, bounds?: AuditBounds): Promise<void>;
  /** Audit records newest first, paged with an opaque offset (StoreError `invalid_offset` for a bad one). */
  listAudit(options: AuditListOptions): Promise<AuditPage>;
  /** Deletes the audit records created before `before` (seconds since the epoch); returns how many. */
  pruneAudit(before: number): Promise<number>;
  /** Hybrid mode: insert or replace a data plane's record; does not bump the configuration version. */
  putDataPlane(entry: DataPlaneEntry): Promise<void>;
  /** Every data plane record, by id. */
  listDataPlanes(): Promise<DataPlaneEntry[]>;
  /** Drops data plane records not updated since `before` (seconds since the epoch); returns how many. */
  purgeDataPlanes(before: number): Promise<number>;
  /** Hybrid mode: insert or replace one control plane's telemetry totals; does not bump the configuration version. */
  putTelemetry(entry: TelemetryEntry): Promise<void>;
  /** Every control plane's telemetry totals updated since `since` (seconds since the epoch); older ones are dropped. */
  listTelemetry(since: number): Promise<TelemetryEntry[]>;
  /**
   * Runs `fn` in one transaction; every write inside bumps the configuration version once, at commit.
   * Use only `tx` inside `fn`: calling the store itself from there throws (it would wait for the
   * transaction it runs in). A write that fails inside leaves the transaction usable; an exception
   * escaping `fn` rolls everything back.
   */
  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T>;
  /** Monotonic number bumped by every committed write (single writes are their own transaction). */
  configVersion(): Promise<number>;
  /** Every entity, as the declarative loader's FlatConfig (what the proxy compiles). */
  exportAll(): Promise<FlatConfig>;
  /**
   * What `config db_export` writes: `exportAll` plus the rows Kong exports that are no part of the live
   * configuration here (`live_config: false`: oauth2 tokens).
   */
  exportFile(): Promise<FlatConfig>;
  /**
   * `exportAll` and the configuration version it shows, read in one consistent snapshot, with the time
   * (ms since the epoch) when its first entity with a `ttl` expires, or null: the export changes then
   * without any write, so whoever serves it must export again.
   */
  exportSnapshot(): Promise<{ config: FlatConfig; version: number; nextExpiry: number | null }>;
  /**
   * Calls `onChange(version)` soon after any committed write — from this process or from another
   * connection or node sharing the database. PostgreSQL: LISTEN/NOTIFY plus a poll every `pollMs`
   * (default 1000) as the safety net. SQLite has no cross-connection notifications, so it polls every
   * `pollMs` (default 250). Writes through this store instance are reported at once. Returns unsubscribe.
   */
  watch(onChange: (version: number) => void, options?: { pollMs?: number }): () => void;
  /**
   * Sends `event` to every node on this database, this one included (Kong's cluster events). PostgreSQL:
   * NOTIFY, heard by the nodes listening at that moment; SQLite: this process only.
   */
  broadcast(event: ClusterEvent): Promise<void>;
  /** Calls `onEvent` for each event broadcast on this database (well-formed ones only); returns unsubscribe. */
  onClusterEvent(onEvent: (event: ClusterEvent) => void): () => void;
  close(): Promise<void>;
}

/** Node-to-node events carried by the database. `origin`: the node id of the sender. */
export type ClusterEvent = { kind: 'log_level'; origin: string; level: string; timeout: number };

export interface PostgresSettings {
  host: string;
  port: number;
  user: string;
  password: string | null;
  database: string;
  ssl: boolean;
  /** Verify the server certificate when `ssl` is on (default false, like Kong's `pg_ssl_verify = off`). Addition. */
  sslVerify?: boolean;
  /** Milliseconds a connect or a query may take before it fails (Kong's `pg_timeout`; default 5000). */
  timeoutMs?: number;
  /** Schema set as every connection's `search_path` (Kong's `pg_schema`); unset follows the server's. */
  schema?: string | null;
  /** PEM certificates trusted when verifying the server (from `lua_ssl_trusted_certificate`); unset: Node's bundled CAs. */
  sslCa?: readonly string[];
  /** Most connections of the store's pool (Kong's `pg_pool_size`; default 10). */
  poolSize?: number;
  /** Milliseconds an idle pooled connection is kept; 0 keeps it (Kong's `pg_keepalive_timeout`; default 10000). */
  idleTimeoutMs?: number;
}
