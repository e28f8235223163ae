import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { listenHttp, readBody, sendJson } from '../core/http-json.ts';
import { SERVER_TOKEN } from '../core/version.ts';
import type { Logger } from '../log/logger.ts';
import { exportDeclarative } from '../declarative/index.ts';
import type { NodeContext } from './context.ts';
import { ConfigIndex } from './config-index.ts';
import { ENTITIES, ENTITY_ORDER, type EntityMeta } from '../entities/index.ts';
import { nodeInfo, statusBody } from './node-info.ts';
import { AdminError, matchesTags, page, parseSize, parseTags } from './pagination.ts';
import { postConfig } from './config-endpoint.ts';
import { AccessLog } from '../log/access-log.ts';
import { openLogSink } from '../log/file-sink.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VERBS: Record<string, string> = { POST: 'create', PATCH: 'update', PUT: 'create or update', DELETE: 'remove' };
const COLLECTION_METHODS = 'GET, HEAD, OPTIONS, POST';
const ITEM_METHODS = 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT';
const NOT_FOUND = { message: 'Not found' };

/** Starts the Admin API on every `admin_listen` address (plain HTTP for now). */
export async function startAdminServer(node: NodeContext, log: Logger): Promise<Server[]> {
  const api = new AdminApi(node);
  const servers: Server[] = [];
  for (const l of node.settings.admin_listeners) {
    if (l.ssl) {
      log.warn(`admin listener ${l.listener} skipped: TLS on the Admin API is not supported yet`);
      continue;
    }
    servers.push(await listenHttp(l, (req, res) => void api.handle(req, res)));
    log.info(`admin API listening on ${l.listener}`);
  }
  return servers;
}

interface Route {
  /** Methods this URL supports, for OPTIONS, Allow and 405. */
  allow: string;
  get?: () => Promise<void> | void;
  post?: () => Promise<void> | void;
  /** The entity collection written to by POST/PUT/PATCH/DELETE here (405 in DB-less mode). */
  writes?: { entity: EntityMeta; byKey: string | null; exists: boolean };
}

/**
 * The Admin API in DB-less mode: the node information, `/config` and read access to every entity, with
 * Kong's paths, paging, filters and errors. Writes through entity endpoints get Kong's 405.
 */
export class AdminApi {
  readonly #node: NodeContext;
  readonly #accessLog: AccessLog | null;
  readonly #byPath = new Map<string, EntityMeta>();
  readonly #byName = new Map<string, EntityMeta>();
  #index: ConfigIndex | null = null;

  constructor(node: NodeContext) {
    this.#node = node;
    const setting = node.settings.admin_access_log;
    this.#accessLog = setting === 'off' ? null : new AccessLog(openLogSink(setting, node.settings.prefix));
    for (const name of ENTITY_ORDER) {
      const e = ENTITIES[name];
      this.#byPath.set(e.adminApiName, e);
      this.#byName.set(e.name, e);
    }
  }

  #currentIndex(): ConfigIndex {
    const { config, hash } = this.#node.currentConfig();
    if (this.#index === null || this.#index.hash !== hash) this.#index = new ConfigIndex(config, hash, this.#byName);
    return this.#index;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const start = performance.now();
    if (this.#accessLog !== null) {
      const accessLog = this.#accessLog;
      res.once('finish', () =>
        accessLog.write({
          clientIp: req.socket.remoteAddress ?? '-',
          method: req.method ?? '-',
          url: req.url ?? '-',
          httpVersion: req.httpVersion,
          status: res.statusCode,
          bytesSent: Number(res.getHeader('content-length') ?? 0),
          referer: req.headers.referer,
          userAgent: req.headers['user-agent'],
          requestId: '-',
        }),
      );
    }
    const origin = req.headers.origin;
    res.setHeader('Access-Control-Allow-Origin', typeof origin === 'string' ? origin : '*');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Server', SERVER_TOKEN);
    if (this.#node.settings.headersDownstream.adminLatency) {
      const writeHead = res.writeHead;
      res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
        this.setHeader('X-Tollgate-Admin-Latency', String(Math.round(performance.now() - start)));
        return writeHead.apply(this, args);
      } as ServerResponse['writeHead'];
    }
    try {
      const url = new URL(req.url ?? '/', 'http://admin');
      const route = this.#resolve(url, req, res);
      if (route === null) {
        sendJson(res, 404, NOT_FOUND);
        return;
      }
      const method = req.method ?? 'GET';
      if (method === 'OPTIONS') {
        res.writeHead(204, {
          Allow: route.allow,
          'Access-Control-Allow-Methods': route.allow,
          'Access-Control-Allow-Headers': String(req.headers['access-control-request-headers'] ?? 'Content-Type'),
          'Content-Length': '0',
        });
        res.end();
        return;
      }
      if ((method === 'GET' || method === 'HEAD') && route.get) return await route.get();
      if (method === 'POST' && route.post) return await route.post();
      if (route.writes && route.allow.includes(method) && method in VERBS) {
        const w = route.writes;
        // Kong looks the entity up first: deleting something absent is a 204 even without a database.
        if (method === 'DELETE' && !w.exists) {
          res.writeHead(204, { 'Content-Length': '0' });
          res.end();
          return;
        }
        const by = w.byKey === null ? '' : ` by '${w.byKey}'`;
        sendJson(res, 405, {
          code: 12,
          name: 'operation unsupported',
          message: `cannot ${VERBS[method]} '${w.entity.name}' entities${by} when not using a database`,
        });
        return;
      }
      sendJson(res, 405, { message: 'Method not allowed' });
    } catch (err) {
      if (err instanceof AdminError) sendJson(res, err.status, err.body);
      else {
        process.stderr.write(`admin API error: ${(err as Error).stack}\n`);
        if (!res.headersSent) sendJson(res, 500, { message: 'An unexpected error occurred' });
      }
    }
  }

  #resolve(url: URL, req: IncomingMessage, res: ServerResponse): Route | null {
    const segments = url.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    const node = this.#node;
    if (segments.length === 0) return { allow: 'GET, HEAD, OPTIONS', get: () => sendJson(res, 200, nodeInfo(node)) };
    const [first, second, third, fourth] = segments;
    if (segments.length === 1 && first === 'status') {
      return { allow: 'GET, HEAD, OPTIONS', get: async () => sendJson(res, 200, await statusBody(node)) };
    }
    if (segments.length === 1 && first === 'config') {
      return {
        allow: 'GET, HEAD, OPTIONS, POST',
        get: () => sendJson(res, 200, { config: exportDeclarative(node.currentConfig().config) }),
        post: async () => {
          const body = await readBody(req, 512 * 1024 * 1024);
          await postConfig(node, req, res, url, body);
        },
      };
    }
    if (segments.length === 2 && first === 'plugins' && second === 'enabled') {
      return { allow: 'GET, HEAD, OPTIONS', get: () => sendJson(res, 200, { enabled_plugins: node.settings.plugins.filter((p) => p !== 'bundled') }) };
    }
    // Kong serves targets only under their upstream.
    if (first === 'targets') return null;
    const entity = this.#byPath.get(first);
    if (entity === undefined || segments.length > 4) return null;
    const index = this.#currentIndex();
    if (segments.length === 1) {
      return {
        allow: COLLECTION_METHODS,
        get: () => this.#list(res, url, entity, index.collection(entity.name).sorted, `/${first}`, true),
        writes: { entity, byKey: null, exists: false },
      };
    }
    const item = this.#find(index, entity, second);
    if (segments.length === 2) {
      return {
        allow: ITEM_METHODS,
        get: () => (item === undefined ? sendJson(res, 404, NOT_FOUND) : sendJson(res, 200, item)),
        writes: { entity, byKey: UUID.test(second) ? null : entity.endpointKey, exists: item !== undefined },
      };
    }
    // /routes/{route}/service: the referenced parent seen from the child.
    const fk = entity.foreignKeys.find((f) => f.field === third);
    if (fk !== undefined && segments.length === 3) {
      const parentEntity = this.#byName.get(fk.reference);
      const ref = item?.[fk.field] as { id: string } | null | undefined;
      const parent = ref && parentEntity ? index.collection(parentEntity.name).byId.get(ref.id) : undefined;
      return {
        allow: 'GET, HEAD, OPTIONS, PATCH, PUT',
        get: () => (parent === undefined ? sendJson(res, 404, NOT_FOUND) : sendJson(res, 200, parent)),
        writes: parentEntity ? { entity: parentEntity, byKey: null, exists: parent !== undefined } : undefined,
      };
    }
    // /services/{service}/routes and /services/{service}/routes/{route}
    const child = this.#nestedChild(entity, third);
    if (child === undefined) return null;
    const { childEntity, field } = child;
    const belongs = (row: Record<string, unknown>) => item !== undefined && (row[field] as { id?: string } | null)?.id === item.id;
    if (segments.length === 3) {
      if (item === undefined) return { allow: COLLECTION_METHODS, get: () => sendJson(res, 404, NOT_FOUND) };
      const rows = index.collection(childEntity.name).sorted.filter(belongs);
      return {
        allow: COLLECTION_METHODS,
        get: () => this.#list(res, url, childEntity, rows, `/${first}/${encodeURIComponent(second)}/${third}`, false),
        writes: { entity: childEntity, byKey: null, exists: false },
      };
    }
    if (childEntity.name === 'targets' && fourth === 'all') {
      const rows = index.collection('targets').sorted.filter(belongs);
      return { allow: 'GET, HEAD, OPTIONS', get: () => sendJson(res, 200, { data: rows, next: null }) };
    }
    const found = item === undefined ? undefined : this.#findNested(index, childEntity, fourth, belongs, field);
    return {
      allow: ITEM_METHODS,
      get: () => (found === undefined ? sendJson(res, 404, NOT_FOUND) : sendJson(res, 200, found)),
      writes: { entity: childEntity, byKey: UUID.test(fourth) ? null : childEntity.endpointKey, exists: found !== undefined },
    };
  }

  #nestedChild(parent: EntityMeta, segment: string): { childEntity: EntityMeta; field: string } | undefined {
    for (const candidate of this.#byName.values()) {
      if (candidate.adminApiNestedName !== segment) continue;
      const fk = candidate.foreignKeys.find((f) => f.reference === parent.name);
      if (fk !== undefined) return { childEntity: candidate, field: fk.field };
    }
    return undefined;
  }

  #find(index: ConfigIndex, entity: EntityMeta, key: string): Record<string, unknown> | undefined {
    const coll = index.collection(entity.name);
    if (UUID.test(key)) return coll.byId.get(key.toLowerCase());
    if (entity.name === 'certificates') return index.certificateBySni(key);
    return entity.endpointKey === null ? undefined : coll.byKey.get(key);
  }

  #findNested(
    index: ConfigIndex,
    entity: EntityMeta,
    key: string,
    belongs: (row: Record<string, unknown>) => boolean,
    field: string,
  ): Record<string, unknown> | undefined {
    const coll = index.collection(entity.name);
    let row: Record<string, unknown> | undefined;
    if (UUID.test(key)) row = coll.byId.get(key.toLowerCase());
    else if (entity.name === 'acls') row = coll.sorted.find((r) => r.group === key && belongs(r));
    else if (entity.name === 'targets') row = coll.sorted.find((r) => (r.target === key || r.target === `${key}:8000`) && belongs(r));
    else if (entity.endpointKey !== null) row = coll.sorted.find((r) => r[entity.endpointKey!] === key && belongs(r));
    void field;
    return row !== undefined && belongs(row) ? row : undefined;
  }

  #list(
    res: ServerResponse,
    url: URL,
    entity: EntityMeta,
    rows: readonly (Record<string, unknown> & { id: string })[],
    basePath: string,
    topLevel: boolean,
  ): void {
    const size = parseSize(url.searchParams.get('size'));
    // Kong applies tag filters only on top-level collections.
    const tags = topLevel && entity.hasTags ? parseTags(url.searchParams.get('tags')) : null;
    const filtered = tags === null ? rows : rows.filter((r) => matchesTags(r.tags, tags));
    let query = '';
    if (topLevel) {
      if (url.searchParams.has('tags')) query += `&tags=${encodeURIComponent(url.searchParams.get('tags')!)}`;
      if (url.searchParams.has('size')) query += `&size=${size}`;
    }
    const result = page(filtered, { size, offset: url.searchParams.get('offset'), basePath, query });
    sendJson(res, 200, result);
  }
}
