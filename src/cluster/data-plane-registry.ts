/**
 * What a control plane knows about data planes: the records of its own sessions, kept in memory and
 * written (coalesced) to the database it shares with other control planes, merged with theirs when
 * listed, so that every control plane lists every data plane.
 */
import type { Logger } from '../log/logger.ts';
import type { Store } from '../store/index.ts';
import { HEARTBEAT_INTERVAL_MS, type SyncStatus } from './protocol.ts';

const HEARTBEAT_INTERVAL_S = HEARTBEAT_INTERVAL_MS / 1000;
/** A record another control plane has not refreshed for this long is shown disconnected (it pings every 30 s). */
const STALE_AFTER_S = 3 * HEARTBEAT_INTERVAL_S;
const FLUSH_DELAY_MS = 100;

/** What the control plane knows about one data plane; `GET /clustering/data-planes` lists these. */
export interface DataPlaneRecord {
  id: string;
  hostname: string;
  ip: string;
  version: string;
  labels: Record<string, string>;
  plugins: string[];
  config_hash: string;
  /** Seconds since the epoch of the last message, ping or acknowledgement (Kong's field). */
  last_seen: number;
  updated_at: number;
  sync_status: SyncStatus;
  /** Why sync_status is not `normal`, in words; null when it is. */
  sync_status_reason: string | null;
  /** The data plane serves the control plane's current configuration. */
  in_sync: boolean;
  connected: boolean;
  /** Seconds since the epoch at which `connected` last changed. */
  connected_since: number | null;
  disconnected_since: number | null;
  /** The control plane node this data plane is (or was last) connected to. */
  control_plane_id: string;
  missing_plugins: string[];
  /** Routes the data plane refuses (503) because they use a plugin it lacks. */
  refused_routes: number;
  last_apply_error: { message: string; config_hash: string; at: number } | null;
  /** How far behind the data plane is: versions, and seconds since the first version it lacks was published. */
  lag: { versions_behind: number | null; seconds: number };
  /** Milliseconds from sending the last configuration to its acknowledgement, and the data plane's apply time. */
  last_push_ms: number | null;
  last_apply_ms: number | null;
  last_payload: { kind: 'full' | 'delta'; bytes: number } | null;
  cert_details: { expiry_timestamp: number; common_name: string | null };
}

export interface DataPlaneRegistryOptions {
  nodeId: string;
  /** The shared database, when there is one (read when needed: the store opens after the registry exists). */
  store: () => Store | null;
  purgeDelaySeconds: number;
  log: Logger;
}

export class DataPlaneRegistry {
  readonly #o: DataPlaneRegistryOptions;
  readonly #records = new Map<string, DataPlaneRecord>();
  readonly #dirty = new Set<DataPlaneRecord>();
  readonly #persistedAt = new Map<string, number>();
  #flushTimer: NodeJS.Timeout | null = null;
  #lastPurge = 0;

  constructor(options: DataPlaneRegistryOptions) {
    this.#o = options;
  }

  get(id: string): DataPlaneRecord | undefined {
    return this.#records.get(id);
  }

  set(record: DataPlaneRecord): void {
    this.#records.set(record.id, record);
  }

  /**
   * Every record: this control plane's, and (through the database) the others'. A record another control
   * plane has not refreshed for a while is shown disconnected: that control plane is gone.
   */
  async list(): Promise<DataPlaneRecord[]> {
    const now = Date.now() / 1000;
    const purgeBefore = now - this.#o.purgeDelaySeconds;
    for (const [id, r] of this.#records) if (!r.connected && (r.disconnected_since ?? 0) < purgeBefore) this.#records.delete(id);
    const merged = new Map<string, DataPlaneRecord>();
    const store = this.#o.store();
    if (store !== null) {
      try {
        if (now - this.#lastPurge > 60) {
          this.#lastPurge = now;
          await store.purgeDataPlanes(purgeBefore);
        }
        for (const entry of await store.listDataPlanes()) {
          if (entry.control_plane_id === this.#o.nodeId) continue;
          const r = entry.record as unknown as DataPlaneRecord;
          if (r.connected && entry.updated_at < now - STALE_AFTER_S) {
            merged.set(entry.id, { ...r, connected: false, disconnected_since: Math.floor(entry.updated_at) });
          } else {
            merged.set(entry.id, r);
          }
        }
      } catch (err) {
        this.#o.log.warn(`cluster: could not read other control planes' data planes from the database: ${(err as Error).message}`);
      }
    }
    for (const r of this.#records.values()) {
      const other = merged.get(r.id);
      // The record of whoever holds the live connection wins; else the most recently updated.
      if (other === undefined || r.connected || (!other.connected && r.updated_at >= other.updated_at)) merged.set(r.id, r);
    }
    return [...merged.values()];
  }

  /** Writes a record to the shared database soon (writes are coalesced); heartbeats refresh it at most every 30 s. */
  persist(r: DataPlaneRecord, onlyIfStale = false): void {
    if (this.#o.store() === null) return;
    const now = Date.now() / 1000;
    if (onlyIfStale && now - (this.#persistedAt.get(r.id) ?? 0) < HEARTBEAT_INTERVAL_S) return;
    this.#persistedAt.set(r.id, now);
    this.#dirty.add(r);
    if (this.#flushTimer !== null) return;
    this.#flushTimer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  /** Writes every pending record now. */
  async flush(): Promise<void> {
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    const store = this.#o.store();
    const records = [...this.#dirty];
    this.#dirty.clear();
    if (store === null) return;
    for (const r of records) {
      try {
        await store.putDataPlane({ id: r.id, control_plane_id: this.#o.nodeId, updated_at: Date.now() / 1000, record: { ...r } as unknown as Record<string, unknown> });
      } catch (err) {
        this.#o.log.warn(`cluster: could not record data plane ${r.id} in the database: ${(err as Error).message}`);
      }
    }
  }
}
