/**
 * The Admin API's HTTP side: CORS and common headers, OPTIONS and HEAD, 404/405, request bodies, and
 * turning thrown errors into Kong's bodies. What each path does lives in the endpoint modules; where the
 * data comes from (a `Store`, or the DB-less configuration) is decided per request from the node.
 */
import { addClusteringEndpoints } from './clustering-endpoints.ts';
import { addHealthEndpoints } from './health-endpoints.ts';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { listenHttp, sendEmpty, sendJson, sendText } from '../core/http-json.ts';
import { SERVER_TOKEN } from '../core/version.ts';
import { EMPTY_PLUGIN_REGISTRY, ENTITIES, ENTITY_ORDER, type EntityName, type PluginSchemaRegistry } from '../entities/index.ts';
import type { Logger } from '../log/logger.ts';
import { AccessLog } from '../log/access-log.ts';
import { openLogSink } from '../log/file-sink.ts';
import { DatabaseUnavailableError, StoreError } from '../store/types.ts';
import { ForbiddenKeyError } from '../core/safe-keys.ts';
import { checkArgumentName } from './form-decoder.ts';
import { sizeInBytes } from '../config/value-parsers.ts';
import type { NodeContext } from './context.ts';
import { addCrudEndpoints } from './crud-endpoints.ts';
import { addConsumerGroupEndpoints } from './consumer-group-endpoints.ts';
import { addCustomEndpoints } from './custom-endpoints.ts';
import { ConfigReadOps, configDataSource, storeDataSource, type DataSource } from './data-source.ts';
import type { AdminServices, Method, Reply, RequestContext } from './endpoint-types.ts';
import type { EntityDao } from './entity-dao.ts';
import { createDao } from './entity-daos.ts';
import { AdminError, METHOD_NOT_ALLOWED_BODY, NOT_FOUND_BODY, UNEXPECTED_BODY, fromStoreError } from './errors.ts';
import { addNodeEndpoints } from './node-endpoints.ts';
import { addDebugEndpoints } from './debug-endpoints.ts';
import { addPluginEndpoints } from './plugin-endpoints.ts';
import type { PluginApiEndpoint } from '../pdk/index.ts';
import { MAX_ARGUMENTS, readEntityBody, tooManyArguments, type DecodedBody } from './request-body.ts';
import { RouteTable } from './route-table.ts';
import { adminTlsOptions, listenAdminHttps, type AdminTlsOptions } from './admin-tls.ts';
import { AUDITED_METHODS, AuditRecorder, MemoryAuditTrail, StoreAuditTrail, addAuditEndpoints, type AuditTrail } from './audit-trail.ts';
import { ANONYMOUS, AdminTokens, UNAUTHORIZED_BODY, WWW_AUTHENTICATE } from './security.ts';
import { logWhenFinished } from '../log/listener-access-log.ts';

/**
 * Starts the Admin API on every `admin_listen` address: plain HTTP, or HTTPS on `ssl` ones (mutual TLS when
 * `admin_ssl_client_ca` is set; HTTP/1.1 only, the `http2` flag is not honoured on the Admin API).
 */
export async function startAdminServer(node: NodeContext, log: Logger): Promise<Server[]> {
  const api = new AdminApi(node, { log });
  const handler = (req: IncomingMessage, res: ServerResponse) => void api.handle(req, res);
  const servers: Server[] = [];
  let tls: AdminTlsOptions | null | undefined;
  for (const l of node.settings.admin_listeners) {
    if (l.ssl) {
      if (tls === undefined) {
        try {
          tls = adminTlsOptions(node.settings);
        } catch (err) {
          tls = null;
          log.warn(`ssl admin listeners disabled: no certificate (set admin_ssl_cert and admin_ssl_cert_key; ${(err as Error).message})`);
        }
      }
      if (tls === null) continue;
      // HTTP/1.1 only: some answers close the connection with a header HTTP/2 forbids.
      servers.push(await listenAdminHttps({ ...l, http2: false }, tls, handler));
      log.info(`admin API listening on ${l.listener}${tls.clientCa !== null ? ' (client certificates required)' : ''}`);
      continue;
    }
    servers.push(await listenHttp(l, handler));
    log.info(`admin API listening on ${l.listener}`);
  }
  return servers;
}

/**
 * Every Admin API path: generated CRUD, Kong's custom routes over it, node endpoints, and the audit log
 * (`auditTrail` names where it is read from; without one, `/audit/requests` is not served).
 */
export function buildRouteTable(
  auditTrail?: () => AuditTrail,
  auditRetainedSince?: () => number,
  pluginApis?: ReadonlyMap<string, readonly PluginApiEndpoint[]>,
): RouteTable {
  const table = new RouteTable();
  addCrudEndpoints(table);
  addCustomEndpoints(table);
  addConsumerGroupEndpoints(table);
  addNodeEndpoints(table);
  addDebugEndpoints(table);
  addClusteringEndpoints(table);
  addHealthEndpoints(table);
  if (auditTrail !== undefined) addAuditEndpoints(table, auditTrail, auditRetainedSince);
  if (pluginApis !== undefined) addPluginEndpoints(table, pluginApis);
  return table;
}

/** How the Admin API reports what goes wrong. */
export interface AdminApiOptions {
  /** Where unexpected errors are logged (default: standard error). */
  log?: Pick<Logger, 'error'>;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** The Admin API's services over one data source (a store, or the DB-less configuration being served). */
export function servicesFor(node: NodeContext, source: DataSource, plugins: PluginSchemaRegistry): AdminServices {
  const daos = new Map<EntityName, EntityDao>();
  for (const name of ENTITY_ORDER) daos.set(name, createDao(ENTITIES[name], { plugins, readOnly: source.readOnly }));
  return { node, source, plugins, dao: (name) => daos.get(name) as EntityDao };
}

/**
 * The Admin API. With `node.store` it is Kong's traditional-mode Admin API (CRUD on the database);
 * without, the DB-less one: reads from the configuration being served, `/config`, and Kong's 405 on writes.
 */
export class AdminApi {
  readonly #node: NodeContext;
  readonly #accessLog: AccessLog | null;
  readonly #log: Pick<Logger, 'error'>;
  readonly #table: RouteTable;
  readonly #plugins: PluginSchemaRegistry;
  #storeServices: AdminServices | null = null;
  #configServices: { hash: string; services: AdminServices } | null = null;
  readonly #tokens: AdminTokens;
  readonly #memoryAudit = new MemoryAuditTrail();
  #storeAudit: StoreAuditTrail | null = null;
  readonly #audit: AuditRecorder;
  /** The origins of `admin_gui_url`: when set, browsers are answered only for them (Kong's rule). */
  readonly #guiOrigins: readonly string[];

  constructor(node: NodeContext, options: AdminApiOptions = {}) {
    this.#node = node;
    this.#guiOrigins = node.settings.admin_gui_url.map((url) => new URL(url).origin);
    const setting = node.settings.admin_access_log;
    this.#accessLog = setting === 'off' ? null : new AccessLog(openLogSink(setting, node.settings.prefix));
    this.#log = options.log ?? { error: (message: string) => process.stderr.write(`${message}\n`) };
    const limits = { recordTtl: node.settings.audit_log_record_ttl, maxRecords: node.settings.audit_log_max_records };
    this.#audit = new AuditRecorder(() => this.#auditTrail(), limits, (err) =>
      this.#log.error(`admin API: could not write the audit log: ${err instanceof Error ? err.message : String(err)}`),
    );
    this.#table = buildRouteTable(() => this.#auditTrail(), () => this.#audit.retainedSince(), node.pluginApis);
    this.#tokens = new AdminTokens(node.settings.admin_api_tokens);
    this.#plugins = node.plugins ?? EMPTY_PLUGIN_REGISTRY;
  }

  /** The services for the node's current mode (DB-less indexes are rebuilt when the configuration changes). */
  #services(): AdminServices {
    const store = this.#node.store ?? null;
    if (store !== null) {
      if (this.#storeServices === null || this.#storeServices.source.ops !== store) {
        this.#storeServices = servicesFor(this.#node, storeDataSource(store), this.#plugins);
      }
      return this.#storeServices;
    }
    const { config, hash } = this.#node.currentConfig();
    if (this.#configServices === null || this.#configServices.hash !== hash) {
      const source = configDataSource(new ConfigReadOps(config, hash));
      this.#configServices = { hash, services: servicesFor(this.#node, source, this.#plugins) };
    }
    return this.#configServices.services;
  }

  /** The store's audit log when the node has a database, else the in-memory one. */
  #auditTrail(): AuditTrail {
    const store = this.#node.store ?? null;
    if (store === null) return this.#memoryAudit;
    if (this.#storeAudit === null || this.#storeAudit.store !== store) this.#storeAudit = new StoreAuditTrail(store);
    return this.#storeAudit;
  }

  #logAccess(req: IncomingMessage, res: ServerResponse): void {
    const accessLog = this.#accessLog;
    if (accessLog === null) return;
    logWhenFinished(accessLog, req, res);
  }

  /** The request's origin (any, or one of `admin_gui_url`'s), else the first allowed one, else `*`. */
  #allowedOrigin(origin: string | undefined): string {
    if (this.#guiOrigins.length === 0) return typeof origin === 'string' ? origin : '*';
    return typeof origin === 'string' && this.#guiOrigins.includes(origin) ? origin : this.#guiOrigins[0];
  }

  /** Handles one request; never throws. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const start = performance.now();
    this.#logAccess(req, res);
    res.setHeader('Access-Control-Allow-Origin', this.#allowedOrigin(req.headers.origin));
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    // As Kong's Admin API: Server only while `headers` enables it (`off` hides the version from callers too).
    if (this.#node.settings.headersDownstream.server) res.setHeader('Server', SERVER_TOKEN);
    if (this.#node.settings.headersDownstream.adminLatency) {
      const writeHead = res.writeHead;
      res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
        this.setHeader('X-Tollgate-Admin-Latency', String(Math.round(performance.now() - start)));
        return writeHead.apply(this, args);
      } as ServerResponse['writeHead'];
    }
    // Authentication comes before routing, so that a caller without a token learns nothing, not even
    // which paths exist; preflights carry no credentials by design and are let through.
    const method = (req.method ?? 'GET').toUpperCase();
    const caller = this.#tokens.authenticate(req);
    if (AUDITED_METHODS.has(method)) this.#audit.recordWhenFinished(req, res, caller?.tokenId ?? ANONYMOUS, caller === null);
    if (caller === null && method === 'OPTIONS') {
      // A preflight carries no credentials, so it is answered, but the same way for every path: whether a
      // path exists (404) or which methods it takes (Allow) is for callers with a token.
      sendEmpty(res, 204, anonymousPreflightHeaders(req));
      return;
    }
    if (caller === null) {
      // The body is not read: drop the connection after answering rather than drain what may be large.
      res.setHeader('Connection', 'close');
      sendJson(res, 401, { ...UNAUTHORIZED_BODY }, { 'WWW-Authenticate': WWW_AUTHENTICATE });
      return;
    }
    try {
      const result = await this.#dispatch(req, res);
      if (result !== null) this.#send(res, result);
    } catch (err) {
      this.#sendError(req, res, err);
    }
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<Reply | null> {
    const url = requestUrl(req.url ?? '/');
    if (url.searchParams.size > MAX_ARGUMENTS) throw tooManyArguments();
    for (const name of url.searchParams.keys()) checkArgumentName(name);
    const match = this.#table.match(url.pathname);
    if (match === null) return { status: 404, body: { ...NOT_FOUND_BODY } };
    // No entity can be named or keyed with a NUL (PostgreSQL cannot even compare one): nothing is there.
    if (Object.values(match.params).some((p) => p.includes('\0'))) return { status: 404, body: { ...NOT_FOUND_BODY } };
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'OPTIONS') {
      res.setHeader('Allow', match.allow);
      res.setHeader('Access-Control-Allow-Methods', match.allow);
      res.setHeader('Access-Control-Allow-Headers', String(req.headers['access-control-request-headers'] ?? 'Content-Type'));
      return { status: 204 };
    }
    const handlerMethod = (method === 'HEAD' ? 'GET' : method) as Method;
    const handler = match.endpoint.methods[handlerMethod];
    if (handler === undefined) return { status: 405, body: { ...METHOD_NOT_ALLOWED_BODY } };
    let body: DecodedBody | null = null;
    // Kong checks the body of every write before the handler runs; /config reads its own (YAML allowed).
    const limit = sizeInBytes(this.#node.settings.nginx_admin_client_max_body_size);
    if (WRITE_METHODS.has(handlerMethod) && match.endpoint.path !== '/config') body = await readEntityBody(req, limit);
    const ctx: RequestContext = {
      req,
      method: handlerMethod,
      url,
      params: match.params,
      rawParams: match.rawParams,
      api: this.#services(),
      body: async () => (body ??= await readEntityBody(req, limit)),
    };
    return handler(ctx);
  }

  #send(res: ServerResponse, result: Reply): void {
    if (result.text !== undefined) sendText(res, result.status, result.text, result.headers);
    else if (result.body === undefined) sendEmpty(res, result.status, result.headers);
    else sendJson(res, result.status, result.body, result.headers);
  }

  #sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    let known: AdminError | null = null;
    if (err instanceof AdminError) known = err;
    else if (err instanceof StoreError) known = fromStoreError(err);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    else if (err instanceof ForbiddenKeyError) known = new AdminError(400, { message: err.message, field: err.field });
    if (known !== null) {
      // The rest of a body over the limit was dropped: this connection cannot carry another request.
      if (known.status === 413) res.setHeader('Connection', 'close');
      sendJson(res, known.status, known.body);
      return;
    }
    const databaseFailure = databaseFailureOf(err);
    if (databaseFailure !== null) {
      // Say which database failed (the node itself is fine and keeps serving); the full cause goes to the log.
      this.#log.error(`admin API: ${req.method} ${req.url} failed: ${databaseFailure}`);
      sendJson(res, 500, {
        message: `An unexpected error occurred: the database did not complete the operation (${databaseFailure}); ` +
          'a write may not have been saved: read the entity back and try again',
      });
      return;
    }
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.#log.error(`admin API: ${req.method} ${req.url} failed: ${detail}`);
    sendJson(res, 500, { ...UNEXPECTED_BODY });
  }
}

/** Every method some Admin API path takes: what an unauthenticated preflight is told, whatever its path. */
const PREFLIGHT_METHODS = 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT';

/**
 * The headers of a preflight without a token: they depend on the request's own headers only, never on its
 * path, so that the answer says nothing about which paths exist.
 */
function anonymousPreflightHeaders(req: IncomingMessage): Record<string, string> {
  return {
    'Access-Control-Allow-Methods': PREFLIGHT_METHODS,
    'Access-Control-Allow-Headers': String(req.headers['access-control-request-headers'] ?? 'Content-Type, Authorization, Tollgate-Admin-Token'),
  };
}

/** The message of a database failure (a lost or stalled connection, or a driver error), else null. */
function databaseFailureOf(err: unknown): string | null {
  if (err instanceof DatabaseUnavailableError) return err.message;
  if (err instanceof StoreError && err.kind === 'database') {
    const cause = err.cause;
    if (cause instanceof DatabaseUnavailableError) return cause.message;
    return `database error: ${err.message}`;
  }
  return null;
}

/**
 * The request target as a URL on the Admin API. Only the path and query count: `//services` is the path
 * `/services` with its slashes merged (as nginx's default `merge_slashes` gives Kong), never a host named
 * `services`; an absolute-form target keeps its path; anything unparsable is a 400.
 */
function requestUrl(target: string): URL {
  let url: URL;
  try {
    url = target.startsWith('/') ? new URL(`http://admin${target}`) : new URL(target);
  } catch {
    throw new AdminError(400, { message: 'Bad request: invalid request target' });
  }
  if (url.pathname.includes('//')) url.pathname = url.pathname.replace(/\/{2,}/g, '/');
  return url;
}
