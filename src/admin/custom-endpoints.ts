/**
 * Where Kong's custom routes change the generated CRUD endpoints: consumers searched by `custom_id`,
 * certificates addressed by SNI with their `snis` list, targets
 * served only under their upstream (by id or `host:port`), plugin PATCHes that learn the plugin's name
 * first, and the endpoints Kong disables.
 */
import { ENTITIES, normalizeTarget } from '../entities/index.ts';
import { isUuid } from '../schema/index.ts';
import type { Row } from '../store/types.ts';
import { entityInput, findEntity, listPage, write } from './crud-endpoints.ts';
import { reply, type Handler, type RequestContext } from './endpoint-types.ts';
import { isPlainObject } from './entity-dao.ts';
import { badRequest, notFound, notFoundByPrimaryKey } from './errors.ts';
import type { RouteTable } from './route-table.ts';

/** `GET /consumers?custom_id=x`: an exact search answered as a one-item (or empty) list. */
function consumersByCustomId(table: RouteTable): void {
  table.wrap('/consumers', 'GET', (parent) => async (ctx) => {
    const values = ctx.url.searchParams.getAll('custom_id');
    if (values.length === 0) return parent(ctx);
    if (values.length > 1 || values[0] === '') throw badRequest('custom_id must be an unempty string');
    const dao = ctx.api.dao('consumers');
    const row = await ctx.api.source.ops.getBy('consumers', 'custom_id', values[0]);
    return reply(200, { data: row === null ? [] : [await dao.present(ctx.api.source.ops, row)], next: null });
  });
}

/**
 * Certificates: reading one that does not exist is Kong's code-6 404; PUT and PATCH take `snis` as a list
 * (a single string becomes one), and a PUT addressed by an SNI name adds that name to the list.
 */
function certificates(table: RouteTable): void {
  const path = '/certificates/{certificates}';
  table.set(path, 'GET', async (ctx) => {
    const dao = ctx.api.dao('certificates');
    const key = await dao.resolveKey(ctx.api.source.ops, ctx.params.certificates, 'GET');
    const row = await dao.select(ctx.api.source.ops, key);
    if (row === null) throw notFoundByPrimaryKey('id' in key ? key.id : key.value);
    return reply(200, await dao.present(ctx.api.source.ops, row));
  });
  const withSnis = (parent: Handler): Handler => async (ctx) => {
    const body = await ctx.body();
    const name = isUuid(ctx.params.certificates) ? null : ctx.params.certificates;
    const put = ctx.method === 'PUT';
    let snis = body.args.snis;
    if (Array.isArray(snis)) {
      if (put && name !== null && !snis.includes(name)) snis = [...snis, name];
    } else if (typeof snis === 'string') {
      snis = put && name !== null && name !== snis ? [snis, name] : [snis];
    } else if (snis === undefined && put) {
      snis = null;
    }
    if (snis !== undefined) body.args.snis = snis;
    return parent(ctx);
  };
  table.wrap(path, 'PUT', withSnis);
  table.wrap(path, 'PATCH', withSnis);
}

/**
 * Targets live under their upstream: `/targets...` is disabled, `/upstreams/{u}/targets/{t}` finds the target
 * by id or address (PUT updates like PATCH), and `/upstreams/{u}/targets/all` lists them all.
 */
function targets(table: RouteTable): void {
  table.remove('/targets');
  table.remove('/targets/{targets}');
  table.remove('/targets/{targets}/upstream');
  const targetOf = async (ctx: RequestContext): Promise<Row> => {
    const upstream = await findEntity(ctx, ctx.api.dao('upstreams'), ctx.params.upstreams);
    if (upstream === null) throw notFound();
    const ops = ctx.api.source.ops;
    const key = ctx.params.targets;
    const target = isUuid(key)
      ? await ops.get('targets', key.toLowerCase())
      : await ops.getByCacheKey('targets', { upstream: { id: upstream.id }, target: normalizeTarget(key) });
    const owner = target?.upstream;
    if (target === null || !isPlainObject(owner) || owner.id !== upstream.id) throw notFound();
    return target;
  };
  const path = '/upstreams/{upstreams}/targets/{targets}';
  const update: Handler = async (ctx) => {
    const target = await targetOf(ctx);
    const input = await entityInput(ctx, ENTITIES.targets);
    return reply(200, await write(ctx, (tx) => ctx.api.dao('targets').update(tx, { id: target.id }, input)));
  };
  table.set(path, 'GET', async (ctx) => reply(200, await targetOf(ctx)));
  table.set(path, 'PUT', update);
  table.set(path, 'PATCH', update);
  table.set(path, 'DELETE', async (ctx) => {
    const target = await targetOf(ctx);
    await write(ctx, (tx) => ctx.api.dao('targets').delete(tx, { id: target.id }));
    return reply(204);
  });
  table.set('/upstreams/{upstreams}/targets/all', 'GET', async (ctx) => {
    const upstream = await findEntity(ctx, ctx.api.dao('upstreams'), ctx.params.upstreams);
    if (upstream === null) throw notFound();
    const basePath = `/upstreams/${ctx.rawParams.upstreams}/targets/all`;
    return listPage(ctx, ctx.api.dao('targets'), basePath, { topLevel: false, foreign: { field: 'upstream', id: upstream.id } });
  });
}

/**
 * Plugin PATCHes without a `name` read the plugin first (a missing one is a plain 404), so that form values
 * of `config` are coerced by that plugin's schema.
 */
function pluginPatches(table: RouteTable): void {
  const learnName = (parent: Handler): Handler => async (ctx) => {
    const body = await ctx.body();
    if (body.args.name === undefined) {
      const plugin = await findEntity(ctx, ctx.api.dao('plugins'), ctx.params.plugins);
      if (plugin === null) throw notFound();
      body.args.name = plugin.name;
    }
    return parent(ctx);
  };
  for (const path of [
    '/plugins/{plugins}',
    '/services/{services}/plugins/{plugins}',
    '/routes/{routes}/plugins/{plugins}',
    '/consumers/{consumers}/plugins/{plugins}',
    '/consumer_groups/{consumer_groups}/plugins/{plugins}',
  ]) {
    table.wrap(path, 'PATCH', learnName);
  }
}

/** Applies Kong's custom routes on top of the generated CRUD endpoints. */
export function addCustomEndpoints(table: RouteTable): void {
  consumersByCustomId(table);
  certificates(table);
  targets(table);
  pluginPatches(table);
  // Kong serves a certificate's SNIs under the certificate only.
  table.remove('/snis/{snis}/certificate');
}
