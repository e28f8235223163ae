/**
 * rate-limiting configuration: Kong 3.x's fields, defaults, checks and deprecated `redis_*` shorthands, plus
 * Tollgate's `window_type` (fixed or sliding windows). What Tollgate cannot do yet (`policy = cluster`) is
 * refused here, naming the field and what to use instead.
 */
import { definePluginSchema, typedefs, HTTP_PROTOCOLS, type PluginConfig } from '../../schema/index.ts';
import { PERIODS } from '../ratelimit-common/windows.ts';
import { clusterPolicyRefusal } from '../ratelimit-common/policy-check.ts';
import { redisPolicyChecks, redisRecord, redisShorthands } from '../ratelimit-common/redis-schema.ts';

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
  return value === 'cluster' ? clusterPolicyRefusal() : null;
}

const limit = (period: string) => ({ type: 'number', gt: 0, description: `The number of HTTP requests that can be made per ${period}.` }) as const;

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
        description:
          "The entity that is used when aggregating the limits ('consumer-group': the plugin's consumer group, for a plugin scoped to one; else the client's address).",
      },
      header_name: { ...typedefs.header_name, description: 'The header whose value identifies the client (limit_by = header).' },
      path: { ...typedefs.path, description: 'The path to limit (limit_by = path).' },
      policy: {
        type: 'string',
        default: 'local',
        len_min: 0,
        one_of: ['local', 'cluster', 'redis'],
        custom_validator: checkPolicy,
        description: "Where counters live: 'local' (this node, exact across its workers), 'cluster' (the node's PostgreSQL) or 'redis' (shared by every node).",
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
      redis: redisRecord,
      hide_client_headers: { type: 'boolean', required: true, default: false, description: 'Optionally hide informative response headers.' },
      error_code: { type: 'number', default: 429, gt: 0, description: 'Set a custom error code to return when the rate limit is exceeded.' },
      error_message: { type: 'string', default: 'API rate limit exceeded', description: 'Set a custom error message to return when the rate limit is exceeded.' },
      sync_rate: {
        type: 'number',
        required: true,
        default: -1,
        description: 'How often, in seconds, counts are synced to Redis (redis policy): -1 counts in Redis on every request; more than 0 batches them in each worker.',
      },
    },
    shorthand_fields: redisShorthands,
  },
  entityChecks: [
    { at_least_one_of: ['config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'] },
    ...redisPolicyChecks,
    { conditional: { if_field: 'config.limit_by', if_match: { eq: 'header' }, then_field: 'config.header_name', then_match: { required: true } } },
    { conditional: { if_field: 'config.limit_by', if_match: { eq: 'path' }, then_field: 'config.path', then_match: { required: true } } },
  ],
});

/** rate-limiting's validated configuration. */
export type RateLimitingConfig = PluginConfig<typeof rateLimitingSchema>;
