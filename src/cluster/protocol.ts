/**
 * The hybrid-mode wire protocol between a data plane (DP) and its control plane (CP), version 1. The DP
 * dials; everything rides one WebSocket over mutual TLS. Control messages are JSON text frames; configuration
 * messages (full snapshots and deltas) are gzip'd JSON binary frames (see payload.ts). docs/hybrid.md is the
 * prose version of this file.
 */
import type { EntityName } from '../entities/index.ts';
import type { ServiceTelemetry } from '../proxy/traffic.ts';

export type { ServiceTelemetry };

/** Path and WebSocket subprotocol of the sync channel on `cluster_listen`. */
export const SYNC_PATH = '/tollgate/cluster/v1/sync';
export const SYNC_SUBPROTOCOL = 'tollgate.sync.v1';
/** Path and subprotocol of the telemetry channel on `cluster_telemetry_listen`. */
export const TELEMETRY_PATH = '/tollgate/cluster/v1/telemetry';
export const TELEMETRY_SUBPROTOCOL = 'tollgate.telemetry.v1';

/** The DP pings this often; the ping's payload is its current config hash (as in Kong). */
export const HEARTBEAT_INTERVAL_MS = 30_000;
/** Either side gives the connection up after this long without hearing from the other. */
export const HEARTBEAT_TIMEOUT_MS = 45_000;

/** Close codes (application range 4000-4999) with which the CP ends a session. */
export const CLOSE_CODES = {
  incompatibleVersion: 4001,
  protocolViolation: 4002,
  replaced: 4003,
  shuttingDown: 4004,
} as const;

export type SyncStatus =
  | 'unknown'
  | 'normal'
  | 'kong_version_incompatible'
  | 'plugin_set_incompatible'
  | 'plugin_version_incompatible';

/** DP → CP, the first frame: who it is, what it runs, what it has. */
export interface HelloMessage {
  type: 'hello';
  node_id: string;
  hostname: string;
  version: string;
  plugins: { name: string; version: string }[];
  /** Hash of the configuration the DP serves (32 zeros for none), so that the CP sends nothing, a delta or everything. */
  config_hash: string;
  labels: Record<string, string>;
}

/** CP → DP, answer to hello. */
export interface WelcomeMessage {
  type: 'welcome';
  control_plane_id: string;
  version: string;
  sync_status: SyncStatus;
  /** Plugins configured on the CP that the DP lacks: the DP refuses the routes that use them. */
  missing_plugins: string[];
}

/** CP → DP before it closes a session it refuses (the close frame carries the same reason, shortened). */
export interface RefusedMessage {
  type: 'refused';
  sync_status: SyncStatus;
  reason: string;
}

/** DP → CP after every attempt to apply a configuration message. */
export interface AppliedMessage {
  type: 'applied';
  /** Hash the DP now serves (unchanged when the apply failed). */
  config_hash: string;
  /** The hash it tried to apply. */
  target_hash: string;
  ok: boolean;
  /** Why it failed (validation errors, hash mismatch...), null when ok. */
  error: string | null;
  apply_ms: number;
  /** Routes refused because they use a plugin this DP lacks: route id → plugin names. */
  refused_routes: number;
}

/** DP → CP: "send me a full snapshot" (a delta did not apply to what it has). */
export interface ResyncMessage {
  type: 'resync';
  config_hash: string;
  reason: string;
}

export type DataPlaneMessage = HelloMessage | AppliedMessage | ResyncMessage;
export type ControlPlaneMessage = WelcomeMessage | RefusedMessage;

/** DP → CP on the telemetry channel, every interval. */
export interface TelemetryReport {
  type: 'telemetry';
  node_id: string;
  /** Milliseconds epoch of the start and end of the interval. */
  from: number;
  to: number;
  /** Keyed by service id; requests that matched no service are under `''`. */
  services: Record<string, ServiceTelemetry>;
}

/** Parses a text frame from a DP; null when it is not a message this protocol knows. */
/** A JSON object from a text frame, or null when the frame is not one. */
function jsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function parseDataPlaneMessage(text: string): DataPlaneMessage | null {
  const m = jsonObject(text);
  if (m === null) return null;
  switch (m.type) {
    case 'hello':
      if (typeof m.node_id !== 'string' || typeof m.version !== 'string' || typeof m.config_hash !== 'string') return null;
      if (!Array.isArray(m.plugins)) return null;
      return {
        type: 'hello',
        node_id: m.node_id,
        hostname: typeof m.hostname === 'string' ? m.hostname : '',
        version: m.version,
        plugins: m.plugins.filter(
          (p): p is { name: string; version: string } => typeof p === 'object' && p !== null && typeof (p as { name: unknown }).name === 'string',
        ).map((p) => ({ name: p.name, version: typeof p.version === 'string' ? p.version : '' })),
        config_hash: m.config_hash,
        labels: isStringRecord(m.labels) ? m.labels : {},
      };
    case 'applied':
      if (typeof m.config_hash !== 'string' || typeof m.target_hash !== 'string' || typeof m.ok !== 'boolean') return null;
      return {
        type: 'applied',
        config_hash: m.config_hash,
        target_hash: m.target_hash,
        ok: m.ok,
        error: typeof m.error === 'string' ? m.error : null,
        apply_ms: typeof m.apply_ms === 'number' ? m.apply_ms : 0,
        refused_routes: typeof m.refused_routes === 'number' ? m.refused_routes : 0,
      };
    case 'resync':
      if (typeof m.config_hash !== 'string') return null;
      return { type: 'resync', config_hash: m.config_hash, reason: typeof m.reason === 'string' ? m.reason : '' };
    default:
      return null;
  }
}

export function parseControlPlaneMessage(text: string): ControlPlaneMessage | null {
  const m = jsonObject(text);
  if (m === null) return null;
  if (m.type === 'welcome' && typeof m.control_plane_id === 'string') {
    return {
      type: 'welcome',
      control_plane_id: m.control_plane_id,
      version: typeof m.version === 'string' ? m.version : '',
      sync_status: (typeof m.sync_status === 'string' ? m.sync_status : 'unknown') as SyncStatus,
      missing_plugins: Array.isArray(m.missing_plugins) ? m.missing_plugins.filter((p): p is string => typeof p === 'string') : [],
    };
  }
  if (m.type === 'refused' && typeof m.reason === 'string') {
    return { type: 'refused', reason: m.reason, sync_status: (typeof m.sync_status === 'string' ? m.sync_status : 'unknown') as SyncStatus };
  }
  return null;
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/**
 * Version rule: same major; the DP's minor no newer than the CP's (an older DP may run a newer CP's
 * configuration, a newer DP may know fields the CP cannot judge). Before 1.0 every minor may break the
 * format, so there the minors must match. Returns null when compatible, else the reason.
 */
export function versionIncompatibility(dataPlane: string, controlPlane: string): string | null {
  const parse = (v: string) => /^(\d+)\.(\d+)\.(\d+)/.exec(v);
  const dp = parse(dataPlane);
  const cp = parse(controlPlane);
  if (dp === null) return `data plane version '${dataPlane}' is not a version number`;
  if (cp === null) return null;
  const [dMajor, dMinor] = [Number(dp[1]), Number(dp[2])];
  const [cMajor, cMinor] = [Number(cp[1]), Number(cp[2])];
  if (dMajor !== cMajor) {
    return `data plane version ${dataPlane} has a different major version than the control plane (${controlPlane})`;
  }
  if (dMinor > cMinor) return `data plane version ${dataPlane} is newer than the control plane (${controlPlane}); upgrade control planes first`;
  if (cMajor === 0 && dMinor !== cMinor) {
    return `data plane version ${dataPlane} is too old for control plane ${controlPlane} (before 1.0 the minor versions must match)`;
  }
  return null;
}

/** The plugin names a configuration uses. */
export function configuredPlugins(config: { readonly plugins: readonly Readonly<Record<string, unknown>>[] }): Set<string> {
  const names = new Set<string>();
  for (const p of config.plugins) if (typeof p.name === 'string') names.add(p.name);
  return names;
}

export type { EntityName };
