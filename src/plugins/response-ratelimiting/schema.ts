/**
 * response-ratelimiting configuration: Kong 3.x's fields and defaults (`limits` map of name to second..year,
 * `header_name`, `limit_by`, `policy`, `fault_tolerant`, `block_on_first_violation`, `hide_client_headers`, the
 * shared `redis` record and the deprecated `redis_*` shorthands).
 */
import { definePluginSchema, HTTP_PROTOCOLS, type PluginConfig } from '../../schema/index.ts';
import { PERIODS } from '../ratelimit-common/windows.ts';
import { clusterPolicyRefusal } from '../ratelimit-common/policy-check.ts';
import { redisPolicyChecks, redisRecord, redisShorthands } from '../ratelimit-common/redis-schema.ts';

/** Kong's rule for one limit: a longer period may not have a lower limit. */
function checkPeriodsOrder(limit: Readonly<Record<string, unknown>>): string | null {
  for (let i = 0; i < PERIODS.length; i++) {
    const lower = limit[PERIODS[i]];
    if (typeof lower !== 'number') continue;
    for (let j = i + 1; j < PERIODS.length; j++) {
      const upper = limit[PERIODS[j]];
      if (typeof upper === 'number' && upper < lower) {
        return `the limit for ${PERIODS[j]}(${upper.toFixed(1)}) cannot be lower than the limit for ${PERIODS[i]}(${lower.toFixed(1)})`;
      }
    }
  }
  return null;
}

const period = { type: 'number', gt: 0 } as const;

export const responseRateLimitingSchema = definePluginSchema({
  name: 'response-ratelimiting',
  protocols: HTTP_PROTOCOLS,
  config: {
    type: 'record',
    fields: {
      header_name: { type: 'string', default: 'x-kong-limit', description: 'The name of the response header used to increment the counters.' },
      limit_by: {
        type: 'string',
        default: 'consumer',
        one_of: ['consumer', 'credential', 'ip'],
        description: 'The entity used when aggregating the limits; without a consumer or credential, the client IP.',
      },
      policy: {
        type: 'string',
        default: 'local',
        one_of: ['local', 'cluster', 'redis'],
        custom_validator: (value: unknown) => (value === 'cluster' ? clusterPolicyRefusal() : null),
        description: "Where counters live: 'local' (this node), 'cluster' (the node's PostgreSQL) or 'redis' (shared by every node).",
      },
      fault_tolerant: {
        type: 'boolean',
        required: true,
        default: true,
        description: 'When the counters cannot be reached: proxy anyway (true) or answer 500 (false).',
      },
      redis: redisRecord,
      block_on_first_violation: {
        type: 'boolean',
        required: true,
        default: false,
        description: 'Refuse a request as soon as any of its limits is used up, even one this request might not consume.',
      },
      hide_client_headers: { type: 'boolean', required: true, default: false, description: 'Optionally hide informative response headers.' },
      limits: {
        type: 'map',
        required: true,
        len_min: 1,
        description: 'The limits, by name: each a record of second, minute, hour, day, month and year counts.',
        keys: { type: 'string' },
        values: {
          type: 'record',
          required: true,
          fields: { second: period, minute: period, hour: period, day: period, month: period, year: period },
          custom_validator: checkPeriodsOrder,
          entity_checks: [{ at_least_one_of: ['second', 'minute', 'hour', 'day', 'month', 'year'] }],
        },
      },
    },
    shorthand_fields: redisShorthands,
  },
  entityChecks: [...redisPolicyChecks],
});

/** response-ratelimiting's validated configuration. */
export type ResponseRateLimitingConfig = PluginConfig<typeof responseRateLimitingSchema>;
