/**
 * The Admin API audit log: every write (POST, PUT, PATCH, DELETE, refused ones too) with who, when, what
 * and the status. Kept in the store when the node has one, else the last 1000 in memory. Never bodies,
 * query strings or tokens: those may hold secrets.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ENTITIES, ENTITY_ORDER, memoizeOnRegistry } from '../entities/index.ts';
import { decodeOffset, encodeOffset } from '../store/offset.ts';
import { StoreError, type AuditPage, type AuditRecord, type Store } from '../store/types.ts';
import { reply } from './endpoint-types.ts';
import { listBody, parseSize } from './pagination.ts';
import type { RouteTable } from './route-table.ts';

/** Where audit records go and are read back from. */
export interface AuditTrail {
  append(record: AuditRecord): Promise<void>;
  /** Newest first. */
  list(options: { size: number; offset?: string | null }): Promise<AuditPage>;
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

  async append(record: AuditRecord): Promise<void> {
    this.#records.push(record);
    this.#seq.push(this.#next++);
    if (this.#records.length > this.#capacity) {
      this.#records.shift();
      this.#seq.shift();
    }
  }

  async list(options: { size: number; offset?: string | null }): Promise<AuditPage> {
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
    const start = Math.max(0, end - options.size);
    const data = this.#records.slice(start, end).reverse();
    return { data, offset: start > 0 ? encodeOffset([String(this.#seq[start])]) : null };
  }
}

/** The audit log of a node with a database. */
export class StoreAuditTrail implements AuditTrail {
  readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  append(record: AuditRecord): Promise<void> {
    return this.store.appendAudit(record);
  }

  list(options: { size: number; offset?: string | null }): Promise<AuditPage> {
    return this.store.listAudit(options);
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

/**
 * Records the request once its response is finished (so the status is the one sent). Failures to record
 * go to `onError`: the client already has its answer.
 */
export function auditWhenFinished(
  trail: AuditTrail,
  req: IncomingMessage,
  res: ServerResponse,
  tokenId: string,
  onError: (err: unknown) => void,
): void {
  const method = (req.method ?? '').toUpperCase();
  const path = auditPath(req.url ?? '/');
  const clientIp = req.socket.remoteAddress ?? '-';
  res.once('finish', () => {
    trail
      .append({ id: randomUUID(), created_at: Date.now() / 1000, token_id: tokenId, client_ip: clientIp, method, path, status: res.statusCode })
      .catch(onError);
  });
}

/** `GET /audit/requests`: the audit log, newest first, paged like every Kong list. */
export function addAuditEndpoints(table: RouteTable, trail: () => AuditTrail): void {
  table.set('/audit/requests', 'GET', async (ctx) => {
    const query = ctx.url.searchParams;
    const size = parseSize(query.get('size'));
    const page = await trail().list({ size, offset: query.get('offset') });
    const extra = query.has('size') ? `&size=${query.get('size') as string}` : '';
    return reply(200, listBody(page.data, page.offset, '/audit/requests', extra));
  });
}
