/**
 * The generic CRUD endpoints Kong derives from every entity schema, in its five URL shapes:
 *
 * 1. `/routes` — list, create;
 * 2. `/routes/{routes}` — read, upsert (PUT), update (PATCH), delete;
 * 3. `/routes/{routes}/service` — the referenced parent seen from the child;
 * 4. `/services/{services}/routes` — the children of one parent: list, create;
 * 5. `/services/{services}/routes/{routes}` — one child of that parent.
 *
 * Handlers follow Kong's `kong/api/endpoints.lua` step by step (which lookups come first decides which
 * 404 a client sees). Writes run in one store transaction.
 */
import { ENTITIES, ENTITY_ORDER, type EntityMeta, type ForeignKeyMeta } from '../entities/index.ts';
import { isUuid } from '../schema/index.ts';
import type { Row, StoreOps, TagFilter } from '../store/types.ts';
import { reply, type Handler, type Reply, type RequestContext } from './endpoint-types.ts';
import type { EntityDao, EntityKey } from './entity-dao.ts';
import { isPlainObject, newId } from './entity-dao.ts';
import { methodNotAllowed, notFound } from './errors.ts';
import { escapeUri, listBody, parseSize, parseTags, rawTagsArgument } from './pagination.ts';
import type { RouteTable } from './route-table.ts';
import { coerceEntityInput } from './schema-coercion.ts';

/** The body of a write for `meta`: JSON as sent, form values coerced by the schema. */
export async function entityInput(ctx: RequestContext, meta: EntityMeta): Promise<Record<string, unknown>> {
  const body = await ctx.body();
  return body.form ? coerceEntityInput(meta, body.args, ctx.api.plugins) : { ...body.args };
}

/** The entity a URL segment names (after the collection's own key rules), or null. */
export async function findEntity(ctx: RequestContext, dao: EntityDao, segment: string): Promise<Row | null> {
  const ops = ctx.api.source.ops;
  return dao.select(ops, await dao.resolveKey(ops, segment, ctx.method));
}

/** Runs a write in one transaction. */
export function write<T>(ctx: RequestContext, fn: (tx: StoreOps) => Promise<T>): Promise<T> {
  return ctx.api.source.transaction(fn);
}

function foreignId(row: Row, field: string): string | null {
  const value = row[field];
  return isPlainObject(value) && typeof value.id === 'string' ? value.id : null;
}

/**
 * A listing: `size`, `offset` and (top level only) `tags`; `next` repeats `tags` and `size` at the top level
 * only, as Kong does.
 */
export async function listPage(
  ctx: RequestContext,
  dao: EntityDao,
  basePath: string,
  options: { topLevel: boolean; foreign?: { field: string; id: string } },
): Promise<Reply> {
  const query = ctx.url.searchParams;
  let tags: TagFilter | null = null;
  if (options.topLevel && dao.meta.hasTags) tags = parseTags(rawTagsArgument(ctx.url));
  const size = parseSize(query.get('size'));
  const page = await dao.page(ctx.api.source.ops, { size, offset: query.get('offset'), tags, foreign: options.foreign ?? null });
  let extra = '';
  if (options.topLevel) {
    if (query.has('tags')) extra += `&tags=${escapeUri(query.get('tags') as string)}`;
    if (query.has('size')) extra += `&size=${query.get('size') as string}`;
  }
  return reply(200, listBody(page.data, page.offset, basePath, extra));
}

// ---------------------------------------------------------------------------------------------------------
// 1 and 2: the collection and its entities

function collectionHandlers(meta: EntityMeta): { get: Handler; post: Handler } {
  return {
    get: async (ctx) => listPage(ctx, ctx.api.dao(meta.name), `/${meta.adminApiName}`, { topLevel: true }),
    post: async (ctx) => {
      const dao = ctx.api.dao(meta.name);
      const input = await entityInput(ctx, meta);
      return reply(201, await write(ctx, (tx) => dao.insert(tx, input)));
    },
  };
}

function entityHandlers(meta: EntityMeta): Record<'GET' | 'PUT' | 'PATCH' | 'DELETE', Handler> {
  const param = meta.name;
  return {
    GET: async (ctx) => {
      const dao = ctx.api.dao(meta.name);
      const row = await findEntity(ctx, dao, ctx.params[param]);
      if (row === null) throw notFound();
      return reply(200, await dao.present(ctx.api.source.ops, row));
    },
    PUT: async (ctx) => {
      const dao = ctx.api.dao(meta.name);
      const key = await dao.resolveKey(ctx.api.source.ops, ctx.params[param], 'PUT');
      const input = await entityInput(ctx, meta);
      return reply(200, await write(ctx, (tx) => dao.upsert(tx, key, input)));
    },
    PATCH: async (ctx) => {
      const dao = ctx.api.dao(meta.name);
      const key = await dao.resolveKey(ctx.api.source.ops, ctx.params[param], 'PATCH');
      const input = await entityInput(ctx, meta);
      return reply(200, await write(ctx, (tx) => dao.update(tx, key, input)));
    },
    DELETE: async (ctx) => {
      const dao = ctx.api.dao(meta.name);
      const key = await dao.resolveKey(ctx.api.source.ops, ctx.params[param], 'DELETE');
      await write(ctx, (tx) => dao.delete(tx, key));
      return reply(204);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// 3: the parent seen from the child (`/routes/{routes}/service`)

function parentHandlers(child: EntityMeta, fk: ForeignKeyMeta): Record<'GET' | 'PUT' | 'PATCH' | 'DELETE', Handler> {
  const parent = ENTITIES[fk.reference];
  const childOf = async (ctx: RequestContext): Promise<Row> => {
    const row = await findEntity(ctx, ctx.api.dao(child.name), ctx.params[child.name]);
    if (row === null) throw notFound();
    return row;
  };
  return {
    GET: async (ctx) => {
      const id = foreignId(await childOf(ctx), fk.field);
      if (id === null) throw notFound();
      const dao = ctx.api.dao(parent.name);
      const row = await dao.select(ctx.api.source.ops, { id });
      if (row === null) throw notFound();
      return reply(200, await dao.present(ctx.api.source.ops, row));
    },
    PUT: async (ctx) => {
      const row = await childOf(ctx);
      const existing = foreignId(row, fk.field);
      // A child without a parent gets a new one, then points at it.
      const key: EntityKey = { id: existing ?? newId() };
      const input = await entityInput(ctx, parent);
      const result = await write(ctx, async (tx) => {
        const saved = await ctx.api.dao(parent.name).upsert(tx, key, input);
        if (existing === null) await ctx.api.dao(child.name).update(tx, { id: row.id }, { [fk.field]: { id: saved.id } });
        return saved;
      });
      return reply(200, result);
    },
    PATCH: async (ctx) => {
      const id = foreignId(await childOf(ctx), fk.field);
      if (id === null) throw notFound();
      const input = await entityInput(ctx, parent);
      return reply(200, await write(ctx, (tx) => ctx.api.dao(parent.name).update(tx, { id }, input)));
    },
    DELETE: async (ctx) => {
      if (foreignId(await childOf(ctx), fk.field) === null) throw notFound();
      throw methodNotAllowed();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// 4 and 5: the children of one parent (`/services/{services}/routes[/{routes}]`)

async function parentOf(ctx: RequestContext, parent: EntityMeta): Promise<Row> {
  const row = await findEntity(ctx, ctx.api.dao(parent.name), ctx.params[parent.name]);
  if (row === null) throw notFound();
  return row;
}

function nestedCollectionHandlers(child: EntityMeta, fk: ForeignKeyMeta): { get: Handler; post: Handler } {
  const parent = ENTITIES[fk.reference];
  return {
    get: async (ctx) => {
      const owner = await parentOf(ctx, parent);
      const basePath = `/${parent.adminApiName}/${ctx.rawParams[parent.name]}/${child.adminApiNestedName}`;
      return listPage(ctx, ctx.api.dao(child.name), basePath, { topLevel: false, foreign: { field: fk.field, id: owner.id } });
    },
    post: async (ctx) => {
      const owner = await parentOf(ctx, parent);
      const input = await entityInput(ctx, child);
      input[fk.field] = { id: owner.id };
      return reply(201, await write(ctx, (tx) => ctx.api.dao(child.name).insert(tx, input)));
    },
  };
}

/**
 * The field a child without an endpoint key is addressed by under its parent, when its cache key is the
 * parent plus that field (`acls`: consumer and group, so `/consumers/{c}/acls/{group}`), as Kong's acl
 * API does; else null.
 */
function keyUnderParent(child: EntityMeta, fk: ForeignKeyMeta): string | null {
  const key = child.cacheKey;
  if (child.endpointKey !== null || key === null || key.length !== 2 || key[0] !== fk.field) return null;
  return key[1];
}

function nestedEntityHandlers(child: EntityMeta, fk: ForeignKeyMeta): Record<'GET' | 'PUT' | 'PATCH' | 'DELETE', Handler> {
  const parent = ENTITIES[fk.reference];
  const scopedField = keyUnderParent(child, fk);
  /** The child a non-UUID segment names under the parent (by the scoped field), or null. */
  const scopedChild = (ctx: RequestContext, owner: Row): Promise<Row | null> | null => {
    const segment = ctx.params[child.name];
    if (scopedField === null || isUuid(segment)) return null;
    return ctx.api.source.ops.getByCacheKey(child.name, { [fk.field]: { id: owner.id }, [scopedField]: segment });
  };
  /** The child, when it exists and belongs to the parent; a 404 otherwise. */
  const ownChild = async (ctx: RequestContext, owner: Row): Promise<Row> => {
    const scoped = scopedChild(ctx, owner);
    const row = scoped !== null ? await scoped : await findEntity(ctx, ctx.api.dao(child.name), ctx.params[child.name]);
    if (row === null || foreignId(row, fk.field) !== owner.id) throw notFound();
    return row;
  };
  return {
    GET: async (ctx) => {
      const row = await ownChild(ctx, await parentOf(ctx, parent));
      return reply(200, await ctx.api.dao(child.name).present(ctx.api.source.ops, row));
    },
    PUT: async (ctx) => {
      const owner = await parentOf(ctx, parent);
      const dao = ctx.api.dao(child.name);
      const input = await entityInput(ctx, child);
      input[fk.field] = { id: owner.id };
      const scoped = scopedChild(ctx, owner);
      let key: EntityKey;
      if (scoped !== null) {
        // Named by the scoped field: replace the one the parent has, or create it with that value.
        const existing = await scoped;
        key = { id: existing === null ? newId() : existing.id };
        if (input[scopedField as string] === undefined) input[scopedField as string] = ctx.params[child.name];
      } else key = await dao.resolveKey(ctx.api.source.ops, ctx.params[child.name], 'PUT');
      return reply(200, await write(ctx, (tx) => dao.upsert(tx, key, input)));
    },
    PATCH: async (ctx) => {
      const owner = await parentOf(ctx, parent);
      const input = await entityInput(ctx, child);
      if (input[fk.field] === undefined) input[fk.field] = { id: owner.id };
      const row = await ownChild(ctx, owner);
      return reply(200, await write(ctx, (tx) => ctx.api.dao(child.name).update(tx, { id: row.id }, input)));
    },
    DELETE: async (ctx) => {
      const row = await ownChild(ctx, await parentOf(ctx, parent));
      await write(ctx, (tx) => ctx.api.dao(child.name).delete(tx, { id: row.id }));
      return reply(204);
    },
  };
}

/** Adds the five URL shapes of every entity to the table. */
export function addCrudEndpoints(table: RouteTable): void {
  for (const name of ENTITY_ORDER) {
    const meta = ENTITIES[name];
    if (!meta.generateAdminApi) continue;
    const collection = `/${meta.adminApiName}`;
    const entity = `${collection}/{${meta.name}}`;
    const list = collectionHandlers(meta);
    table.set(collection, 'GET', list.get);
    table.set(collection, 'POST', list.post);
    for (const [method, handler] of Object.entries(entityHandlers(meta))) table.set(entity, method as 'GET', handler);
    for (const fk of meta.foreignKeys) {
      const parent = ENTITIES[fk.reference];
      for (const [method, handler] of Object.entries(parentHandlers(meta, fk))) table.set(`${entity}/${fk.field}`, method as 'GET', handler);
      const nested = `/${parent.adminApiName}/{${parent.name}}/${meta.adminApiNestedName}`;
      const children = nestedCollectionHandlers(meta, fk);
      table.set(nested, 'GET', children.get);
      table.set(nested, 'POST', children.post);
      for (const [method, handler] of Object.entries(nestedEntityHandlers(meta, fk))) {
        table.set(`${nested}/{${meta.name}}`, method as 'GET', handler);
      }
    }
  }
}
