/**
 * The Admin API endpoints plugins add (Kong's `api.lua`): each plugin's paths, served while the plugin is
 * enabled, with the plugin's entities read from where the Admin API reads every entity (the database, or the
 * DB-less configuration) and the node's shared state from the node.
 */
import type { PluginApiEndpoint, PluginApiEntity, PluginApiRequest } from '../pdk/index.ts';
import { isUuid } from '../schema/index.ts';
import type { Row } from '../store/types.ts';
import type { RequestContext } from './endpoint-types.ts';
import type { RouteTable } from './route-table.ts';

function entityOf(row: Row): PluginApiEntity {
  const config = row.config;
  return {
    id: String(row.id),
    name: String(row.name),
    config: config !== null && typeof config === 'object' ? (config as Record<string, unknown>) : {},
  };
}

function requestFor(ctx: RequestContext, plugin: string): PluginApiRequest {
  const ops = ctx.api.source.ops;
  return {
    params: ctx.params,
    node: ctx.api.node.nodeServices?.() ?? null,
    async entities() {
      const out: PluginApiEntity[] = [];
      let offset: string | null = null;
      do {
        const page = await ops.list('plugins', { size: 1000, offset });
        for (const row of page.data) if (row.name === plugin) out.push(entityOf(row));
        offset = page.offset;
      } while (offset !== null);
      return out;
    },
    async entity(id) {
      if (!isUuid(id)) return null;
      const row = await ops.get('plugins', id.toLowerCase());
      return row === null || row.name !== plugin ? null : entityOf(row);
    },
  };
}

/** Adds every enabled plugin's endpoints (a path a core endpoint already has is left to the core one). */
export function addPluginEndpoints(table: RouteTable, apis: ReadonlyMap<string, readonly PluginApiEndpoint[]>): void {
  for (const [plugin, endpoints] of apis) {
    for (const endpoint of endpoints) {
      for (const [method, handler] of Object.entries(endpoint.methods)) {
        if (handler === undefined || table.get(endpoint.path, method as 'GET') !== undefined) continue;
        table.set(endpoint.path, method as 'GET', async (ctx) => {
          const result = await handler(requestFor(ctx, plugin));
          return result.body === undefined ? { status: result.status } : { status: result.status, body: result.body };
        });
      }
    }
  }
}
