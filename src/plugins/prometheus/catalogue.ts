/**
 * Kong's metric names, types, HELP texts, labels and bucket boundaries, so that dashboards and alerts written
 * for Kong work unchanged. Per-request families live in the node-wide registry; node-level ones are computed at
 * scrape time (Kong's LOCAL gauges).
 */
import type { MetricFamilyDef } from '../../shared-state/metrics-types.ts';

export const KONG_LATENCY_BUCKETS: readonly number[] = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 3000, 6000];
export const UPSTREAM_LATENCY_BUCKETS: readonly number[] = [25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000];

/** Families recorded per request by the plugin's log phase; exported only while a prometheus instance is enabled. */
export const REQUEST_FAMILIES = {
  status: {
    name: 'kong_http_requests_total',
    type: 'counter',
    help: 'HTTP status codes per consumer/service/route in Kong',
    labelNames: ['service', 'route', 'code', 'source', 'workspace', 'consumer'],
  },
  kongLatency: {
    name: 'kong_kong_latency_ms',
    type: 'histogram',
    help: 'Latency added by Kong and enabled plugins for each service/route in Kong',
    labelNames: ['service', 'route', 'workspace'],
    buckets: KONG_LATENCY_BUCKETS,
  },
  upstreamLatency: {
    name: 'kong_upstream_latency_ms',
    type: 'histogram',
    help: 'Latency added by upstream response for each service/route in Kong',
    labelNames: ['service', 'route', 'workspace'],
    buckets: UPSTREAM_LATENCY_BUCKETS,
  },
  requestLatency: {
    name: 'kong_request_latency_ms',
    type: 'histogram',
    help: 'Total latency incurred during requests for each service/route in Kong',
    labelNames: ['service', 'route', 'workspace'],
    buckets: UPSTREAM_LATENCY_BUCKETS,
  },
  bandwidth: {
    name: 'kong_bandwidth_bytes',
    type: 'counter',
    help: 'Total bandwidth (ingress/egress) throughput in bytes',
    labelNames: ['service', 'route', 'direction', 'workspace', 'consumer'],
  },
} as const satisfies Record<string, MetricFamilyDef>;

export const REQUEST_FAMILY_NAMES: ReadonlySet<string> = new Set(Object.values(REQUEST_FAMILIES).map((f) => f.name));

/** Node-level gauges, computed at each scrape and always exported (Kong's LOCAL storage). */
export const NODE_FAMILIES = {
  connections: {
    name: 'kong_nginx_connections_total',
    type: 'gauge',
    help: 'Number of connections by subsystem',
    labelNames: ['node_id', 'subsystem', 'state'],
  },
  requests: { name: 'kong_nginx_requests_total', type: 'gauge', help: 'Number of requests total', labelNames: ['node_id', 'subsystem'] },
  timers: { name: 'kong_nginx_timers', type: 'gauge', help: 'Number of nginx timers', labelNames: ['state'] },
  datastore: { name: 'kong_datastore_reachable', type: 'gauge', help: 'Datastore reachable from Kong, 0 is unreachable', labelNames: [] },
  nodeInfo: { name: 'kong_node_info', type: 'gauge', help: 'Kong Node metadata information', labelNames: ['node_id', 'version'] },
  upstreamHealth: {
    name: 'kong_upstream_target_health',
    type: 'gauge',
    help: 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
    labelNames: ['upstream', 'target', 'address', 'state', 'subsystem'],
  },
  workerVms: {
    name: 'kong_memory_workers_lua_vms_bytes',
    type: 'gauge',
    help: 'Allocated bytes in worker Lua VM',
    labelNames: ['node_id', 'pid', 'kong_subsystem'],
  },
  sharedDict: {
    name: 'kong_memory_lua_shared_dict_bytes',
    type: 'gauge',
    help: 'Allocated slabs in bytes in a shared_dict',
    labelNames: ['node_id', 'shared_dict', 'kong_subsystem'],
  },
  sharedDictTotal: {
    name: 'kong_memory_lua_shared_dict_total_bytes',
    type: 'gauge',
    help: 'Total capacity in bytes of a shared_dict',
    labelNames: ['node_id', 'shared_dict', 'kong_subsystem'],
  },
  dbEntities: { name: 'kong_db_entities_total', type: 'gauge', help: 'Total number of Kong db entities', labelNames: [] },
  dbEntityErrors: {
    name: 'kong_db_entity_count_errors',
    type: 'counter',
    help: 'Errors during entity count collection',
    labelNames: [],
  },
  metricErrors: {
    name: 'kong_nginx_metric_errors_total',
    type: 'counter',
    help: 'Number of nginx-lua-prometheus errors',
    labelNames: [],
  },
} as const satisfies Record<string, MetricFamilyDef>;

/** The states of `kong_upstream_target_health`, each exported as 1 (the current one) or 0. */
export const TARGET_HEALTH_STATES = ['healthchecks_off', 'healthy', 'unhealthy', 'dns_error'] as const;
export type TargetHealthState = (typeof TARGET_HEALTH_STATES)[number];

/** Every state of `kong_nginx_connections_total`, in Kong's order. */
export const CONNECTION_STATES = ['accepted', 'handled', 'total', 'active', 'reading', 'writing', 'waiting'] as const;
