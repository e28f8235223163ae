/**
 * rate-limiting's migrations: `000_base_rate_limiting` creates Kong's `ratelimiting_metrics`, where the
 * `cluster` policy counts (Kong's `kong/plugins/rate-limiting/migrations/`).
 */
import type { PluginMigration } from '../../../schema/index.ts';
import { metricsTableSql } from '../../ratelimit-common/cluster-counters.ts';

export const rateLimitingMigrations: readonly PluginMigration[] = [
  {
    name: '000_base_rate_limiting',
    up: { sqlite: metricsTableSql('ratelimiting_metrics', 'sqlite'), postgres: metricsTableSql('ratelimiting_metrics', 'postgres') },
    tables: ['ratelimiting_metrics'],
  },
];
