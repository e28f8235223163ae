/**
 * `core:002_clustering_data_planes`: what control planes know about data planes, shared through the
 * database so that every control plane lists every data plane (Kong's `clustering_data_planes`). The
 * record itself is a JSON document owned by the cluster code; the columns are what queries need. Not an
 * entity table: writes never bump the configuration version.
 */
import { ident } from '../sql/layout.ts';
import type { SqlKind } from '../sql/ddl.ts';
import type { Migration } from './types.ts';

export const DATA_PLANES_TABLE = 'tollgate_clustering_data_planes';

function dataPlanesSql(kind: SqlKind): string {
  const real = kind === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  const columns = [
    `${ident('id')} TEXT PRIMARY KEY`,
    `${ident('control_plane_id')} TEXT NOT NULL`,
    `${ident('updated_at')} ${real} NOT NULL`,
    `${ident('record')} TEXT NOT NULL`,
  ];
  return `CREATE TABLE ${ident(DATA_PLANES_TABLE)} (\n  ${columns.join(',\n  ')}\n);`;
}

export const clusteringDataPlanes002: Migration = {
  name: '002_clustering_data_planes',
  up: { sqlite: dataPlanesSql('sqlite'), postgres: dataPlanesSql('postgres') },
  tables: [DATA_PLANES_TABLE],
};
