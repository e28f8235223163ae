/**
 * `core:001_audit_log`: the table behind the Admin API's audit log. `seq` orders the records (newest
 * first) and is what paging tokens carry; it is not an entity table, so writes to it never bump the
 * configuration version.
 */
import { ident } from '../sql/layout.ts';
import type { SqlKind } from '../sql/ddl.ts';
import type { Migration } from './types.ts';

export const AUDIT_TABLE = 'tollgate_audit_log';

function auditSql(kind: SqlKind): string {
  const seq = kind === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY';
  const real = kind === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  const columns = [
    `${ident('seq')} ${seq}`,
    `${ident('id')} TEXT NOT NULL`,
    `${ident('created_at')} ${real} NOT NULL`,
    `${ident('token_id')} TEXT NOT NULL`,
    `${ident('client_ip')} TEXT NOT NULL`,
    `${ident('method')} TEXT NOT NULL`,
    `${ident('path')} TEXT NOT NULL`,
    `${ident('status')} INTEGER NOT NULL`,
  ];
  return `CREATE TABLE ${ident(AUDIT_TABLE)} (\n  ${columns.join(',\n  ')}\n);`;
}

export const auditLog001: Migration = {
  name: '001_audit_log',
  up: { sqlite: auditSql('sqlite'), postgres: auditSql('postgres') },
  tables: [AUDIT_TABLE],
};
