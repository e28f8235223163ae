/**
 * The upstream endpoints a DB-less node also serves on its Status API, read-only, as Kong's does: a DB-less
 * node's Admin API may be off or private, yet load balancers and operators still need to see its targets
 * and their health. Only GET is served (HEAD too); another method on one of these paths is a 405, and the
 * paths that change health by hand (`.../healthy`, `.../unhealthy`) are not there at all (404).
 * The handlers are the Admin API's own, over the configuration being served.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../core/http-json.ts';
import { EMPTY_PLUGIN_REGISTRY } from '../entities/index.ts';
import type { Logger } from '../log/logger.ts';
import { StoreError } from '../store/types.ts';
import type { NodeContext } from './context.ts';
import { ConfigReadOps, configDataSource } from './data-source.ts';
import type { AdminServices, RequestContext } from './endpoint-types.ts';
import { AdminError, METHOD_NOT_ALLOWED_BODY, UNEXPECTED_BODY, fromStoreError } from './errors.ts';
import { checkArgumentName } from './form-decoder.ts';
import { MAX_ARGUMENTS, tooManyArguments } from './request-body.ts';
import { RouteTable } from './route-table.ts';
import { buildRouteTable, servicesFor } from './server.ts';

/** Kong's Status API keeps the GET methods of these upstream routes (kong/api/routes/upstreams.lua). */
const READ_ONLY_PATHS = [
  '/upstreams/{upstreams}/health',
  '/upstreams/{upstreams}/targets',
  '/upstreams/{upstreams}/targets/all',
  '/upstreams/{upstreams}/targets/{targets}',
] as const;

export class StatusUpstreamApi {
  readonly #node: NodeContext;
  readonly #log: Pick<Logger, 'error'>;
  readonly #table = new RouteTable();
  #services: { hash: string; services: AdminServices } | null = null;

  constructor(node: NodeContext, log: Pick<Logger, 'error'>) {
    this.#node = node;
    this.#log = log;
    const admin = buildRouteTable();
    for (const path of READ_ONLY_PATHS) {
      const handler = admin.get(path, 'GET');
      if (handler !== undefined) this.#table.set(path, 'GET', handler);
    }
  }

  /** Answers the request when its path is one of these endpoints; false leaves it to the caller. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const match = this.#table.match(url.pathname);
    if (match === null) return false;
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') {
      sendJson(res, 405, { ...METHOD_NOT_ALLOWED_BODY });
      return true;
    }
    try {
      if (url.searchParams.size > MAX_ARGUMENTS) throw tooManyArguments();
      for (const name of url.searchParams.keys()) checkArgumentName(name);
      const ctx: RequestContext = {
        req,
        method: 'GET',
        url,
        params: match.params,
        rawParams: match.rawParams,
        api: this.#currentServices(),
        // A GET's body is never read: Kong's Status API ignores it, even when it is not valid JSON.
        body: async () => ({ form: false, args: {} }),
      };
      const result = await match.endpoint.methods.GET!(ctx);
      sendJson(res, result.status, result.body, result.headers);
    } catch (err) {
      const known = err instanceof AdminError ? err : err instanceof StoreError ? fromStoreError(err) : null;
      if (known !== null) sendJson(res, known.status, known.body);
      else {
        this.#log.error(`status API: ${req.method} ${req.url} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        sendJson(res, 500, { ...UNEXPECTED_BODY });
      }
    }
    return true;
  }

  /** Services over the configuration being served, rebuilt when its hash changes. */
  #currentServices(): AdminServices {
    const { config, hash } = this.#node.currentConfig();
    if (this.#services === null || this.#services.hash !== hash) {
      const source = configDataSource(new ConfigReadOps(config, hash));
      this.#services = { hash, services: servicesFor(this.#node, source, this.#node.plugins ?? EMPTY_PLUGIN_REGISTRY) };
    }
    return this.#services.services;
  }
}
