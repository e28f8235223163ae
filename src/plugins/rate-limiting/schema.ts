/**
 * rate-limiting configuration: Kong 3.x's fields, defaults, checks and deprecated `redis_*` shorthands, plus
 * Tollgate's `window_type` (fixed or sliding windows). What Tollgate cannot do yet (`policy = cluster`,
 * `limit_by = consumer-group`) is refused here, naming the field and what to use instead.
 */
import { definePluginSchema, typedefs, HTTP_PROTOCOLS, type PluginConfig } from '../../schema/index.ts';
import { PERIODS } from './windows.ts';

/** Kong's rules across fields: a longer period may not have a lower limit; `sync_rate` only with Redis. */
function checkPeriodsAndSync(config: Readonly<Record<string, unknown>>): string | null {
  for (let i = 0; i < PERIODS.length; i++) {
    const lower = config[PERIODS[i]];
    if (typeof lower !== 'number') continue;
    for (let j = i + 1; j < PERIODS.length; j++) {
      const upper = config[PERIODS[j]];
      if (typeof upper === 'number' && upper < lower) {
        return `The limit for ${PERIODS[j]}(${upper.toFixed(1)}) cannot be lower than the limit for ${PERIODS[i]}(${lower.toFixed(1)})`;
      }
    }
  }
  const syncRate = config.sync_rate;
  if (typeof syncRate === 'number' && syncRate !== -1) {
    if (config.policy !== 'redis') return 'sync_rate can only be used with the redis policy';
    if (syncRate < 0.02) return 'sync_rate must be greater than 0.02, or -1 to disable';
  }
  return null;
}

function checkPolicy(value: unknown): string | null {
  if (value === 'cluster') {
    return "policy 'cluster' (counters in the database) is not supported by Tollgate yet: use 'redis' to share limits between nodes, or 'local' for one node";
  }
  return null;
}

function checkLimitBy(value: unknown): string | null {
  if (value === 'consumer-group') {
    return "limit_by 'consumer-group' is not supported: Tollgate has no consumer groups; use 'consumer' (or 'credential')";
  }
  return null;
}

const limit = (period: string) => ({ type: 'number', gt: 0, description: `The number of HTTP requests that can be made per ${period}.` }) as const;

/** A deprecated flat `redis_<name>` field, expanded into `redis.<name>` as Kong 3.x still does (removal in 4.0). */
function redisShorthand<T extends 'string' | 'integer' | 'boolean'>(name: string, type: T, extra: Record<string, unknown> = {}) {
  return {
    type,
    ...extra,
    description: `Deprecated: use config.redis.${name}.`,
    func: (value: unknown) => ({ redis: { [name]: value } }),
  } as const;
}

export const rateLimitingSchema = definePluginSchema({
  name: 'rate-limiting',
  protocols: HTTP_PROTOCOLS,
  config: {
    type: 'record',
    custom_validator: checkPeriodsAndSync,
    fields: {
      second: limit('second'),
      minute: limit('minute'),
      hour: limit('hour'),
      day: limit('day'),
      month: limit('month'),
      year: limit('year'),
      limit_by: {
        type: 'string',
        default: 'consumer',
        one_of: ['consumer', 'credential', 'ip', 'service', 'header', 'path', 'consumer-group'],
        custom_validator: checkLimitBy,
        description: 'The entity that is used when aggregating the limits.',
      },
      header_name: { ...typedefs.header_name, description: 'The header whose value identifies the client (limit_by = header).' },
      path: { ...typedefs.path, description: 'The path to limit (limit_by = path).' },
      policy: {
        type: 'string',
        default: 'local',
        len_min: 0,
        one_of: ['local', 'cluster', 'redis'],
        custom_validator: checkPolicy,
        description: "Where counters live: 'local' (this node, exact across its workers) or 'redis' (shared by every node).",
      },
      window_type: {
        type: 'string',
        required: true,
        default: 'fixed',
        one_of: ['fixed', 'sliding'],
        description: "Tollgate: 'fixed' windows (Kong's) or 'sliding' (the previous window counts, weighted by how much of it still overlaps).",
      },
      fault_tolerant: {
        type: 'boolean',
        required: true,
        default: true,
        description: 'When the counters cannot be reached: proxy anyway (true) or answer 500 (false).',
      },
      redis: {
        type: 'record',
        description: 'Redis configuration (policy = redis).',
        fields: {
          host: typedefs.host,
          port: { ...typedefs.port, default: 6379 },
          timeout: { ...typedefs.timeout, default: 2000 },
          connect_timeout: { ...typedefs.timeout, description: 'Connect timeout in ms (default: timeout).' },
          send_timeout: { ...typedefs.timeout, description: 'Send timeout in ms (default: timeout).' },
          read_timeout: { ...typedefs.timeout, description: 'Read timeout in ms (default: timeout).' },
          username: { type: 'string', referenceable: true, description: 'Redis ACL username (Redis 6+); a vault reference is accepted.' },
          password: {
            type: 'string',
            len_min: 0,
            encrypted: true,
            referenceable: true,
            description: 'Password for AUTH; unset sends none. A vault reference is accepted.',
          },
          database: { type: 'integer', default: 0, description: 'The Redis database number.' },
          ssl: { type: 'boolean', required: false, default: false, description: 'Connect with TLS.' },
          ssl_verify: { type: 'boolean', required: false, default: false, description: "Verify the server's certificate." },
          server_name: { ...typedefs.sni, required: false, description: 'SNI server name for TLS.' },
        },
      },
      hide_client_headers: { type: 'boolean', required: true, default: false, description: 'Optionally hide informative response headers.' },
      error_code: { type: 'number', default: 429, gt: 0, description: 'Set a custom error code to return when the rate limit is exceeded.' },
      error_message: { type: 'string', default: 'API rate limit exceeded', description: 'Set a custom error message to return when the rate limit is exceeded.' },
      sync_rate: {
        type: 'number',
        required: true,
        default: -1,
        description: 'Accepted for Kong compatibility; Tollgate counts in Redis on every request (as with -1).',
      },
    },
    shorthand_fields: {
      redis_host: redisShorthand('host', 'string'),
      redis_port: redisShorthand('port', 'integer'),
      redis_password: redisShorthand('password', 'string', { len_min: 0, referenceable: true }),
      redis_username: redisShorthand('username', 'string', { referenceable: true }),
      redis_ssl: redisShorthand('ssl', 'boolean'),
      redis_ssl_verify: redisShorthand('ssl_verify', 'boolean'),
      redis_server_name: redisShorthand('server_name', 'string'),
      redis_timeout: redisShorthand('timeout', 'integer'),
      redis_database: redisShorthand('database', 'integer'),
    },
  },
  entityChecks: [
    { at_least_one_of: ['config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'] },
    { conditional: { if_field: 'config.policy', if_match: { eq: 'redis' }, then_field: 'config.redis.host', then_match: { required: true } } },
    { conditional: { if_field: 'config.policy', if_match: { eq: 'redis' }, then_field: 'config.redis.port', then_match: { required: true } } },
    { conditional: { if_field: 'config.policy', if_match: { eq: 'redis' }, then_field: 'config.redis.timeout', then_match: { required: true } } },
    { conditional: { if_field: 'config.limit_by', if_match: { eq: 'header' }, then_field: 'config.header_name', then_match: { required: true } } },
    { conditional: { if_field: 'config.limit_by', if_match: { eq: 'path' }, then_field: 'config.path', then_match: { required: true } } },
  ],
});

/** rate-limiting's validated configuration. */
export type RateLimitingConfig = PluginConfig<typeof rateLimitingSchema>;
