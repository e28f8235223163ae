import { KONG_COMPATIBLE_VERSION, VERSION } from '../core/version.ts';
import { settingsView } from '../config/index.ts';
import type { NodeContext } from './context.ts';

/**
 * `GET /` on the Admin API, in Kong's shape. `enabledInCluster`: the distinct names of existing plugin
 * entities (from the store, or from the configuration being served).
 */
export async function nodeInfo(node: NodeContext, enabledInCluster: readonly string[]): Promise<Record<string, unknown>> {
  const availableOnServer: Record<string, { version: string; priority: number }> = {};
  // Plugins carry the gateway's version, as Kong's bundled plugins do.
  for (const [name, def] of node.plugins ?? []) availableOnServer[name] = { version: KONG_COMPATIBLE_VERSION, priority: def.priority ?? 0 };
  let pending = 0;
  for (const report of (await node.workerReports?.()) ?? []) pending += report.timers;
  const configuration = settingsView(node.settings);
  if (node.logLevel !== undefined) configuration.log_level = node.logLevel();
  return {
    tagline: 'Welcome to tollgate',
    version: KONG_COMPATIBLE_VERSION,
    tollgate_version: VERSION,
    edition: 'community',
    hostname: node.hostname,
    node_id: node.nodeId,
    lua_version: `Node.js ${process.version}`,
    // Single-threaded processes: while this answer is built, no timer callback is running.
    timers: { running: 0, pending },
    pids: node.pids(),
    plugins: { available_on_server: availableOnServer, enabled_in_cluster: [...new Set(enabledInCluster)].sort() },
    configuration,
  };
}

/** How `/status` writes sizes: Kong's `?unit=` (b, k, m, g; default m) and `?scale=` (decimals, default 2). */
export interface SizeFormat {
  unit: string;
  scale: number;
}

export const DEFAULT_SIZE_FORMAT: SizeFormat = { unit: 'm', scale: 2 };

/** Reads `?unit=` and `?scale=`; throws a message (Kong's) for a bad unit or scale. */
export function parseSizeFormat(query: URLSearchParams): SizeFormat {
  const unit = query.get('unit') ?? 'm';
  const scaleRaw = query.get('scale');
  const scale = scaleRaw === null ? 2 : Number(scaleRaw);
  if (!['', 'b', 'k', 'm', 'g'].includes(unit.toLowerCase())) {
    throw new Error(`invalid unit '${unit}' (expected 'k/K', 'm/M', or 'g/G')`);
  }
  if (scaleRaw !== null && !(Number.isFinite(scale) && scale >= 0)) throw new Error('scale must be equal or greater than 0');
  return { unit, scale: Math.min(Math.floor(scale), 20) };
}

/** A size as Kong writes it: a number of bytes for unit b, else a string such as "5.24 MiB". */
export function formatSize(bytes: number, format: SizeFormat): number | string {
  switch (format.unit.toLowerCase()) {
    case '':
    case 'b':
      return bytes;
    case 'k':
      return `${(bytes / 1024).toFixed(format.scale)} KiB`;
    case 'g':
      return `${(bytes / 1024 ** 3).toFixed(format.scale)} GiB`;
    default:
      return `${(bytes / 1024 ** 2).toFixed(format.scale)} MiB`;
  }
}

/**
 * `GET /status` on the Admin and Status APIs. With a database: whether it answers; DB-less: the hash of
 * the configuration being served. Memory: each process's JavaScript heap (Kong's per-worker Lua VMs) and the
 * node's shared cache (Kong's `kong_db_cache` dictionary).
 */
export async function statusBody(node: NodeContext, format: SizeFormat = DEFAULT_SIZE_FORMAT): Promise<Record<string, unknown>> {
  // Workers answer in any order; Kong lists its workers by ascending pid, and its clients rely on that.
  const reports = [...((await node.workerReports?.()) ?? [{ pid: process.pid, heapUsed: process.memoryUsage().heapUsed, timers: 0 }])].sort((a, b) => a.pid - b.pid);
  const dicts: Record<string, { capacity: number | string; allocated_slabs: number | string }> = {};
  for (const [name, dict] of Object.entries(node.sharedDicts?.() ?? {})) {
    dicts[name] = { capacity: formatSize(dict.capacity, format), allocated_slabs: formatSize(dict.allocated, format) };
  }
  const body: Record<string, unknown> = {
    server: await node.counters(),
    memory: {
      workers_lua_vms: reports.map((r) => ({ pid: r.pid, http_allocated_gc: formatSize(r.heapUsed, format) })),
      lua_shared_dicts: dicts,
    },
  };
  const store = node.store ?? null;
  if (store === null) body.configuration_hash = node.currentConfig().hash;
  else {
    let reachable = true;
    try {
      await store.configVersion();
    } catch {
      reachable = false;
    }
    body.database = { reachable };
  }
  return body;
}
