/**
 * The Admin API's endpoints that are not entity CRUD: node information and status, the endpoint list,
 * schemas and schema validation, enabled plugins, tags, and the DB-less `/config`.
 */
import { exportDeclarative } from '../declarative/index.ts';
import { ENTITIES, pluginSubschemas, validateEntity, VAULT_SUBSCHEMAS, type EntityName, type VaultBackendName } from '../entities/index.ts';
import { toKongSchemaView, typedefs, validateFieldValue } from '../schema/index.ts';
import { postConfig } from './config-endpoint.ts';
import { nodeMetricsText, PROMETHEUS_CONTENT_TYPE } from './context.ts';
import { sizeInBytes } from '../config/value-parsers.ts';
import { reply, type RequestContext } from './endpoint-types.ts';
import { AdminError, badRequest, schemaViolation } from './errors.ts';
import { nodeInfo, parseSizeFormat, statusBody, type SizeFormat } from './node-info.ts';
import { openApiHandler } from './openapi.ts';
import { listBody, parseSize } from './pagination.ts';
import { checkContentType, readLimited } from './request-body.ts';
import type { RouteTable } from './route-table.ts';
import { coerceEntityInput } from './schema-coercion.ts';
import { internalSchema } from './internal-schemas.ts';

function isEntityName(name: string): name is EntityName {
  return Object.prototype.hasOwnProperty.call(ENTITIES, name);
}

/** Distinct names of the plugin entities that exist. */
async function pluginNamesInUse(ctx: RequestContext): Promise<string[]> {
  const names = new Set<string>();
  let offset: string | null = null;
  do {
    const page = await ctx.api.source.ops.list('plugins', { size: 1000, offset });
    for (const row of page.data) names.add(row.name as string);
    offset = page.offset;
  } while (offset !== null);
  return [...names];
}

/** 1-based byte position of the first invalid UTF-8 sequence in a percent-encoded text, or null. */
export function invalidUtf8Position(raw: string): number | null {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(raw.slice(i + 1, i + 3))) {
      bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(raw[i], 'utf8')) bytes.push(b);
    }
  }
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const extra = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (extra < 0) return i + 1;
    for (let k = 1; k <= extra; k++) {
      if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i + 1;
    }
    // Overlong, surrogate and out-of-range forms are invalid too; TextDecoder knows them all.
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes.slice(i, i + extra + 1)));
    } catch {
      return i + 1;
    }
    i += extra + 1;
  }
  return null;
}

async function tagsPage(ctx: RequestContext, tag: string | null): Promise<ReturnType<typeof reply>> {
  const query = ctx.url.searchParams;
  const size = parseSize(query.get('size'));
  const page = await ctx.api.source.ops.listTags({ size, offset: query.get('offset'), tag });
  if (tag === null) {
    const extra = query.has('size') ? `&size=${query.get('size') as string}` : '';
    return reply(200, listBody(page.data, page.offset, '/tags', extra));
  }
  return reply(200, listBody(page.data, page.offset, `/tags/${ctx.rawParams.tags}`));
}

/** Kong's code 10 for a tag that is not a valid tag. */
function invalidTag(message: string): AdminError {
  return new AdminError(400, { code: 10, name: 'invalid unique tag', message });
}

/** Adds the node-level endpoints. */
export function addNodeEndpoints(table: RouteTable): void {
  table.set('/', 'GET', async (ctx) => {
    const inUse = ctx.api.source.readOnly ? ctx.api.node.currentConfig().config.plugins.map((p) => p.name) : await pluginNamesInUse(ctx);
    return reply(200, await nodeInfo(ctx.api.node, inUse));
  });
  table.set('/status', 'GET', async (ctx) => {
    let format: SizeFormat;
    try {
      format = parseSizeFormat(ctx.url.searchParams);
    } catch (err) {
      throw new AdminError(400, { message: (err as Error).message });
    }
    return reply(200, await statusBody(ctx.api.node, format));
  });
  // Kong serves this when its prometheus plugin is enabled; here it is the node-wide registry, always.
  table.set('/metrics', 'GET', async (ctx) => ({
    status: 200,
    text: await nodeMetricsText(ctx.api.node),
    headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE },
  }));
  table.set('/endpoints', 'GET', async () => reply(200, { data: table.paths() }));
  table.set('/openapi.json', 'GET', openApiHandler(table));

  table.set('/schemas/{name}', 'GET', async (ctx) => {
    const name = ctx.params.name;
    if (isEntityName(name)) return reply(200, toKongSchemaView(ENTITIES[name].schema));
    const internal = internalSchema(name);
    if (internal === undefined) throw new AdminError(404, { message: `No entity named '${name}'` });
    return reply(200, toKongSchemaView(internal));
  });
  table.set('/schemas/{db_entity_name}/validate', 'POST', async (ctx) => validateSchema(ctx, ctx.params.db_entity_name));
  table.set('/schemas/plugins/validate', 'POST', async (ctx) => validateSchema(ctx, 'plugins'));
  table.set('/schemas/vaults/validate', 'POST', async (ctx) => validateSchema(ctx, 'vaults'));
  table.set('/schemas/vaults/{name}', 'GET', async (ctx) => {
    const name = ctx.params.name;
    const sub = Object.prototype.hasOwnProperty.call(VAULT_SUBSCHEMAS, name) ? VAULT_SUBSCHEMAS[name as VaultBackendName] : undefined;
    if (sub === undefined) throw new AdminError(404, { message: `No vault named '${name}'` });
    // The vault entity as that backend specialises it (Kong's subschema view): every field, `config` the backend's.
    const vaults = ENTITIES.vaults.schema;
    return reply(200, toKongSchemaView({ fields: { ...vaults.fields, ...sub.fields }, entity_checks: vaults.entity_checks }));
  });
  table.set('/schemas/plugins/{name}', 'GET', async (ctx) => {
    const sub = pluginSubschemas(ctx.api.plugins).get(ctx.params.name);
    if (sub === undefined) throw new AdminError(404, { message: `No plugin named '${ctx.params.name}'` });
    // Every Kong plugin schema declares `protocols` (Kong Manager's form draws its protocols picker from it);
    // a plugin that does not narrow them takes the plugin entity's.
    if (sub.fields.protocols !== undefined) return reply(200, toKongSchemaView(sub));
    return reply(200, toKongSchemaView({ ...sub, fields: { ...sub.fields, protocols: typedefs.protocols } }));
  });
  table.set('/plugins/schema/{name}', 'GET', async (ctx) => {
    const plugin = ctx.api.plugins.get(ctx.params.name);
    if (plugin === undefined) throw new AdminError(404, { message: `No plugin named '${ctx.params.name}'` });
    return reply(200, toKongSchemaView(plugin.config));
  });
  table.set('/plugins/enabled', 'GET', async (ctx) => {
    const registered = [...ctx.api.plugins.keys()];
    const enabled = registered.length > 0 ? registered : ctx.api.node.settings.plugins.filter((p) => p !== 'bundled');
    return reply(200, { enabled_plugins: enabled });
  });

  table.set('/tags', 'GET', async (ctx) => tagsPage(ctx, null));
  table.set('/tags/{tags}', 'GET', async (ctx) => {
    const position = invalidUtf8Position(ctx.rawParams.tags);
    if (position !== null) throw invalidTag(`invalid utf-8 character sequence detected at position ${position}`);
    const tag = ctx.params.tags;
    const problem = validateFieldValue(typedefs.tag, tag);
    if (typeof problem === 'string') throw invalidTag(problem);
    return tagsPage(ctx, tag);
  });

  const dbOnly = () => badRequest('this endpoint is only available when Tollgate is configured to not use a database');
  table.set('/config', 'GET', async (ctx) => {
    if (!ctx.api.source.readOnly) throw dbOnly();
    return reply(200, { config: exportDeclarative(ctx.api.node.currentConfig().config) });
  });
  table.set('/config', 'POST', async (ctx) => {
    if (!ctx.api.source.readOnly) throw dbOnly();
    checkContentType(ctx.req, true);
    const body = await readLimited(ctx.req, sizeInBytes(ctx.api.node.settings.nginx_admin_client_max_body_size));
    if (body.length > 0 && ctx.req.headers['content-type'] === undefined) throw new AdminError(415, { message: 'Unsupported Media Type' });
    return postConfig(ctx.api.node, ctx.req, ctx.url, body);
  });
}

/** `POST /schemas/{entity}/validate`: would this body insert? (No uniqueness or reference checks.) */
async function validateSchema(ctx: RequestContext, name: string): Promise<ReturnType<typeof reply>> {
  if (!isEntityName(name)) throw new AdminError(404, { message: `No entity named '${name}'` });
  const meta = ENTITIES[name];
  const body = await ctx.body();
  const input = body.form ? coerceEntityInput(meta, body.args, ctx.api.plugins) : body.args;
  const result = validateEntity(name, input, { context: 'insert', plugins: ctx.api.plugins });
  if (!result.ok) throw schemaViolation(result.errors);
  return reply(200, { message: 'schema validation successful' });
}
