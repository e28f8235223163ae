/** prometheus configuration, with Kong 3.x's fields and defaults (every family of per-request metrics is opt-in). */
import { definePluginSchema, PROTOCOLS, type PluginConfig } from '../../schema/index.ts';

export const prometheusSchema = definePluginSchema({
  name: 'prometheus',
  protocols: PROTOCOLS,
  config: {
    type: 'record',
    fields: {
      per_consumer: {
        type: 'boolean',
        default: false,
        description: 'Fill the `consumer` label of `kong_http_requests_total` and `kong_bandwidth_bytes` with the consumer\'s username.',
      },
      status_code_metrics: { type: 'boolean', default: false, description: 'Record `kong_http_requests_total`.' },
      ai_metrics: { type: 'boolean', default: false, description: 'Accepted for Kong compatibility; Tollgate has no AI plugins, so nothing is recorded.' },
      latency_metrics: {
        type: 'boolean',
        default: false,
        description: 'Record `kong_kong_latency_ms`, `kong_upstream_latency_ms` and `kong_request_latency_ms`.',
      },
      bandwidth_metrics: { type: 'boolean', default: false, description: 'Record `kong_bandwidth_bytes`.' },
      upstream_health_metrics: {
        type: 'boolean',
        default: false,
        description: 'Export `kong_upstream_target_health` (node-wide: on when any prometheus plugin instance sets it).',
      },
      wasm_metrics: { type: 'boolean', default: false, description: 'Accepted for Kong compatibility; Tollgate runs no Proxy-Wasm filters.' },
    },
  },
});

/** prometheus's validated configuration. */
export type PrometheusConfig = PluginConfig<typeof prometheusSchema>;
