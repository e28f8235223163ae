/**
 * The operations available inside a write transaction. Each write runs in its own savepoint, so a write
 * that breaks a rule is undone alone and the transaction stays usable (PostgreSQL would otherwise refuse
 * every later statement); the broken rule is then reported as Kong's error. Operations on one
 * transaction run one at a time, even when the caller starts several at once.
 */
import { ENTITIES, type EntityName } from '../../entities/index.ts';
import { databaseError, notFound } from '../errors.ts';
import { StoreError, type ListOptions, type Page, type Row, type StoreOps, type TagPage } from '../types.ts';
import { diagnoseDelete, diagnoseWrite } from './diagnose.ts';
import type { Dialect, DbRow, SqlSession, SqlValue } from './driver.ts';
import { layoutOf, type TableLayout } from './layout.ts';
import { getByCacheKey, getByField, getById, listPage, listTagPage } from './reads.ts';
import { normalizeId, prepareRow, type PreparedRow } from './row-codec.ts';
import { SerialQueue } from './serial-queue.ts';
import { insertTagsSql, statementsOf } from './statements.ts';

interface WriteOutcome<T> {
  result: T;
  changed: boolean;
}

/** What the failed write was, to explain a constraint violation. */
type Explain = { op: 'write'; entity: EntityName; row: PreparedRow; isInsert: boolean } | { op: 'delete'; entity: EntityName; id: string };

function tagsOf(document: Record<string, unknown>): string[] {
  return Array.isArray(document.tags) ? document.tags.filter((tag): tag is string => typeof tag === 'string') : [];
}

export class TransactionOps implements StoreOps {
  readonly #session: SqlSession;
  readonly #dialect: Dialect;
  readonly #queue = new SerialQueue();
  #savepoints = 0;
  #open = true;
  /** True once a write changed something (the version is bumped at commit). */
  changed = false;

  constructor(session: SqlSession, dialect: Dialect) {
    this.#session = session;
    this.#dialect = dialect;
  }

  /** Ends the handle's life: the transaction is over. */
  close(): void {
    this.#open = false;
  }

  /** Waits for operations still running (the caller did not await them). */
  async settle(): Promise<void> {
    await this.#queue.run(async () => undefined);
  }

  #run<T>(job: () => Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      if (!this.#open) throw new Error('store: this transaction has ended; use the store, or a new transaction');
      return job();
    });
  }

  get(entity: EntityName, id: string): Promise<Row | null> {
    return this.#run(() => getById(this.#session, this.#dialect, entity, id));
  }

  getBy(entity: EntityName, field: string, value: string): Promise<Row | null> {
    return this.#run(() => getByField(this.#session, this.#dialect, entity, field, value));
  }

  getByCacheKey(entity: EntityName, key: Record<string, unknown>): Promise<Row | null> {
    return this.#run(() => getByCacheKey(this.#session, this.#dialect, entity, key));
  }

  list(entity: EntityName, options: ListOptions): Promise<Page> {
    return this.#run(() => listPage(this.#session, this.#dialect, entity, options));
  }

  listTags(options: { size: number; offset?: string | null; tag?: string | null }): Promise<TagPage> {
    return this.#run(() => listTagPage(this.#session, this.#dialect, options));
  }

  insert(entity: EntityName, row: Row): Promise<Row> {
    const layout = layoutOf(entity);
    const prepared = prepareRow(layout, row);
    return this.#write({ op: 'write', entity, row: prepared, isInsert: true }, async () => {
      const now = await this.#purgeExpired(entity);
      return { result: await this.#insertRow(layout, prepared, now), changed: true };
    });
  }

  update(entity: EntityName, id: string, row: Row): Promise<Row> {
    const layout = layoutOf(entity);
    const prepared = prepareRow(layout, row, id);
    return this.#write({ op: 'write', entity, row: prepared, isInsert: false }, async () => {
      const now = await this.#purgeExpired(entity);
      const stored = await this.#selectStored(entity, prepared.id);
      if (!stored) throw notFound(entity, prepared.id);
      return { result: await this.#updateRow(layout, prepared, stored, prepared.ttl === null, now), changed: true };
    });
  }

  upsert(entity: EntityName, row: Row): Promise<Row> {
    const layout = layoutOf(entity);
    const prepared = prepareRow(layout, row);
    // Until we know whether the row exists, a unique violation is explained as if inserting.
    const explain: Explain = { op: 'write', entity, row: prepared, isInsert: false };
    return this.#write(explain, async () => {
      const now = await this.#purgeExpired(entity);
      const stored = await this.#selectStored(entity, prepared.id);
      if (!stored) return { result: await this.#insertRow(layout, prepared, now), changed: true };
      // PUT replaces the expiry too: no ttl in the body means none (Kong writes EXCLUDED.ttl).
      return { result: await this.#updateRow(layout, prepared, stored, false, now), changed: true };
    });
  }

  delete(entity: EntityName, id: string): Promise<boolean> {
    const key = normalizeId(id);
    return this.#write({ op: 'delete', entity, id: key }, async () => {
      await this.#purgeExpired(entity);
      const count = await this.#session.execute(statementsOf(entity).delete, [key]);
      return { result: count > 0, changed: count > 0 };
    });
  }

  async #purgeExpired(entity: EntityName): Promise<number> {
    const now = Date.now();
    const purge = statementsOf(entity).purgeExpired;
    // Expired rows are invisible to reads; removing them before a write lets their keys be used again.
    if (purge !== null) await this.#session.execute(purge, [now]);
    return now;
  }

  async #selectStored(entity: EntityName, id: string): Promise<DbRow | null> {
    const rows = await this.#session.query(statementsOf(entity).selectStored, [id]);
    return rows[0] ?? null;
  }

  #result(prepared: PreparedRow, expiresAt: number | null, now: number): Row {
    const row: Row = { ...prepared.document };
    if (expiresAt !== null) row.ttl = Math.max(0, Math.floor((expiresAt - now) / 1000));
    return row;
  }

  async #insertRow(layout: TableLayout, prepared: PreparedRow, now: number): Promise<Row> {
    const expiresAt = prepared.ttl === null ? null : now + Math.round(prepared.ttl * 1000);
    const params: SqlValue[] = [prepared.id, JSON.stringify(prepared.document), ...prepared.values];
    if (layout.ttl) params.push(expiresAt);
    await this.#session.execute(statementsOf(layout.entity).insert, params);
    await this.#writeTags(layout, prepared, false);
    return this.#result(prepared, expiresAt, now);
  }

  async #updateRow(layout: TableLayout, prepared: PreparedRow, stored: DbRow, keepExpiry: boolean, now: number): Promise<Row> {
    const previous = this.#dialect.readDocument(stored.entity);
    // A replaced entity keeps its creation time, as Kong's PUT does.
    if (previous.created_at !== undefined) prepared.document.created_at = previous.created_at;
    let expiresAt = prepared.ttl === null ? null : now + Math.round(prepared.ttl * 1000);
    if (keepExpiry && stored.expires_at !== null && stored.expires_at !== undefined) {
      expiresAt = this.#dialect.readInteger(stored.expires_at);
    }
    const params: SqlValue[] = [JSON.stringify(prepared.document), ...prepared.values];
    if (layout.ttl) params.push(expiresAt);
    params.push(prepared.id);
    await this.#session.execute(statementsOf(layout.entity).update, params);
    await this.#writeTags(layout, prepared, true);
    return this.#result(prepared, expiresAt, now);
  }

  async #writeTags(layout: TableLayout, prepared: PreparedRow, replace: boolean): Promise<void> {
    const deleteTags = statementsOf(layout.entity).deleteTags;
    if (deleteTags === null) return;
    if (replace) await this.#session.execute(deleteTags, [prepared.id]);
    const tags = tagsOf(prepared.document);
    if (tags.length === 0) return;
    const params: SqlValue[] = [];
    tags.forEach((tag, index) => params.push(prepared.id, index + 1, tag));
    await this.#session.execute(insertTagsSql(layout, tags.length), params);
  }

  #write<T>(explain: Explain, job: () => Promise<WriteOutcome<T>>): Promise<T> {
    return this.#run(async () => {
      const savepoint = `tollgate_write_${++this.#savepoints}`;
      await this.#session.execute(`SAVEPOINT ${savepoint}`);
      let outcome: WriteOutcome<T>;
      try {
        outcome = await job();
      } catch (error) {
        await this.#session.execute(`ROLLBACK TO SAVEPOINT ${savepoint}`);
        await this.#session.execute(`RELEASE SAVEPOINT ${savepoint}`);
        throw await this.#explain(explain, error);
      }
      await this.#session.execute(`RELEASE SAVEPOINT ${savepoint}`);
      // Rows outside the live configuration (oauth2 codes and tokens, written per request) change no version.
      if (outcome.changed && ENTITIES[explain.entity].liveConfig) this.changed = true;
      return outcome.result;
    });
  }

  /** The StoreError for a failed write (the write is already rolled back). */
  async #explain(explain: Explain, error: unknown): Promise<unknown> {
    if (error instanceof StoreError) return error;
    const kind = this.#dialect.classifyError(error);
    if (kind === null) return error;
    if (kind === 'other') return databaseError(explain.entity, error);
    let found: StoreError | null;
    if (explain.op === 'delete') {
      found = kind === 'foreign_key' ? await diagnoseDelete(this.#session, explain.entity, explain.id) : null;
    } else {
      found = await diagnoseWrite(this.#session, explain.entity, explain.row, kind, explain.isInsert);
      // An upsert that collided on its id (someone inserted it meanwhile) is a primary-key conflict too.
      if (found === null && kind === 'unique' && !explain.isInsert) {
        found = await diagnoseWrite(this.#session, explain.entity, explain.row, kind, true);
      }
    }
    return found ?? databaseError(explain.entity, error);
  }
}
