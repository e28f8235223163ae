/**
 * The `Store` on top of an SQL driver: reads go straight to the driver, every write is a transaction
 * (a single write is a transaction of one), a committed transaction that changed something bumps the
 * configuration version once, and watchers hear about versions they have not seen yet.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityName } from '../../entities/index.ts';
import type { FlatConfig } from '../../declarative/index.ts';
import type { AuditBounds, AuditListOptions, AuditPage, AuditRecord, ClusterEvent, DataPlaneEntry, TelemetryEntry, ListOptions, Page, Row, Store, StoreOps, TagPage } from '../types.ts';
import { appendAuditRecord, listAuditPage, pruneAuditRecords } from './audit.ts';
import { listDataPlanes, listTelemetry, purgeDataPlanes, upsertDataPlane, upsertTelemetry } from './data-planes.ts';
import type { SqlDriver, SqlSession } from './driver.ts';
import { ident } from './layout.ts';
import { CONFIG_VERSION_TABLE } from './ddl.ts';
import { exportEntities, getByCacheKey, getByField, getById, listPage, listTagPage } from './reads.ts';
import { TransactionOps } from './transaction-ops.ts';

const READ_VERSION = `SELECT ${ident('version')} FROM ${ident(CONFIG_VERSION_TABLE)} WHERE ${ident('id')} = 1`;
const BUMP_VERSION =
  `UPDATE ${ident(CONFIG_VERSION_TABLE)} SET ${ident('version')} = ${ident('version')} + 1 ` +
  `WHERE ${ident('id')} = 1 RETURNING ${ident('version')}`;

interface Watcher {
  onChange: (version: number) => void;
  /** The newest version this watcher was told about (or that existed when it subscribed). */
  seen: number;
}

/** Marks code running inside one of this store's transactions, to refuse re-entering the store from there. */
interface TransactionScope {
  active: boolean;
}

export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly #driver: SqlDriver;
  readonly #scope = new AsyncLocalStorage<TransactionScope>();
  readonly #watchers = new Set<Watcher>();
  readonly #stops = new Set<() => void>();
  #knownVersion: number;
  #checking: Promise<void> | null = null;
  #recheck = false;
  #closed = false;

  constructor(driver: SqlDriver, version: number) {
    this.kind = driver.kind;
    this.#driver = driver;
    this.#knownVersion = version;
  }

  /** The driver, for migrations run through an open store. */
  get driver(): SqlDriver {
    return this.#driver;
  }

  #enter(): void {
    if (this.#closed) throw new Error(`store: the ${this.kind} store is closed`);
    if (this.#scope.getStore()?.active) {
      throw new Error('store: called the store inside its own transaction(); use the `tx` handle passed to the callback');
    }
  }

  #read<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    this.#enter();
    return this.#driver.read(fn);
  }

  get(entity: EntityName, id: string): Promise<Row | null> {
    return this.#read((s) => getById(s, this.#driver.dialect, entity, id));
  }

  getBy(entity: EntityName, field: string, value: string): Promise<Row | null> {
    return this.#read((s) => getByField(s, this.#driver.dialect, entity, field, value));
  }

  getByCacheKey(entity: EntityName, key: Record<string, unknown>): Promise<Row | null> {
    return this.#read((s) => getByCacheKey(s, this.#driver.dialect, entity, key));
  }

  list(entity: EntityName, options: ListOptions): Promise<Page> {
    return this.#read((s) => listPage(s, this.#driver.dialect, entity, options));
  }

  listTags(options: { size: number; offset?: string | null; tag?: string | null }): Promise<TagPage> {
    return this.#read((s) => listTagPage(s, this.#driver.dialect, options));
  }

  /** Its own small transaction, outside `transaction()`: audit records are no configuration. */
  appendAudit(record: AuditRecord, bounds?: AuditBounds): Promise<void> {
    this.#enter();
    return this.#driver.transaction((s) => appendAuditRecord(s, this.#driver.dialect, record, bounds));
  }

  listAudit(options: AuditListOptions): Promise<AuditPage> {
    return this.#read((s) => listAuditPage(s, this.#driver.dialect, options));
  }

  pruneAudit(before: number): Promise<number> {
    this.#enter();
    return this.#driver.transaction((s) => pruneAuditRecords(s, before));
  }

  /** Like audit records, data plane records are no configuration: their own small transactions. */
  putDataPlane(entry: DataPlaneEntry): Promise<void> {
    this.#enter();
    return this.#driver.transaction((s) => upsertDataPlane(s, entry));
  }

  listDataPlanes(): Promise<DataPlaneEntry[]> {
    return this.#read((s) => listDataPlanes(s));
  }

  purgeDataPlanes(before: number): Promise<number> {
    this.#enter();
    return this.#driver.transaction((s) => purgeDataPlanes(s, before));
  }

  putTelemetry(entry: TelemetryEntry): Promise<void> {
    this.#enter();
    return this.#driver.transaction((s) => upsertTelemetry(s, entry));
  }

  listTelemetry(since: number): Promise<TelemetryEntry[]> {
    this.#enter();
    return this.#driver.transaction((s) => listTelemetry(s, since));
  }

  insert(entity: EntityName, row: Row): Promise<Row> {
    return this.transaction((tx) => tx.insert(entity, row));
  }

  update(entity: EntityName, id: string, row: Row): Promise<Row> {
    return this.transaction((tx) => tx.update(entity, id, row));
  }

  upsert(entity: EntityName, row: Row): Promise<Row> {
    return this.transaction((tx) => tx.upsert(entity, row));
  }

  delete(entity: EntityName, id: string): Promise<boolean> {
    return this.transaction((tx) => tx.delete(entity, id));
  }

  async transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> {
    this.#enter();
    const scope: TransactionScope = { active: true };
    let committedVersion: number | null = null;
    let result: T;
    try {
      result = await this.#driver.transaction(async (session) => {
        const tx = new TransactionOps(session, this.#driver.dialect);
        let value: T;
        try {
          value = await this.#scope.run(scope, () => fn(tx));
        } finally {
          // Operations the callback started but did not await finish before commit or rollback.
          await tx.settle().catch(() => undefined);
          tx.close();
        }
        if (tx.changed) {
          const rows = await session.query(BUMP_VERSION);
          committedVersion = this.#driver.dialect.readInteger(rows[0].version);
          await this.#driver.dialect.announceVersion(session, committedVersion);
        }
        return value;
      });
    } finally {
      scope.active = false;
    }
    if (committedVersion !== null) this.#publish(committedVersion);
    return result;
  }

  async configVersion(): Promise<number> {
    return this.#read((s) => this.#readVersion(s));
  }

  async #readVersion(session: SqlSession): Promise<number> {
    const rows = await session.query(READ_VERSION);
    return this.#driver.dialect.readInteger(rows[0].version);
  }

  async exportAll(): Promise<FlatConfig> {
    return (await this.exportSnapshot()).config;
  }

  exportFile(): Promise<FlatConfig> {
    this.#enter();
    return this.#driver.snapshot(async (s) => (await exportEntities(s, this.#driver.dialect, 'file')).config);
  }

  exportSnapshot(): Promise<{ config: FlatConfig; version: number; nextExpiry: number | null }> {
    this.#enter();
    return this.#driver.snapshot(async (s) => {
      const version = await this.#readVersion(s);
      return { ...(await exportEntities(s, this.#driver.dialect)), version };
    });
  }

  watch(onChange: (version: number) => void, options: { pollMs?: number } = {}): () => void {
    if (this.#closed) throw new Error(`store: the ${this.kind} store is closed`);
    const pollMs = options.pollMs ?? this.#driver.defaultPollMs;
    if (!Number.isFinite(pollMs) || pollMs <= 0) throw new RangeError(`store: watch pollMs must be a positive number, got ${pollMs}`);
    const watcher: Watcher = { onChange, seen: this.#knownVersion };
    this.#watchers.add(watcher);
    const stopFeed = this.#driver.watchChanges(() => this.#check(), pollMs);
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      this.#watchers.delete(watcher);
      this.#stops.delete(stop);
      stopFeed();
    };
    this.#stops.add(stop);
    return stop;
  }

  broadcast(event: ClusterEvent): Promise<void> {
    this.#enter();
    return this.#driver.publishEvent(JSON.stringify(event));
  }

  onClusterEvent(onEvent: (event: ClusterEvent) => void): () => void {
    if (this.#closed) throw new Error(`store: the ${this.kind} store is closed`);
    const stop = this.#driver.subscribeEvents((payload) => {
      const event = parseClusterEvent(payload);
      if (event !== null) onEvent(event);
    });
    this.#stops.add(stop);
    return () => {
      this.#stops.delete(stop);
      stop();
    };
  }

  /** Reads the version after a poke; pokes arriving during a read cause one more read, not one each. */
  #check(): void {
    if (this.#closed) return;
    if (this.#checking) {
      this.#recheck = true;
      return;
    }
    this.#checking = (async () => {
      do {
        this.#recheck = false;
        try {
          const version = await this.#driver.read((s) => this.#readVersion(s));
          this.#publish(version);
        } catch {
          // The database is unreachable right now; the next poll tries again.
        }
      } while (this.#recheck && !this.#closed);
      this.#checking = null;
    })();
  }

  #publish(version: number): void {
    if (version > this.#knownVersion) this.#knownVersion = version;
    for (const watcher of this.#watchers) {
      if (version <= watcher.seen) continue;
      watcher.seen = version;
      // Outside the writer's call stack: a throwing listener must not fail the write that was committed.
      setImmediate(() => {
        if (this.#watchers.has(watcher)) watcher.onChange(version);
      });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of [...this.#stops]) stop();
    await this.#checking;
    await this.#driver.close();
  }
}

/** An event read back from the database, or null for anything else on the channel. */
function parseClusterEvent(payload: string): ClusterEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const e = value as Record<string, unknown>;
  if (e.kind === 'log_level' && typeof e.origin === 'string' && typeof e.level === 'string' && typeof e.timeout === 'number') {
    return { kind: 'log_level', origin: e.origin, level: e.level, timeout: e.timeout };
  }
  return null;
}

/** A store on `driver`, which must already hold a current schema. */
export async function createSqlStore(driver: SqlDriver): Promise<SqlStore> {
  const rows = await driver.read((s) => s.query(READ_VERSION));
  return new SqlStore(driver, driver.dialect.readInteger(rows[0].version));
}
