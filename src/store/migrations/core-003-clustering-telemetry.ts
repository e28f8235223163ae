/**
 * `core:003_clustering_telemetry`: each control plane's running traffic totals (as reported by its data
 * planes), shared through the database so that any control plane shows the whole cluster's traffic. One
 * row per control plane process; not an entity table.
 */
import { ident } from '../sql/layout.ts';
import type { SqlKind } from '../sql/ddl.ts';
import type { Migration } from './types.ts';

export const TELEMETRY_TABLE = 'tollgate_clustering_telemetry';

function telemetrySql(kind: SqlKind): string {
  const real = kind === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  const columns = [
    `${ident('control_plane_id')} TEXT PRIMARY KEY`,
    `${ident('updated_at')} ${real} NOT NULL`,
    `${ident('totals')} TEXT NOT NULL`,
  ];
  return `CREATE TABLE ${ident(TELEMETRY_TABLE)} (\n  ${columns.join(',\n  ')}\n);`;
}

export const clusteringTelemetry003: Migration = {
  name: '003_clustering_telemetry',
  up: { sqlite: telemetrySql('sqlite'), postgres: telemetrySql('postgres') },
  tables: [TELEMETRY_TABLE],
};
