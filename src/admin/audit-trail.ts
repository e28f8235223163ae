/**
 * The Admin API audit log: every write (POST, PUT, PATCH, DELETE, refused ones too) with who, when, what
 * and the status. Kept in the store when the node has one, else the last 1000 in memory. Never bodies,
 * query strings or tokens: those may hold secrets.
 *
 * It is bounded whatever clients send: paths are cut short (refused requests' shorter still), requests
 * refused for want of a token are recorded at most REFUSALS_PER_SECOND a second with one record counting
 * the rest, records expire after `audit_log_record_ttl` and at most `audit_log_max_records` are kept.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ENTITIES, ENTITY_ORDER, memoizeOnRegistry } from '../entities/index.ts';
import { decodeOffset, encodeOffset } from '../store/offset.ts';
import { StoreError, type AuditBounds, type AuditListOptions, type AuditPage, type AuditRecord, type Store } from '../store/types.ts';
import { reply } from './endpoint-types.ts';
import { listBody, parseSize } from './pagination.ts';
import type { RouteTable } from './route-table.ts';

/** Where audit records go and are read back from. */
export interface AuditTrail {
  /** Keeps `record`, dropping what is past `bounds`. */
  append(record: AuditRecord, bounds?: AuditBounds): Promise<void>;
  /** Newest first. */
  list(options: AuditListOptions): Promise<AuditPage>;
  /** Deletes the records created before `before` (seconds since the epoch). */
  prune(before: number): Promise<number>;
}

export const AUDITED_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** How many records a DB-less node keeps. */
export const MEMORY_AUDIT_CAPACITY = 1000;

/** The audit log of a node without a database: a ring of the newest records, lost on restart. */
export class MemoryAuditTrail implements AuditTrail {
  readonly #capacity: number;
  /** Oldest first; `#seq[i]` numbers `#records[i]` for paging tokens. */
  readonly #records: AuditRecord[] = [];
  readonly #seq: number[] = [];
  #next = 1;

  constructor(capacity = MEMORY_AUDIT_CAPACITY) {
    this.#capacity = capacity;
  }

  async append(record: AuditRecord, bounds: AuditBounds = {}): Promise<void> {
    this.#records.push(record);
    this.#seq.push(this.#next++);
    const capacity = Math.min(this.#capacity, bounds.maxRecords ?? Infinity);
    while (this.#records.length > capacity) {
      this.#records.shift();
      this.#seq.shift();
    }
    if (bounds.expireBefore !== undefined && bounds.expireBefore !== null) await this.prune(bounds.expireBefore);
  }

  async prune(before: number): Promise<number> {
    let n = 0;
    while (n < this.#records.length && this.#records[n].created_at < before) n++;
    this.#records.splice(0, n);
    this.#seq.splice(0, n);
    return n;
  }

  async list(options: AuditListOptions): Promise<AuditPage> {
    let end = this.#records.length; // exclusive, walking backwards from the newest
    if (options.offset !== null && options.offset !== undefined) {
      const [last] = decodeOffset(options.offset, 'audit');
      if (!/^\d+$/.test(last)) {
        throw new StoreError('invalid_offset', 'audit', `'${options.offset}' is not a valid offset: bad json encoding`, { offset: options.offset });
      }
      const before = Number(last);
      end = 0;
      while (end < this.#seq.length && this.#seq[end] < before) end++;
    }
    // Records are appended in time order: the expired ones are a prefix.
    let first = 0;
    const since = options.since ?? null;
    if (since !== null) while (first < end && this.#records[first].created_at < since) first++;
    const start = Math.max(first, end - options.size);
    const data = this.#records.slice(start, end).reverse();
    return { data, offset: start > first ? encodeOffset([String(this.#seq[start])]) : null };
  }
}

/** The audit log of a node with a database. */
export class StoreAuditTrail implements AuditTrail {
  readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  append(record: AuditRecord, bounds?: AuditBounds): Promise<void> {
    return this.store.appendAudit(record, bounds);
  }

  list(options: AuditListOptions): Promise<AuditPage> {
    return this.store.listAudit(options);
  }

  prune(before: number): Promise<number> {
    return this.store.pruneAudit(before);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The URL segments (an entity's Admin API name and nested name) after which a path names an entity by a secret endpoint key. */
const secretSegments = memoizeOnRegistry((): RegExp | null => {
  const names = new Set<string>();
  for (const name of ENTITY_ORDER) {
    const meta = ENTITIES[name];
    if (!meta.secretEndpointKey) continue;
    names.add(meta.adminApiName);
    names.add(meta.adminApiNestedName);
  }
  if (names.size === 0) return null;
  const alternatives = [...names].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return new RegExp(`(/(?:${alternatives})/)([^/]+)`, 'g');
});

/**
 * The path as the audit log keeps it: no query string, and an entity addressed by a secret endpoint key
 * (an API key) rather than its id shown as `******`.
 */
export function auditPath(url: string): string {
  const path = url.split('?', 1)[0];
  const segments = secretSegments();
  if (segments === null) return path;
  return path.replace(segments, (whole, prefix: string, key: string) => (UUID.test(key) ? whole : `${prefix}******`));
}

/** The longest path a record keeps, and the longest a refused request's record keeps. */
export const MAX_AUDIT_PATH = 1024;
export const MAX_REFUSED_AUDIT_PATH = 128;
/** Requests refused for want of a valid token recorded one by one per second; one record counts the rest. */
export const REFUSALS_PER_SECOND = 10;
/** The longest a timer can wait (about 24.8 days); a longer retention is swept in several steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `path` cut to `max` characters, marked with `...` when it was longer. */
export function truncatePath(path: string, max: number): string {
  return path.length <= max ? path : `${path.slice(0, max - 3)}...`;
}

/** The audit log's bounds (`audit_log_record_ttl` in seconds, `audit_log_max_records`). */
export interface AuditLimits {
  recordTtl: number;
  maxRecords: number;
}

/**
 * Writes the audit log within its bounds. One per Admin API: the rate of refusals it records is counted per
 * node. Expired records are deleted as each record is written, and by a sweep that runs only after writes
 * (one timer at a time, none while the Admin API is idle), so a record is gone at most about a second past
 * its retention while the node runs; reads leave expired records out anyway.
 */
export class AuditRecorder {
  readonly #trail: () => AuditTrail;
  readonly #limits: AuditLimits;
  readonly #onError: (err: unknown) => void;
  readonly #now: () => number;
  /** The second (Unix time, whole) the refusal counts are for, how many were recorded and dropped in it. */
  #window = 0;
  #recorded = 0;
  #dropped = 0;
  #flushTimer: NodeJS.Timeout | null = null;
  #sweepTimer: NodeJS.Timeout | null = null;
  /** When the newest record was written (seconds): the sweep runs again until it has covered it. */
  #lastWrite = 0;

  constructor(trail: () => AuditTrail, limits: AuditLimits, onError: (err: unknown) => void, now: () => number = Date.now) {
    this.#trail = trail;
    this.#limits = limits;
    this.#onError = onError;
    this.#now = now;
  }

  /** Oldest creation time still within the retention (seconds since the epoch). */
  retainedSince(): number {
    return this.#now() / 1000 - this.#limits.recordTtl;
  }

  /**
   * Records the request once its response is finished (so the status is the one sent). `refused`: it was
   * turned away for want of a valid token, and is recorded compactly and at a bounded rate. Failures to
   * record go to `onError`: the client already has its answer.
   */
  recordWhenFinished(req: IncomingMessage, res: ServerResponse, tokenId: string, refused: boolean): void {
    const method = (req.method ?? '').toUpperCase();
    const path = truncatePath(auditPath(req.url ?? '/'), refused ? MAX_REFUSED_AUDIT_PATH : MAX_AUDIT_PATH);
    const clientIp = req.socket.remoteAddress ?? '-';
    res.once('finish', () => {
      if (refused && !this.#admitRefusal()) return;
      this.#append({ id: randomUUID(), created_at: this.#now() / 1000, token_id: tokenId, client_ip: clientIp, method, path, status: res.statusCode, dropped: 0 });
    });
  }

  /** Whether one more refusal may be recorded in the current second; counts it as dropped when not. */
  #admitRefusal(): boolean {
    const second = Math.floor(this.#now() / 1000);
    if (second !== this.#window) {
      this.#flushDropped();
      this.#window = second;
      this.#recorded = 0;
    }
    if (this.#recorded < REFUSALS_PER_SECOND) {
      this.#recorded++;
      return true;
    }
    if (this.#dropped++ === 0) {
      // One record for the rest of this second, written when it ends.
      this.#flushTimer = setTimeout(() => this.#flushDropped(), (second + 1) * 1000 - this.#now() + 5);
      this.#flushTimer.unref();
    }
    return false;
  }

  /** Writes the record that counts the refusals dropped in the window, if any. */
  #flushDropped(): void {
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    if (this.#dropped === 0) return;
    const dropped = this.#dropped;
    this.#dropped = 0;
    this.#append({ id: randomUUID(), created_at: this.#window + 1, token_id: 'anonymous', client_ip: '-', method: '-', path: '-', status: 401, dropped });
  }

  #append(record: AuditRecord): void {
    this.#lastWrite = record.created_at;
    this.#trail()
      .append(record, { maxRecords: this.#limits.maxRecords, expireBefore: this.retainedSince() })
      .catch(this.#onError);
    this.#scheduleSweep();
  }

  /** Once the newest record expires, delete it and everything older (again later if records came meanwhile). */
  #scheduleSweep(): void {
    if (this.#sweepTimer !== null) return;
    const due = (this.#lastWrite + this.#limits.recordTtl) * 1000 + 1000;
    this.#sweepTimer = setTimeout(() => {
      this.#sweepTimer = null;
      const covered = this.retainedSince() > this.#lastWrite;
      this.#trail()
        .prune(this.retainedSince())
        .catch(this.#onError)
        .finally(() => {
          if (!covered) this.#scheduleSweep();
        });
    }, Math.min(MAX_TIMER_MS, Math.max(0, due - this.#now())));
    this.#sweepTimer.unref();
  }
}

/** `GET /audit/requests`: the audit log, newest first, paged like every Kong list. */
export function addAuditEndpoints(table: RouteTable, trail: () => AuditTrail, retainedSince: () => number | null = () => null): void {
  table.set('/audit/requests', 'GET', async (ctx) => {
    const query = ctx.url.searchParams;
    const size = parseSize(query.get('size'));
    const page = await trail().list({ size, offset: query.get('offset'), since: retainedSince() });
    const extra = query.has('size') ? `&size=${query.get('size') as string}` : '';
    return reply(200, listBody(page.data, page.offset, '/audit/requests', extra));
  });
}
