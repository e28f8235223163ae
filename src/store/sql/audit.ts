/** The audit log's queries, shared by both dialects: append one record, read a page newest first. */
import { AUDIT_TABLE } from '../migrations/core-001-audit-log.ts';
import { decodeOffset, encodeOffset } from '../offset.ts';
import { StoreError, type AuditPage, type AuditRecord } from '../types.ts';
import type { Dialect, SqlSession, SqlValue } from './driver.ts';
import { ident } from './layout.ts';

const COLUMNS = ['id', 'created_at', 'token_id', 'client_ip', 'method', 'path', 'status'] as const;
const TABLE = ident(AUDIT_TABLE);
const INSERT = `INSERT INTO ${TABLE} (${COLUMNS.map(ident).join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;
const SELECT = `SELECT ${ident('seq')}, ${COLUMNS.map(ident).join(', ')} FROM ${TABLE}`;
const ORDER = `ORDER BY ${ident('seq')} DESC LIMIT ?`;

export async function appendAuditRecord(session: SqlSession, record: AuditRecord): Promise<void> {
  await session.execute(INSERT, COLUMNS.map((column) => record[column] as SqlValue));
}

/** One page, newest first; the token carries the `seq` of the page's last (oldest) record. */
export async function listAuditPage(session: SqlSession, dialect: Dialect, options: { size: number; offset?: string | null }): Promise<AuditPage> {
  let rows: Awaited<ReturnType<SqlSession['query']>>;
  if (options.offset !== null && options.offset !== undefined) {
    const [last] = decodeOffset(options.offset, 'audit');
    if (!/^\d+$/.test(last)) throw invalidAuditOffset(options.offset);
    rows = await session.query(`${SELECT} WHERE ${ident('seq')} < ? ${ORDER}`, [Number(last), options.size + 1]);
  } else {
    rows = await session.query(`${SELECT} ${ORDER}`, [options.size + 1]);
  }
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
  }));
  const offset = more ? encodeOffset([String(dialect.readInteger(page[page.length - 1].seq))]) : null;
  return { data, offset };
}

/** A well-formed token that names no audit position is as invalid as a malformed one. */
function invalidAuditOffset(token: string): StoreError {
  return new StoreError('invalid_offset', 'audit', `'${token}' is not a valid offset: bad json encoding`, { offset: token });
}
