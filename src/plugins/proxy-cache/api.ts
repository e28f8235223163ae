/**
 * proxy-cache's Admin API (Kong's): `DELETE /proxy-cache` empties the cache of every proxy-cache plugin entity;
 * `GET|DELETE /proxy-cache/{cache_key}` finds the key in any of them; `GET|DELETE
 * /proxy-cache/{plugin_id}/caches/{cache_key}` looks in that plugin entity's cache only. Found: 200 with the
 * entry (Kong's JSON object) or 204; not found: an empty 404. Memory entries are reached through the node's
 * shared state (the Admin API runs in the supervisor, which holds it); Redis entries through a connection of
 * the supervisor's own.
 */
import type { PluginApiEndpoint, PluginApiEntity, PluginApiReply, PluginApiRequest, SharedCache } from '../../pdk/index.ts';
import { decodeEntry, kongView } from './entry.ts';
import { removeEntry, wholeBody } from './entry-store.ts';
import { strategyOf, type CacheStrategy } from './strategies.ts';

const NOT_FOUND: PluginApiReply = { status: 404 };
const NO_CONTENT: PluginApiReply = { status: 204 };

/** A shared cache that holds nothing, for a node without shared state (a control plane). */
const NO_CACHE: SharedCache = {
  get: async () => undefined,
  set: async () => {},
  delete: async () => {},
  purge: async () => {},
};

function cacheOf(request: PluginApiRequest): SharedCache {
  return request.node?.cache ?? NO_CACHE;
}

function strategyFor(entity: PluginApiEntity): CacheStrategy {
  return strategyOf(entity.config as Parameters<typeof strategyOf>[0]);
}

function failure(err: unknown): PluginApiReply {
  return { status: 500, body: { message: (err as Error).message } };
}

/** The entry under `key` in one plugin entity's cache, as Kong shows it; null when absent. */
async function fetchView(request: PluginApiRequest, entity: PluginApiEntity, key: string): Promise<Record<string, unknown> | null> {
  const strategy = strategyFor(entity);
  const raw = await strategy.fetch(cacheOf(request), key);
  if (raw === null) return null;
  const entry = decodeEntry(raw);
  if (entry === null) return {};
  const body = await wholeBody(strategy, cacheOf(request), key, entry);
  return body === null ? null : kongView(entry, body);
}

/** Removes the entry under `key` with its parts; false when there was none. */
async function remove(request: PluginApiRequest, strategy: CacheStrategy, key: string): Promise<boolean> {
  const raw = await strategy.fetch(cacheOf(request), key);
  if (raw === null) return false;
  await removeEntry(strategy, cacheOf(request), key, decodeEntry(raw));
  return true;
}

export const proxyCacheApi: readonly PluginApiEndpoint[] = [
  {
    path: '/proxy-cache',
    methods: {
      DELETE: async (request) => {
        try {
          for (const entity of await request.entities()) await strategyFor(entity).flush(cacheOf(request));
        } catch (err) {
          return failure(err);
        }
        return NO_CONTENT;
      },
    },
  },
  {
    path: '/proxy-cache/{cache_key}',
    methods: {
      GET: async (request) => {
        try {
          for (const entity of await request.entities()) {
            const view = await fetchView(request, entity, request.params.cache_key);
            if (view !== null) return { status: 200, body: view };
          }
        } catch (err) {
          return failure(err);
        }
        return NOT_FOUND;
      },
      DELETE: async (request) => {
        const key = request.params.cache_key;
        try {
          for (const entity of await request.entities()) {
            if (await remove(request, strategyFor(entity), key)) return NO_CONTENT;
          }
        } catch (err) {
          return failure(err);
        }
        return NOT_FOUND;
      },
    },
  },
  {
    path: '/proxy-cache/{plugin_id}/caches/{cache_key}',
    methods: {
      GET: async (request) => {
        try {
          const entity = await request.entity(request.params.plugin_id);
          if (entity === null) return NOT_FOUND;
          const view = await fetchView(request, entity, request.params.cache_key);
          return view === null ? NOT_FOUND : { status: 200, body: view };
        } catch (err) {
          return failure(err);
        }
      },
      DELETE: async (request) => {
        const key = request.params.cache_key;
        try {
          const entity = await request.entity(request.params.plugin_id);
          if (entity === null) return NOT_FOUND;
          return (await remove(request, strategyFor(entity), key)) ? NO_CONTENT : NOT_FOUND;
        } catch (err) {
          return failure(err);
        }
      },
    },
  },
];
