/**
 * proxy-cache: answers cacheable requests from stored responses, as Kong's plugin does. `access` builds the key
 * and looks it up: a fresh entry is answered there (the upstream is not called), with `Age`, `X-Cache-Status:
 * Hit` and `X-Cache-Key`; otherwise the request goes upstream marked Miss (or Refresh, when the entry is too old
 * for the configuration or the client's Cache-Control), and `header_filter` decides whether the response may be
 * stored. `body_filter` keeps a reference to each chunk as it passes (the client is not held back) and stores
 * the whole response after the last one, without waiting for the store to finish.
 */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import type { ProxyCacheConfig } from './schema.ts';
import { buildCacheKey, headersKey, paramsKey, requestLineUri } from './cache-key.ts';
import { numeric, parseDirectives, resourceTtl, type Directives } from './cache-control.ts';
import { contentTypeMatcher } from './content-type.ts';
import { CACHE_VERSION, decodeEntry, type StoredHeaders } from './entry.ts';
import { bodyParts, firstPart, removeEntry, storeResponse } from './entry-store.ts';
import { strategyOf, type CacheStrategy } from './strategies.ts';

export interface ProxyCacheConf {
  readonly methods: ReadonlySet<string>;
  readonly codes: ReadonlySet<number>;
  readonly contentTypeOk: (contentType: string | undefined) => boolean;
  readonly cacheTtl: number;
  readonly storageTtl: number | null;
  readonly cacheControl: boolean;
  readonly ignoreUriCase: boolean;
  readonly varyQuery: readonly string[] | null;
  readonly varyHeaders: readonly string[] | null;
  readonly showAge: boolean;
  readonly showStatus: boolean;
  readonly showKey: boolean;
  readonly strategy: CacheStrategy;
}

/** What a request that may be stored carries from access to body_filter (`kong.ctx.plugin.proxy_cache`). */
interface PendingStore {
  readonly key: string;
  readonly reqBody: string | null;
  headers: StoredHeaders | null;
  ttl: number;
  chunks: Buffer[];
}

/**
 * Headers a hit never replays: hop-by-hop ones and Content-Length (Kong's list), the diagnostic ones it sets
 * afresh, and those the gateway writes on every answer (Server, the X-Tollgate-/X-Kong- latencies and request
 * id), which would otherwise be stale duplicates from the request that filled the cache.
 */
const NOT_REPLAYED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'age',
  'x-cache-status',
  'x-cache-key',
  'server',
]);

/**
 * The upstream status that produced the entry is still true of it: a hit replays it, as Kong's hit replays
 * every stored header (Kong's spec checks it), while the stale latencies and request id are left out.
 */
const REPLAYED_GATEWAY_HEADERS = new Set(['x-tollgate-upstream-status', 'x-kong-upstream-status']);

function replayed(lower: string): boolean {
  if (REPLAYED_GATEWAY_HEADERS.has(lower)) return true;
  return !NOT_REPLAYED.has(lower) && !lower.includes('ratelimit-remaining') && !lower.startsWith('x-tollgate-') && !lower.startsWith('x-kong-');
}

const NO_DIRECTIVES: Directives = new Map();

function prepare(config: ProxyCacheConfig): ProxyCacheConf {
  const shown = config.response_headers ?? {};
  return {
    methods: new Set(config.request_method),
    codes: new Set(config.response_code),
    contentTypeOk: contentTypeMatcher(config.content_type),
    cacheTtl: config.cache_ttl ?? 300,
    storageTtl: config.storage_ttl ?? null,
    cacheControl: config.cache_control === true,
    ignoreUriCase: config.ignore_uri_case === true,
    varyQuery: config.vary_query_params ?? null,
    varyHeaders: config.vary_headers ?? null,
    showAge: shown.age !== false,
    showStatus: shown['X-Cache-Status'] !== false,
    showKey: shown['X-Cache-Key'] !== false,
    strategy: strategyOf(config),
  };
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A `kong-debug` request header shows the diagnostic headers whatever `response_headers` says (as in Kong). */
function debugging(kong: Kong): boolean {
  return kong.request.getHeader('kong-debug') !== undefined;
}

function showStatus(kong: Kong, conf: ProxyCacheConf, status: string): void {
  if (conf.showStatus || debugging(kong)) kong.response.setHeader('X-Cache-Status', status);
}

/** The cache key of this request. */
export function requestKey(kong: Kong, conf: ProxyCacheConf): string {
  const method = kong.request.getMethod();
  const version = kong.request.getHttpVersion().toFixed(1);
  let uri = requestLineUri(method, kong.request.getPathWithQuery(), version);
  if (conf.ignoreUriCase) uri = uri.toLowerCase();
  const query = kong.request.getQuery();
  const params = paramsKey(new Map(Object.entries(query)), conf.varyQuery);
  const headers = headersKey((name) => {
    const values = kong.request.getHeaderValues(name);
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
  }, conf.varyHeaders);
  const route = kong.router.getRoute();
  return buildCacheKey({
    consumerId: kong.client.getConsumer()?.id ?? null,
    routeId: typeof route?.id === 'string' ? route.id : null,
    method,
    uri,
    params,
    headers,
  });
}

/** Marks the request for storing after the upstream answers. */
function signal(kong: Kong, conf: ProxyCacheConf, key: string, reqBody: string | null, status: string): void {
  const pending: PendingStore = { key, reqBody, headers: null, ttl: 0, chunks: [] };
  kong.ctx.plugin.proxy_cache = pending;
  showStatus(kong, conf, status);
}

async function lookup(kong: Kong, conf: ProxyCacheConf, key: string, cc: Directives): Promise<void> {
  let raw: string | Uint8Array | null;
  try {
    raw = await conf.strategy.fetch(kong.cache, key);
  } catch (err) {
    kong.log.err(`proxy-cache: could not read the cache: ${(err as Error).message}`);
    return;
  }
  if (raw === null) {
    // RFC 7234 5.2.1.7: the client wants a stored answer or none.
    if (conf.cacheControl && cc.has('only-if-cached')) {
      kong.response.exit(504);
      return;
    }
    signal(kong, conf, key, await requestBody(kong), 'Miss');
    return;
  }
  const entry = decodeEntry(raw);
  if (entry === null || entry.version !== CACHE_VERSION) {
    kong.log.notice(`proxy-cache: cache format mismatch, purging ${key}`);
    await conf.strategy.purge(kong.cache, key).catch(() => {});
    signal(kong, conf, key, null, 'Bypass');
    return;
  }
  const now = nowSeconds();
  const age = now - entry.timestamp;
  if (conf.cacheControl) {
    const maxAge = numeric(cc, 'max-age');
    const maxStale = numeric(cc, 'max-stale');
    const minFresh = numeric(cc, 'min-fresh');
    if ((maxAge !== null && age > maxAge) || (maxStale !== null && age - entry.ttl > maxStale) || (minFresh !== null && entry.ttl - age < minFresh)) {
      signal(kong, conf, key, await requestBody(kong), 'Refresh');
      return;
    }
  } else if (age > conf.cacheTtl) {
    // Entries may outlive cache_ttl in storage (storage_ttl), but are not served past it.
    signal(kong, conf, key, await requestBody(kong), 'Refresh');
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const name of Object.keys(entry.headers)) {
    if (!replayed(name.toLowerCase())) continue;
    headers[name] = entry.headers[name];
  }
  const debug = debugging(kong);
  if (conf.showAge || debug) headers.age = String(Math.floor(age));
  if (conf.showStatus || debug) headers['X-Cache-Status'] = 'Hit';
  if (conf.showKey || debug) headers['X-Cache-Key'] = key;
  // For logging plugins, as Kong exposes it.
  kong.ctx.shared.proxy_cache_hit = { res: { status: entry.status, headers: entry.headers, body_len: entry.body.length, timestamp: entry.timestamp, ttl: entry.ttl }, req: { body: entry.reqBody } };
  if (entry.parts === 0) {
    kong.response.exit(entry.status, entry.body, headers);
    return;
  }
  // A large body is sent part by part as the client takes it; one whose first part is gone is a Miss.
  const first = await firstPart(conf.strategy, kong.cache, key, entry);
  if (first === null) {
    await removeEntry(conf.strategy, kong.cache, key, entry).catch(() => {});
    signal(kong, conf, key, await requestBody(kong), 'Miss');
    return;
  }
  headers['Content-Length'] = String(entry.bodyLen);
  kong.response.exitStream(entry.status, bodyParts(conf.strategy, kong.cache, key, entry, first), headers);
}

/** The request body, stored with the entry for logging plugins (Kong's `req_body`); none is read for bodiless requests. */
async function requestBody(kong: Kong): Promise<string | null> {
  const length = kong.request.getHeader('content-length');
  if ((length === undefined || length === '0') && kong.request.getHeader('transfer-encoding') === undefined) return null;
  try {
    return await kong.request.getRawBody();
  } catch {
    return null;
  }
}

function access(kong: Kong, conf: ProxyCacheConf): void | Promise<void> {
  const cc = conf.cacheControl ? parseDirectives(kong.request.getHeaderValues('cache-control')) : NO_DIRECTIVES;
  if (!conf.methods.has(kong.request.getMethod()) || (conf.cacheControl && (cc.has('no-store') || cc.has('no-cache')))) {
    showStatus(kong, conf, 'Bypass');
    return;
  }
  const key = requestKey(kong, conf);
  if (conf.showKey || debugging(kong)) kong.response.setHeader('X-Cache-Key', key);
  return lookup(kong, conf, key, cc);
}

function header_filter(kong: Kong, conf: ProxyCacheConf): void {
  const pending = kong.ctx.plugin.proxy_cache as PendingStore | undefined;
  if (pending === undefined) return;
  const headers = kong.response.getHeaders(1000);
  const contentType = headers['content-type'];
  let cacheable = conf.codes.has(kong.response.getStatus()) && typeof contentType === 'string' && conf.contentTypeOk(contentType);
  let ttl = conf.cacheTtl;
  if (cacheable && conf.cacheControl) {
    const cc = parseDirectives(headers['cache-control']);
    const expires = headers.expires;
    ttl = resourceTtl(cc, Array.isArray(expires) ? expires[expires.length - 1] : expires, nowSeconds());
    if (cc.has('private') || cc.has('no-store') || cc.has('no-cache') || ttl <= 0) cacheable = false;
  }
  if (!cacheable) {
    showStatus(kong, conf, 'Bypass');
    kong.ctx.plugin.proxy_cache = undefined;
    return;
  }
  pending.headers = headers as StoredHeaders;
  pending.ttl = ttl;
}

function body_filter(kong: Kong, conf: ProxyCacheConf): void {
  const pending = kong.ctx.plugin.proxy_cache as PendingStore | undefined;
  if (pending === undefined || pending.headers === null) return;
  // A reference, not a copy: the chunk goes on to the client unchanged.
  const chunk = kong.response.getChunk();
  if (chunk.length > 0) pending.chunks.push(chunk);
  if (!kong.response.isLastChunk()) return;
  kong.ctx.plugin.proxy_cache = undefined;
  const storageTtl = conf.storageTtl ?? (conf.cacheControl ? pending.ttl : conf.cacheTtl);
  const response = { status: kong.response.getStatus(), headers: pending.headers, chunks: pending.chunks, timestamp: nowSeconds(), ttl: pending.ttl, reqBody: pending.reqBody };
  const log = kong.log;
  // Off the response path: the client does not wait for the store.
  storeResponse(conf.strategy, kong.cache, pending.key, response, storageTtl).catch((err: unknown) =>
    log.err(`proxy-cache: could not store ${pending.key}: ${(err as Error).message}`),
  );
}

export const proxyCacheHandler: PluginHandler<ProxyCacheConf, ProxyCacheConfig> = {
  name: 'proxy-cache',
  priority: 100,
  version: '3.10.0',
  // Its body_filter only keeps references to the chunks: responses keep their Content-Length.
  bodyFilterKeepsLength: true,
  prepare,
  access,
  header_filter,
  body_filter,
};
