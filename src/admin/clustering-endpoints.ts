/**
 * Hybrid mode on the control plane's Admin API: the data planes it knows (`/clustering/data-planes`, a
 * paged collection ordered by id), Kong's older `/clustering/status` map, and the traffic data planes report.
 */
import { reply, type RequestContext } from './endpoint-types.ts';
import { badRequest } from './errors.ts';
import { decodeOffset, encodeOffset, escapeUri, parseSize } from './pagination.ts';
import type { RouteTable } from './route-table.ts';
import type { ClusterView } from './context.ts';

function controlPlane(ctx: RequestContext): ClusterView & Required<Pick<ClusterView, 'dataPlanes' | 'telemetry'>> {
  const view = ctx.api.node.clustering ?? null;
  if (view === null || view.role !== 'control_plane' || view.dataPlanes === undefined || view.telemetry === undefined) {
    throw badRequest('this endpoint is only available when Tollgate is configured to run as a control plane for the cluster');
  }
  return view as ClusterView & Required<Pick<ClusterView, 'dataPlanes' | 'telemetry'>>;
}

export function addClusteringEndpoints(table: RouteTable): void {
  table.set('/clustering/data-planes', 'GET', async (ctx) => {
    const all = (await controlPlane(ctx).dataPlanes()).sort((a, b) => String(a.id).localeCompare(String(b.id)));
    const size = parseSize(ctx.url.searchParams.get('size'));
    const offsetRaw = ctx.url.searchParams.get('offset');
    const after = offsetRaw === null ? null : decodeOffset(offsetRaw);
    const start = after === null ? 0 : all.findIndex((d) => String(d.id) > after);
    const page = start < 0 ? [] : all.slice(start, start + size);
    const more = start >= 0 && start + size < all.length;
    const offset = more ? encodeOffset(String(page[page.length - 1].id)) : null;
    return reply(200, {
      data: page,
      next: offset === null ? null : `/clustering/data-planes?offset=${escapeUri(offset)}`,
      ...(offset === null ? {} : { offset }),
    });
  });
  table.set('/clustering/status', 'GET', async (ctx) => {
    const map: Record<string, unknown> = {};
    for (const d of await controlPlane(ctx).dataPlanes()) {
      map[String(d.id)] = { config_hash: d.config_hash, hostname: d.hostname, ip: d.ip, last_seen: d.last_seen };
    }
    return { status: 200, body: map, headers: { Deprecation: 'true' } };
  });
  table.set('/clustering/telemetry', 'GET', async (ctx) => reply(200, await controlPlane(ctx).telemetry()));
}
