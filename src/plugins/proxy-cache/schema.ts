/**
 * proxy-cache configuration: Kong 3.x's fields and defaults. Kong offers only the `memory` strategy;
 * Tollgate adds `redis`, configured with Kong's `redis` record (the one rate-limiting uses), so that several
 * nodes share one cache.
 */
import { definePluginSchema, HTTP_PROTOCOLS, type PluginConfig } from '../../schema/index.ts';
import { REDIS_RECORD_FIELDS } from '../shared/redis/settings.ts';

/** Where cached responses live. */
export const STRATEGIES = ['memory', 'redis'] as const;

export const proxyCacheSchema = definePluginSchema({
  name: 'proxy-cache',
  protocols: HTTP_PROTOCOLS,
  config: {
    type: 'record',
    fields: {
      response_code: {
        type: 'array',
        required: true,
        default: [200, 301, 404],
        len_min: 1,
        elements: { type: 'integer', between: [100, 900] },
        description: 'Upstream response status code considered cacheable.',
      },
      request_method: {
        type: 'array',
        required: true,
        default: ['GET', 'HEAD'],
        elements: { type: 'string', one_of: ['HEAD', 'GET', 'POST', 'PATCH', 'PUT'] },
        description: 'Downstream request methods considered cacheable.',
      },
      content_type: {
        type: 'array',
        required: true,
        default: ['text/plain', 'application/json'],
        elements: { type: 'string' },
        description: 'Upstream response content types considered cacheable (type, subtype and parameters must all match; `*` matches any type or subtype).',
      },
      cache_ttl: { type: 'integer', default: 300, gt: 0, description: 'TTL, in seconds, of cache entities.' },
      strategy: {
        type: 'string',
        required: true,
        one_of: STRATEGIES,
        description: "The backing data store in which to hold cache entities: 'memory' (the node's shared cache) or 'redis' (Tollgate: shared by every node).",
      },
      cache_control: { type: 'boolean', required: true, default: false, description: 'When enabled, respect the Cache-Control behaviors defined in RFC7234.' },
      ignore_uri_case: { type: 'boolean', required: false, default: false, description: 'Build the cache key from the lower-cased request line.' },
      storage_ttl: {
        type: 'integer',
        description: 'Number of seconds to keep resources in the storage backend. This value is independent of `cache_ttl` or resource TTLs defined by Cache-Control behaviors.',
      },
      memory: {
        type: 'record',
        fields: {
          dictionary_name: {
            type: 'string',
            required: true,
            default: 'kong_db_cache',
            description: "The name of the shared dictionary in which to hold cache entities (memory strategy). Tollgate keeps every dictionary in the node's shared cache, each name its own namespace.",
          },
        },
      },
      redis: { type: 'record', description: 'Redis configuration (strategy = redis).', fields: REDIS_RECORD_FIELDS },
      vary_query_params: {
        type: 'array',
        elements: { type: 'string' },
        description: 'Relevant query parameters considered for the cache key. If undefined, all params are taken into consideration.',
      },
      vary_headers: {
        type: 'array',
        elements: { type: 'string' },
        description: 'Relevant headers considered for the cache key. If undefined, none of the headers are taken into consideration.',
      },
      response_headers: {
        type: 'record',
        description: 'Caching related diagnostic headers that should be included in cached responses.',
        fields: {
          age: { type: 'boolean', default: true },
          'X-Cache-Status': { type: 'boolean', default: true },
          'X-Cache-Key': { type: 'boolean', default: true },
        },
      },
    },
  },
  entityChecks: [
    { conditional: { if_field: 'config.strategy', if_match: { eq: 'redis' }, then_field: 'config.redis.host', then_match: { required: true } } },
    { conditional: { if_field: 'config.strategy', if_match: { eq: 'redis' }, then_field: 'config.redis.port', then_match: { required: true } } },
  ],
});

/** proxy-cache's validated configuration. */
export type ProxyCacheConfig = PluginConfig<typeof proxyCacheSchema>;
