/**
 * Kong's consumer-group routes over the generated CRUD: a group read with its plugins and consumers,
 * `?counter=true` member counts, and memberships managed from both sides —
 * `/consumer_groups/{g}/consumers[/{c}]` and `/consumers/{c}/consumer_groups[/{g}]` (memberships have no
 * generated endpoints). Bodies, statuses and messages follow Kong's `kong/api/routes/consumer_groups.lua`.
 */
import type { Row, StoreOps } from '../store/types.ts';
import { listAllFor } from './entity-daos.ts';
import { findEntity, write } from './crud-endpoints.ts';
import { reply, type Handler, type Reply, type RequestContext } from './endpoint-types.ts';
import { isPlainObject } from './entity-dao.ts';
import { AdminError } from './errors.ts';
import { listBody, parseSize } from './pagination.ts';
import type { RouteTable } from './route-table.ts';

const MEMBERS = 'consumer_group_consumers';

function message(status: number, text: string): AdminError {
  return new AdminError(status, { message: text });
}

function idOf(value: unknown): string | null {
  return isPlainObject(value) && typeof value.id === 'string' ? value.id : null;
}

async function groupOf(ctx: RequestContext, segment = ctx.params.consumer_groups): Promise<Row> {
  const group = await findEntity(ctx, ctx.api.dao('consumer_groups'), segment);
  if (group === null) throw message(404, `Group '${segment}' not found`);
  return group;
}

async function consumerOf(ctx: RequestContext, segment = ctx.params.consumers): Promise<Row> {
  const consumer = await findEntity(ctx, ctx.api.dao('consumers'), segment);
  if (consumer === null) throw message(404, `Consumer '${segment}' not found`);
  return consumer;
}

function membership(ops: StoreOps, groupId: string, consumerId: string): Promise<Row | null> {
  return ops.getByCacheKey(MEMBERS, { consumer_group: { id: groupId }, consumer: { id: consumerId } });
}

async function countMembers(ops: StoreOps, groupId: string): Promise<number> {
  return (await listAllFor(ops, MEMBERS, 'consumer_group', groupId)).length;
}

/** A group with its member count, as Kong lists groups with `counter` and a consumer's groups. */
async function withCount(ops: StoreOps, group: Row): Promise<Row> {
  return { ...group, consumers_count: await countMembers(ops, group.id) };
}

/** `body[name]` as a list of names or ids: one string, or an array of them; null when absent. */
async function namesIn(ctx: RequestContext, name: string): Promise<string[] | null> {
  const value = (await ctx.body()).args[name];
  if (value === undefined || value === null || value === '') return null;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) return null;
  return list.map((item) => (typeof item === 'string' || typeof item === 'number' ? String(item) : JSON.stringify(item)));
}

/** A page of memberships on one side, each turned into the entity on the other side. */
async function membersPage(
  ctx: RequestContext,
  field: 'consumer_group' | 'consumer',
  ownerId: string,
  other: (ops: StoreOps, row: Row) => Promise<Row | null>,
  basePath: string,
): Promise<Reply> {
  const ops = ctx.api.source.ops;
  const size = parseSize(ctx.url.searchParams.get('size'));
  const page = await ops.list(MEMBERS, { size, offset: ctx.url.searchParams.get('offset'), foreign: { field, id: ownerId } });
  const data: Row[] = [];
  for (const row of page.data) {
    const entity = await other(ops, row);
    if (entity !== null) data.push(entity);
  }
  return reply(200, listBody(data, page.offset, basePath));
}

async function addMembers(tx: StoreOps, ctx: RequestContext, pairs: readonly { group: Row; consumer: Row }[]): Promise<void> {
  const dao = ctx.api.dao(MEMBERS);
  for (const { group, consumer } of pairs) await dao.insert(tx, { consumer_group: { id: group.id }, consumer: { id: consumer.id } });
}

function groupRoutes(table: RouteTable): void {
  table.wrap('/consumer_groups', 'GET', (parent): Handler => async (ctx) => {
    const counter = ctx.url.searchParams.get('counter');
    if (counter === null || counter === 'false') return parent(ctx);
    const answer = await parent(ctx);
    const body = answer.body as { data: Row[] };
    const ops = ctx.api.source.ops;
    const data: Row[] = [];
    for (const group of body.data) data.push(await withCount(ops, group));
    return { ...answer, body: { ...body, data } };
  });

  // Kong answers a group with its plugins and (unless `list_consumers=false`) its consumers.
  table.set('/consumer_groups/{consumer_groups}', 'GET', async (ctx) => {
    const group = await groupOf(ctx);
    const ops = ctx.api.source.ops;
    const plugins = await listAllFor(ops, 'plugins', 'consumer_group', group.id);
    const body: Record<string, unknown> = { consumer_group: group, plugins };
    if (ctx.url.searchParams.get('list_consumers') !== 'false') {
      const consumers: Row[] = [];
      for (const row of await listAllFor(ops, MEMBERS, 'consumer_group', group.id)) {
        const consumer = await ops.get('consumers', idOf(row.consumer) ?? '');
        if (consumer !== null) consumers.push(consumer);
      }
      body.consumers = consumers;
    }
    return reply(200, body);
  });

  const members = '/consumer_groups/{consumer_groups}/consumers';
  table.set(members, 'GET', async (ctx) => {
    const group = await groupOf(ctx);
    return membersPage(ctx, 'consumer_group', group.id, (ops, row) => ops.get('consumers', idOf(row.consumer) ?? ''), `/consumer_groups/${group.id}/consumers`);
  });
  table.set(members, 'POST', async (ctx) => {
    const group = await groupOf(ctx);
    const names = await namesIn(ctx, 'consumer');
    if (names === null) throw message(400, 'must provide consumer');
    const ops = ctx.api.source.ops;
    const consumers: Row[] = [];
    for (const name of names) {
      const consumer = await findEntity(ctx, ctx.api.dao('consumers'), name);
      if (consumer === null) throw message(404, `Consumer '${name}' not found`);
      if ((await membership(ops, group.id, consumer.id)) !== null || consumers.some((c) => c.id === consumer.id)) {
        throw message(409, `Consumer '${name}' already in group '${group.id}'`);
      }
      consumers.push(consumer);
    }
    await write(ctx, (tx) => addMembers(tx, ctx, consumers.map((consumer) => ({ group, consumer }))));
    return reply(201, { consumer_group: group, consumers });
  });
  table.set(members, 'DELETE', async (ctx) => {
    const group = await groupOf(ctx);
    const rows = await listAllFor(ctx.api.source.ops, MEMBERS, 'consumer_group', group.id);
    if (rows.length === 0) throw message(404, `Group '${group.id}' has no consumers`);
    await write(ctx, async (tx) => {
      for (const row of rows) await ctx.api.dao(MEMBERS).delete(tx, { id: row.id });
    });
    return reply(204);
  });

  // Kong looks the consumer up first, then the group.
  const member = '/consumer_groups/{consumer_groups}/consumers/{consumers}';
  const memberOf = async (ctx: RequestContext) => {
    const consumer = await consumerOf(ctx);
    const group = await groupOf(ctx);
    const row = await membership(ctx.api.source.ops, group.id, consumer.id);
    if (row === null) throw message(404, `Consumer '${consumer.id}' not found in Group '${group.id}'`);
    return { consumer, group, row };
  };
  table.set(member, 'GET', async (ctx) => reply(200, { consumer: (await memberOf(ctx)).consumer }));
  table.set(member, 'DELETE', async (ctx) => {
    const { row } = await memberOf(ctx);
    await write(ctx, (tx) => ctx.api.dao(MEMBERS).delete(tx, { id: row.id }));
    return reply(204);
  });
}

function consumerRoutes(table: RouteTable): void {
  const groups = '/consumers/{consumers}/consumer_groups';
  table.set(groups, 'GET', async (ctx) => {
    const consumer = await consumerOf(ctx);
    return membersPage(
      ctx,
      'consumer',
      consumer.id,
      async (ops, row) => {
        const group = await ops.get('consumer_groups', idOf(row.consumer_group) ?? '');
        return group === null ? null : withCount(ops, group);
      },
      `/consumers/${consumer.id}/consumer_groups`,
    );
  });
  table.set(groups, 'POST', async (ctx) => {
    const consumer = await consumerOf(ctx);
    const names = await namesIn(ctx, 'group');
    if (names === null) throw message(400, 'must provide group');
    const ops = ctx.api.source.ops;
    const found: Row[] = [];
    for (const name of names) {
      const group = await findEntity(ctx, ctx.api.dao('consumer_groups'), name);
      if (group === null) throw message(404, `Group '${name}' not found`);
      if ((await membership(ops, group.id, consumer.id)) !== null || found.some((g) => g.id === group.id)) {
        throw message(409, `Consumer '${ctx.params.consumers}' already in group '${name}'`);
      }
      found.push(group);
    }
    await write(ctx, (tx) => addMembers(tx, ctx, found.map((group) => ({ group, consumer }))));
    return reply(201, { consumer_groups: found, consumer });
  });
  table.set(groups, 'DELETE', async (ctx) => {
    const consumer = await consumerOf(ctx);
    const rows = await listAllFor(ctx.api.source.ops, MEMBERS, 'consumer', consumer.id);
    if (rows.length === 0) throw message(404, `Consumer '${consumer.id}' not in group`);
    await write(ctx, async (tx) => {
      for (const row of rows) await ctx.api.dao(MEMBERS).delete(tx, { id: row.id });
    });
    return reply(204);
  });

  const group = '/consumers/{consumers}/consumer_groups/{consumer_groups}';
  const membershipOf = async (ctx: RequestContext) => {
    const consumer = await consumerOf(ctx);
    const found = await groupOf(ctx);
    const row = await membership(ctx.api.source.ops, found.id, consumer.id);
    if (row === null) throw message(404, `Consumer '${consumer.id}' not found in Group '${found.id}'`);
    return { group: found, row };
  };
  table.set(group, 'GET', async (ctx) => reply(200, { consumer_group: (await membershipOf(ctx)).group }));
  table.set(group, 'DELETE', async (ctx) => {
    const { row } = await membershipOf(ctx);
    await write(ctx, (tx) => ctx.api.dao(MEMBERS).delete(tx, { id: row.id }));
    return reply(204);
  });
}

/** Adds Kong's consumer-group routes. */
export function addConsumerGroupEndpoints(table: RouteTable): void {
  groupRoutes(table);
  consumerRoutes(table);
}
