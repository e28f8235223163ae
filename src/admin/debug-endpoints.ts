/**
 * Kong's `/debug` endpoints (the log level changed at run time, for one node or for every node on the
 * database), `/timers` and `/cache` (the node's shared cache).
 */
import { isLogLevel, DEFAULT_LOG_LEVEL_TIMEOUT } from '../runtime/log-level-control.ts';
import { reply, type RequestContext, type Reply } from './endpoint-types.ts';
import { AdminError } from './errors.ts';
import type { RouteTable } from './route-table.ts';

/** Kong's names: a control plane changes the control planes sharing its database, other nodes the cluster. */
const CLUSTER_PATH = '/debug/cluster/log-level/{log_level}';
const CONTROL_PLANES_PATH = '/debug/cluster/control-planes-nodes/log-level/{log_level}';

export function addDebugEndpoints(table: RouteTable): void {
  table.set('/debug/node/log-level', 'GET', async (ctx) => {
    const level = ctx.api.node.logLevel?.() ?? ctx.api.node.settings.log_level;
    return reply(200, { message: `log level: ${level}` });
  });
  table.set('/debug/node/log-level/{log_level}', 'PUT', (ctx) => putLogLevel(ctx, 'node'));
  table.set(CLUSTER_PATH, 'PUT', async (ctx) => {
    if (ctx.api.node.settings.role === 'control_plane') throw new AdminError(404, { message: 'Not found' });
    return putLogLevel(ctx, 'cluster');
  });
  table.set(CONTROL_PLANES_PATH, 'PUT', async (ctx) => {
    if (ctx.api.node.settings.role !== 'control_plane') throw new AdminError(404, { message: 'Not found' });
    return putLogLevel(ctx, 'cluster');
  });
  table.set('/cache/{key}', 'GET', async (ctx) => {
    const value = ctx.api.node.sharedCache?.probe(ctx.params.key);
    if (value === undefined) throw new AdminError(404, { message: 'Not found' });
    return reply(200, cachedBody(value));
  });
  table.set('/cache/{key}', 'DELETE', async (ctx) => {
    ctx.api.node.sharedCache?.invalidate(ctx.params.key);
    return reply(204);
  });
  table.set('/cache', 'DELETE', async (ctx) => {
    ctx.api.node.sharedCache?.purge();
    return reply(204);
  });
  table.set('/timers', 'GET', async (ctx) => {
    const reports = (await ctx.api.node.workerReports?.()) ?? [];
    let pending = 0;
    for (const r of reports) pending += r.timers;
    // One thread per process: when this answer is built, no timer callback is running anywhere in this one.
    return reply(200, {
      worker: { id: 0, count: ctx.api.node.pids().workers.length },
      stats: { sys: { running: 0, pending, waiting: 0, total: pending }, timers: {} },
    });
  });
}

async function putLogLevel(ctx: RequestContext, scope: 'node' | 'cluster'): Promise<Reply> {
  const node = ctx.api.node;
  if (node.settings.database === 'off' || node.setLogLevel === undefined) {
    throw new AdminError(405, { message: 'cannot change log level when not using a database' });
  }
  const level = ctx.params.log_level;
  if (!isLogLevel(level)) throw new AdminError(400, { message: `unknown log level: ${level}` });
  const timeout = parseTimeout(ctx.url.searchParams.get('timeout'));
  if (timeout < 0) throw new AdminError(400, { message: 'timeout must be greater than or equal to 0' });
  const outcome = await node.setLogLevel(level, timeout, scope);
  if (outcome.status === 'unchanged') return reply(200, { message: `log level is already ${level}` });
  if (outcome.status === 'failed') throw new AdminError(500, { message: outcome.message });
  return reply(200, { message: 'log level changed' });
}

/** Seconds, rounded up; anything that is not a number means Kong's default. */
function parseTimeout(raw: string | null): number {
  if (raw === null || raw.trim() === '') return DEFAULT_LOG_LEVEL_TIMEOUT;
  const n = Number(raw);
  return Number.isFinite(n) ? Math.ceil(n) : DEFAULT_LOG_LEVEL_TIMEOUT;
}

/** A cached value as Kong shows one: an object as it is, anything else as `{"message": value}`. */
function cachedBody(value: { readonly bytes: Uint8Array; readonly text: boolean }): unknown {
  const text = Buffer.from(value.bytes.buffer, value.bytes.byteOffset, value.bytes.byteLength).toString(value.text ? 'utf8' : 'base64');
  if (value.text) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
    } catch {
      // Not JSON: shown as a string.
    }
  }
  return { message: text };
}
