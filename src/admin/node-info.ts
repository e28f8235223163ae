import { VERSION } from '../core/version.ts';
import { settingsView } from '../config/index.ts';
import type { NodeContext } from './context.ts';

/**
 * `GET /` on the Admin API, in Kong's shape. `enabledInCluster`: the distinct names of existing plugin
 * entities (from the store, or from the configuration being served).
 */
export function nodeInfo(node: NodeContext, enabledInCluster: readonly string[]): Record<string, unknown> {
  const availableOnServer: Record<string, { version: string; priority: number }> = {};
  for (const [name, def] of node.plugins ?? []) availableOnServer[name] = { version: VERSION, priority: def.priority ?? 0 };
  return {
    tagline: 'Welcome to tollgate',
    version: VERSION,
    edition: 'community',
    hostname: node.hostname,
    node_id: node.nodeId,
    lua_version: `Node.js ${process.version}`,
    timers: { running: 0, pending: 0 },
    pids: node.pids(),
    plugins: { available_on_server: availableOnServer, enabled_in_cluster: [...new Set(enabledInCluster)].sort() },
    configuration: settingsView(node.settings),
  };
}

/**
 * `GET /status` on the Admin and Status APIs. With a database: whether it answers; DB-less: the hash of
 * the configuration being served.
 */
export async function statusBody(node: NodeContext): Promise<Record<string, unknown>> {
  const mem = process.memoryUsage();
  const body: Record<string, unknown> = {
    server: await node.counters(),
    memory: {
      workers_lua_vms: [{ pid: process.pid, http_allocated_gc: `${(mem.heapUsed / 1048576).toFixed(2)} MiB` }],
      lua_shared_dicts: {},
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
