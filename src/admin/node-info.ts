import { VERSION } from '../core/version.ts';
import { settingsView } from '../config/index.ts';
import type { NodeContext } from './context.ts';

/** `GET /` on the Admin API, in Kong's shape. */
export function nodeInfo(node: NodeContext): Record<string, unknown> {
  const { config } = node.currentConfig();
  const enabled = [...new Set(config.plugins.map((p) => p.name))].sort();
  return {
    tagline: 'Welcome to tollgate',
    version: VERSION,
    edition: 'community',
    hostname: node.hostname,
    node_id: node.nodeId,
    lua_version: `Node.js ${process.version}`,
    timers: { running: 0, pending: 0 },
    pids: node.pids(),
    plugins: { available_on_server: {}, enabled_in_cluster: enabled },
    configuration: settingsView(node.settings),
  };
}

/** `GET /status` on the Admin and Status APIs. */
export async function statusBody(node: NodeContext): Promise<Record<string, unknown>> {
  const mem = process.memoryUsage();
  const body: Record<string, unknown> = {
    server: await node.counters(),
    memory: {
      workers_lua_vms: [{ pid: process.pid, http_allocated_gc: `${(mem.heapUsed / 1048576).toFixed(2)} MiB` }],
      lua_shared_dicts: {},
    },
  };
  if (node.settings.database === 'off') body.configuration_hash = node.currentConfig().hash;
  else body.database = { reachable: true };
  return body;
}
