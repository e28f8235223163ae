/**
 * Where proxy-cache keeps entries. `memory`: the node's shared cache (every worker of the node sees the same
 * entries; bounded by `mem_cache_size`, least recently used evicted first), one namespace per
 * `dictionary_name`. `redis`: one Redis server for every node configured with it.
 */
import type { SharedCache } from '../../pdk/index.ts';
import { redisConnection } from '../shared/redis/connection.ts';
import { redisSettingsOf, type RedisRecord } from '../shared/redis/settings.ts';

/** Every proxy-cache key starts with this, in the shared cache and in Redis. */
export const KEY_PREFIX = 'proxy-cache:';

export interface CacheStrategy {
  /** The stored bytes, or null when absent. `cache` is the node's shared cache (used by `memory`). */
  fetch(cache: SharedCache, key: string): Promise<string | Uint8Array | null>;
  store(cache: SharedCache, key: string, value: Uint8Array, ttlSeconds: number): Promise<void>;
  purge(cache: SharedCache, key: string): Promise<void>;
  /** Removes every entry this strategy holds. */
  flush(cache: SharedCache): Promise<void>;
}

export function memoryStrategy(dictionaryName: string): CacheStrategy {
  const prefix = `${KEY_PREFIX}${dictionaryName}:`;
  return {
    fetch: async (cache, key) => (await cache.get(prefix + key)) ?? null,
    store: (cache, key, value, ttl) => cache.set(prefix + key, value, ttl * 1000),
    purge: (cache, key) => cache.delete(prefix + key),
    flush: (cache) => cache.purge(prefix),
  };
}

export function redisStrategy(record: RedisRecord | null | undefined): CacheStrategy {
  const { key: connKey, settings } = redisSettingsOf(record);
  const conn = () => redisConnection(connKey, settings);
  return {
    fetch: (_cache, key) => conn().getBuffer(KEY_PREFIX + key),
    store: (_cache, key, value, ttl) => conn().setBuffer(KEY_PREFIX + key, value, ttl * 1000),
    purge: async (_cache, key) => {
      await conn().delete(KEY_PREFIX + key);
    },
    flush: async () => {
      await conn().deletePrefix(KEY_PREFIX);
    },
  };
}

/** The strategy a validated configuration names. */
export function strategyOf(config: { strategy?: unknown; memory?: { dictionary_name?: string | null } | null; redis?: RedisRecord | null }): CacheStrategy {
  if (config.strategy === 'redis') return redisStrategy(config.redis);
  return memoryStrategy(config.memory?.dictionary_name ?? 'kong_db_cache');
}
