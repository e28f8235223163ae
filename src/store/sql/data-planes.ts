/** Queries of the hybrid-mode tables (both dialects): data plane records and control planes' telemetry totals. */
import { DATA_PLANES_TABLE } from '../migrations/core-002-clustering-data-planes.ts';
import { TELEMETRY_TABLE } from '../migrations/core-003-clustering-telemetry.ts';
import type { DataPlaneEntry, TelemetryEntry } from '../types.ts';
import type { SqlSession } from './driver.ts';
import { ident } from './layout.ts';

const TABLE = ident(DATA_PLANES_TABLE);
const [ID, CP, UPDATED, RECORD] = ['id', 'control_plane_id', 'updated_at', 'record'].map(ident);

export async function upsertDataPlane(session: SqlSession, entry: DataPlaneEntry): Promise<void> {
  await session.execute(
    `INSERT INTO ${TABLE} (${ID}, ${CP}, ${UPDATED}, ${RECORD}) VALUES (?, ?, ?, ?) ` +
      `ON CONFLICT (${ID}) DO UPDATE SET ${CP} = excluded.${CP}, ${UPDATED} = excluded.${UPDATED}, ${RECORD} = excluded.${RECORD}`,
    [entry.id, entry.control_plane_id, entry.updated_at, JSON.stringify(entry.record)],
  );
}

export async function listDataPlanes(session: SqlSession): Promise<DataPlaneEntry[]> {
  const rows = await session.query(`SELECT ${ID}, ${CP}, ${UPDATED}, ${RECORD} FROM ${TABLE} ORDER BY ${ID}`, []);
  return rows.map((row) => ({
    id: String(row.id),
    control_plane_id: String(row.control_plane_id),
    updated_at: Number(row.updated_at),
    record: JSON.parse(String(row.record)) as Record<string, unknown>,
  }));
}

/** Removes records not updated since `before` (seconds since the epoch); returns how many. */
export async function purgeDataPlanes(session: SqlSession, before: number): Promise<number> {
  const gone = await session.query(`SELECT ${ID} FROM ${TABLE} WHERE ${UPDATED} < ?`, [before]);
  if (gone.length > 0) await session.execute(`DELETE FROM ${TABLE} WHERE ${UPDATED} < ?`, [before]);
  return gone.length;
}

const TELEMETRY = ident(TELEMETRY_TABLE);
const [TOTALS] = ['totals'].map(ident);

export async function upsertTelemetry(session: SqlSession, entry: TelemetryEntry): Promise<void> {
  await session.execute(
    `INSERT INTO ${TELEMETRY} (${CP}, ${UPDATED}, ${TOTALS}) VALUES (?, ?, ?) ` +
      `ON CONFLICT (${CP}) DO UPDATE SET ${UPDATED} = excluded.${UPDATED}, ${TOTALS} = excluded.${TOTALS}`,
    [entry.control_plane_id, entry.updated_at, JSON.stringify(entry.totals)],
  );
}

/** Every control plane's totals updated since `since` (seconds since the epoch); older rows are dropped. */
export async function listTelemetry(session: SqlSession, since: number): Promise<TelemetryEntry[]> {
  await session.execute(`DELETE FROM ${TELEMETRY} WHERE ${UPDATED} < ?`, [since]);
  const rows = await session.query(`SELECT ${CP}, ${UPDATED}, ${TOTALS} FROM ${TELEMETRY} ORDER BY ${CP}`, []);
  return rows.map((row) => ({
    control_plane_id: String(row.control_plane_id),
    updated_at: Number(row.updated_at),
    totals: JSON.parse(String(row.totals)) as Record<string, unknown>,
  }));
}
