/**
 * response-ratelimiting's migrations: `000_base_response_rate_limiting` creates Kong's
 * `response_ratelimiting_metrics`, where the `cluster` policy counts.
 */
import type { PluginMigration } from '../../../schema/index.ts';
import { metricsTableSql } from '../../ratelimit-common/cluster-counters.ts';

export const responseRateLimitingMigrations: readonly PluginMigration[] = [
  {
    name: '000_base_response_rate_limiting',
    up: {
      sqlite: metricsTableSql('response_ratelimiting_metrics', 'sqlite'),
      postgres: metricsTableSql('response_ratelimiting_metrics', 'postgres'),
    },
    tables: ['response_ratelimiting_metrics'],
  },
];
