import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hiddenFamily, prometheusInstances, renderNodeMetrics, targetState, type NodeMetricsInput } from './node-metrics.ts';
import { nodeMetricsText, type NodeMetricsSource } from './node-source.ts';
import { emptyFlatConfig } from '../../declarative/index.ts';

const INPUT: NodeMetricsInput = {
  nodeId: 'node-1',
  version: '0.1.0',
  connections: { accepted: 10, handled: 10, active: 3, reading: 0, writing: 1, waiting: 2, requests: 25 },
  timers: { running: 0, pending: 4 },
  datastoreReachable: true,
  workers: [{ pid: 101, heapBytes: 2048 }, { pid: 102, heapBytes: 4096 }],
  sharedDicts: [{ name: 'kong_db_cache', bytes: 512, capacity: 1024 }],
  targetHealth: [{ upstream: 'up', target: '127.0.0.1:80', address: '127.0.0.1:80', state: 'unhealthy' }],
  entities: 7,
  entityCountErrors: 0,
  metricErrors: 0,
};

describe('prometheus: node-level metrics', () => {
  test('the exposition: Kong\'s names, types, HELP lines and labels', () => {
    assert.equal(
      renderNodeMetrics(INPUT),
      [
        '# HELP kong_nginx_connections_total Number of connections by subsystem',
        '# TYPE kong_nginx_connections_total gauge',
        'kong_nginx_connections_total{node_id="node-1",subsystem="http",state="accepted"} 10',
        'kong_nginx_connections_total{node_id="node-1",subsystem="http",state="handled"} 10',
        'kong_nginx_connections_total{node_id="node-1",subsystem="http",state="total"} 25',
        'kong_nginx_connections_total{node_id="node-1",subsystem="http",state="active"} 3',
        'kong_nginx_connections_total{node_id="node-1",subsystem="http",state="reading"} 0',
        'kong_nginx_connections_total{node_id="node-1",subsystem="http",state="writing"} 1',
        'kong_nginx_connections_total{node_id="node-1",subsystem="http",state="waiting"} 2',
        '# HELP kong_nginx_requests_total Number of requests total',
        '# TYPE kong_nginx_requests_total gauge',
        'kong_nginx_requests_total{node_id="node-1",subsystem="http"} 25',
        '# HELP kong_nginx_timers Number of nginx timers',
        '# TYPE kong_nginx_timers gauge',
        'kong_nginx_timers{state="running"} 0',
        'kong_nginx_timers{state="pending"} 4',
        '# HELP kong_datastore_reachable Datastore reachable from Kong, 0 is unreachable',
        '# TYPE kong_datastore_reachable gauge',
        'kong_datastore_reachable 1',
        '# HELP kong_node_info Kong Node metadata information',
        '# TYPE kong_node_info gauge',
        'kong_node_info{node_id="node-1",version="0.1.0"} 1',
        '# HELP kong_upstream_target_health Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
        '# TYPE kong_upstream_target_health gauge',
        'kong_upstream_target_health{upstream="up",target="127.0.0.1:80",address="127.0.0.1:80",state="healthchecks_off",subsystem="http"} 0',
        'kong_upstream_target_health{upstream="up",target="127.0.0.1:80",address="127.0.0.1:80",state="healthy",subsystem="http"} 0',
        'kong_upstream_target_health{upstream="up",target="127.0.0.1:80",address="127.0.0.1:80",state="unhealthy",subsystem="http"} 1',
        'kong_upstream_target_health{upstream="up",target="127.0.0.1:80",address="127.0.0.1:80",state="dns_error",subsystem="http"} 0',
        '# HELP kong_memory_workers_lua_vms_bytes Allocated bytes in worker Lua VM',
        '# TYPE kong_memory_workers_lua_vms_bytes gauge',
        'kong_memory_workers_lua_vms_bytes{node_id="node-1",pid="101",kong_subsystem="http"} 2048',
        'kong_memory_workers_lua_vms_bytes{node_id="node-1",pid="102",kong_subsystem="http"} 4096',
        '# HELP kong_memory_lua_shared_dict_bytes Allocated slabs in bytes in a shared_dict',
        '# TYPE kong_memory_lua_shared_dict_bytes gauge',
        'kong_memory_lua_shared_dict_bytes{node_id="node-1",shared_dict="kong_db_cache",kong_subsystem="http"} 512',
        '# HELP kong_memory_lua_shared_dict_total_bytes Total capacity in bytes of a shared_dict',
        '# TYPE kong_memory_lua_shared_dict_total_bytes gauge',
        'kong_memory_lua_shared_dict_total_bytes{node_id="node-1",shared_dict="kong_db_cache",kong_subsystem="http"} 1024',
        '# HELP kong_db_entities_total Total number of Kong db entities',
        '# TYPE kong_db_entities_total gauge',
        'kong_db_entities_total 7',
        '# HELP kong_db_entity_count_errors Errors during entity count collection',
        '# TYPE kong_db_entity_count_errors counter',
        'kong_db_entity_count_errors 0',
        '# HELP kong_nginx_metric_errors_total Number of nginx-lua-prometheus errors',
        '# TYPE kong_nginx_metric_errors_total counter',
        'kong_nginx_metric_errors_total 0',
        '',
      ].join('\n'),
    );
  });

  test('target health is left out when no instance asks for it', () => {
    assert.doesNotMatch(renderNodeMetrics({ ...INPUT, targetHealth: null }), /kong_upstream_target_health/);
    assert.equal(targetState(null), 'healthchecks_off');
    assert.equal(targetState(true), 'healthy');
    assert.equal(targetState(false), 'unhealthy');
  });

  test('instances: enabled ones count; upstream_health_metrics is on when any instance sets it', () => {
    assert.deepEqual(prometheusInstances([]), { enabled: false, upstreamHealth: false });
    assert.deepEqual(prometheusInstances([{ name: 'prometheus', enabled: false, config: { upstream_health_metrics: true } }]), { enabled: false, upstreamHealth: false });
    assert.deepEqual(
      prometheusInstances([
        { name: 'key-auth', config: {} },
        { name: 'prometheus', enabled: true, config: { upstream_health_metrics: false } },
        { name: 'prometheus', config: { upstream_health_metrics: true } },
      ]),
      { enabled: true, upstreamHealth: true },
    );
    const hide = hiddenFamily({ enabled: false, upstreamHealth: false });
    assert.equal(hide('kong_http_requests_total'), true);
    assert.equal(hide('kong_bandwidth_bytes'), true);
    assert.equal(hide('tollgate_shared_cache_bytes'), false);
    assert.equal(hiddenFamily({ enabled: true, upstreamHealth: false })('kong_http_requests_total'), false);
  });

  test('gathering: worker counters are summed, each worker has its heap, an unreachable database is 0', async () => {
    const config = emptyFlatConfig();
    config.upstreams.push({ id: 'u1', name: 'up' } as (typeof config.upstreams)[number]);
    config.services.push({ id: 's1' } as (typeof config.services)[number]);
    const source: NodeMetricsSource = {
      nodeId: 'n',
      role: 'traditional',
      currentConfig: () => ({ config }),
      workerStats: async () => [
        { accepted: 4, active: 2, requests: 9, inFlight: 1, pid: 11, heapUsed: 100, timers: 2 },
        { accepted: 6, active: 1, requests: 11, inFlight: 0, pid: 12, heapUsed: 200, timers: 3 },
      ],
      pingDatastore: () => Promise.reject(new Error('connection refused')),
      targetsOf: () => [{ key: '10.0.0.1:80', healthy: true }],
      supervisorStats: () => ({ pid: 10, heapUsed: 50, timers: 1 }),
      sharedDicts: () => [],
      metricErrors: () => 2,
    };
    const text = await nodeMetricsText(source, { enabled: true, upstreamHealth: true });
    assert.match(text, /^kong_nginx_connections_total\{node_id="n",subsystem="http",state="accepted"\} 10$/m);
    assert.match(text, /^kong_nginx_connections_total\{node_id="n",subsystem="http",state="total"\} 20$/m);
    assert.match(text, /^kong_nginx_connections_total\{node_id="n",subsystem="http",state="writing"\} 1$/m);
    assert.match(text, /^kong_nginx_connections_total\{node_id="n",subsystem="http",state="waiting"\} 2$/m);
    assert.match(text, /^kong_nginx_timers\{state="pending"\} 6$/m);
    assert.match(text, /^kong_memory_workers_lua_vms_bytes\{node_id="n",pid="10",kong_subsystem="http"\} 50$/m);
    assert.match(text, /^kong_datastore_reachable 0$/m);
    assert.match(text, /^kong_memory_workers_lua_vms_bytes\{node_id="n",pid="12",kong_subsystem="http"\} 200$/m);
    assert.match(text, /^kong_upstream_target_health\{upstream="up",target="10.0.0.1:80",address="10.0.0.1:80",state="healthy",subsystem="http"\} 1$/m);
    assert.match(text, /^kong_db_entities_total 2$/m);
    assert.match(text, /^kong_nginx_metric_errors_total 2$/m);
    const cp = await nodeMetricsText({ ...source, role: 'control_plane', pingDatastore: null }, { enabled: true, upstreamHealth: true });
    assert.doesNotMatch(cp, /kong_upstream_target_health/);
    assert.match(cp, /^kong_datastore_reachable 1$/m);
  });
});
