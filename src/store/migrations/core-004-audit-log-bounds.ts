/**
 * `core:004_audit_log_bounds`: what keeps the audit log bounded. `dropped` counts the refused requests a
 * record stands for that were not recorded one by one (refusals are rate limited); the index on
 * `created_at` makes the retention sweep (`audit_log_record_ttl`) a range delete rather than a scan.
 */
import { ident } from '../sql/layout.ts';
import { AUDIT_TABLE } from './core-001-audit-log.ts';
import type { Migration } from './types.ts';

const sql =
  `ALTER TABLE ${ident(AUDIT_TABLE)} ADD COLUMN ${ident('dropped')} INTEGER NOT NULL DEFAULT 0;\n` +
  `CREATE INDEX ${ident(`${AUDIT_TABLE}_created_at_idx`)} ON ${ident(AUDIT_TABLE)} (${ident('created_at')});`;

export const auditLogBounds004: Migration = {
  name: '004_audit_log_bounds',
  up: { sqlite: sql, postgres: sql },
  tables: [],
};
