/**
 * The audit log's queries, shared by both dialects: append one record (and drop what is past the row cap or
 * the retention), read a page newest first, sweep expired records.
 */
import { AUDIT_TABLE } from '../migrations/core-001-audit-log.ts';
import { decodeOffset, encodeOffset } from '../offset.ts';
import { StoreError, type AuditBounds, type AuditListOptions, type AuditPage, type AuditRecord } from '../types.ts';
import type { Dialect, SqlSession, SqlValue } from './driver.ts';
import { ident } from './layout.ts';

const COLUMNS = ['id', 'created_at', 'token_id', 'client_ip', 'method', 'path', 'status', 'dropped'] as const;
const TABLE = ident(AUDIT_TABLE);
const INSERT = `INSERT INTO ${TABLE} (${COLUMNS.map(ident).join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) RETURNING ${ident('seq')}`;
const DELETE_UP_TO_SEQ = `DELETE FROM ${TABLE} WHERE ${ident('seq')} <= ?`;
const DELETE_EXPIRED = `DELETE FROM ${TABLE} WHERE ${ident('created_at')} < ?`;
const SELECT = `SELECT ${ident('seq')}, ${COLUMNS.map(ident).join(', ')} FROM ${TABLE}`;
const ORDER = `ORDER BY ${ident('seq')} DESC LIMIT ?`;

/**
 * Appends one record, then enforces the bounds in the same transaction: `seq` only grows, so every record
 * at or below the new `seq` minus `maxRecords` is older than the newest `maxRecords` (an index range, however
 * large the table), and records created before `expireBefore` are past their retention.
 */
export async function appendAuditRecord(session: SqlSession, dialect: Dialect, record: AuditRecord, bounds: AuditBounds = {}): Promise<void> {
  const rows = await session.query(INSERT, COLUMNS.map((column) => record[column] as SqlValue));
  if (bounds.maxRecords !== undefined && bounds.maxRecords !== null) {
    const seq = dialect.readInteger(rows[0].seq);
    if (seq > bounds.maxRecords) await session.execute(DELETE_UP_TO_SEQ, [seq - bounds.maxRecords]);
  }
  if (bounds.expireBefore !== undefined && bounds.expireBefore !== null) await session.execute(DELETE_EXPIRED, [bounds.expireBefore]);
}

/** Deletes the records created before `before` (seconds since the epoch); returns how many. */
export function pruneAuditRecords(session: SqlSession, before: number): Promise<number> {
  return session.execute(DELETE_EXPIRED, [before]);
}

/** One page, newest first; the token carries the `seq` of the page's last (oldest) record. */
export async function listAuditPage(session: SqlSession, dialect: Dialect, options: AuditListOptions): Promise<AuditPage> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (options.offset !== null && options.offset !== undefined) {
    const [last] = decodeOffset(options.offset, 'audit');
    if (!/^\d+$/.test(last)) throw invalidAuditOffset(options.offset);
    where.push(`${ident('seq')} < ?`);
    params.push(Number(last));
  }
  // Records past their retention are not shown, even before a sweep deletes them.
  if (options.since !== undefined && options.since !== null) {
    where.push(`${ident('created_at')} >= ?`);
    params.push(options.since);
  }
  const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')} `;
  const rows = await session.query(`${SELECT} ${filter}${ORDER}`, [...params, options.size + 1]);
  const more = rows.length > options.size;
  const page = rows.slice(0, options.size);
  const data = page.map((row) => ({
    id: String(row.id),
    created_at: Number(row.created_at),
    token_id: String(row.token_id),
    client_ip: String(row.client_ip),
    method: String(row.method),
    path: String(row.path),
    status: dialect.readInteger(row.status),
    dropped: dialect.readInteger(row.dropped),
  }));
  const offset = more ? encodeOffset([String(dialect.readInteger(page[page.length - 1].seq))]) : null;
  return { data, offset };
}

/** A well-formed token that names no audit position is as invalid as a malformed one. */
function invalidAuditOffset(token: string): StoreError {
  return new StoreError('invalid_offset', 'audit', `'${token}' is not a valid offset: bad json encoding`, { offset: token });
}
