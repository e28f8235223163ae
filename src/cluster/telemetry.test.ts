import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrafficCounter } from '../proxy/traffic.ts';
import { clusterTrafficFrom, mergeClusterTraffic, mergeServiceMaps, TelemetryAggregator } from './telemetry.ts';

test('a worker counts per service and hands its counts over once', () => {
  const c = new TrafficCounter();
  c.record('s1', 200, 10, 8, false);
  c.record('s1', 502, 30, 0, true);
  c.record('', 404, 1, 0, false);
  const taken = c.take();
  assert.deepEqual(taken.services.s1, {
    requests: 2, status: { '2xx': 1, '5xx': 1 }, errors: 1, latency_ms_sum: 40, latency_ms_max: 30, upstream_latency_ms_sum: 8,
  });
  assert.equal(taken.services[''].status['4xx'], 1);
  assert.deepEqual(c.take().services, {}, 'counts start afresh');
});

test('the control plane adds reports up per service and per data plane, ignoring malformed numbers', () => {
  const agg = new TelemetryAggregator();
  const s = (requests: number) => ({ requests, status: { '2xx': requests }, errors: 0, latency_ms_sum: requests * 2, latency_ms_max: 5, upstream_latency_ms_sum: requests });
  agg.add({ type: 'telemetry', node_id: 'dp1', from: 0, to: 10, services: { a: s(3) } });
  agg.add({ type: 'telemetry', node_id: 'dp2', from: 0, to: 10, services: { a: s(2), b: s(1) } });
  agg.add({ type: 'telemetry', node_id: 'dp1', from: 10, to: 20, services: { a: { ...s(1), requests: -7, status: { '2xx': 1, evil: 9 } } } });
  const services = agg.services();
  assert.equal(services.a.requests, 5, 'a negative count is taken as 0');
  assert.deepEqual(services.a.status, { '2xx': 6 });
  assert.equal(services.b.requests, 1);
  const dp1 = agg.dataPlanes().find((d) => d.node_id === 'dp1');
  assert.equal(dp1?.reports, 2);
  assert.equal(dp1?.last_report, 20);
});

test("several control planes' totals add up; a document from the database is checked", () => {
  const one = new TelemetryAggregator();
  one.add({ type: 'telemetry', node_id: 'dp1', from: 0, to: 10, services: { a: { requests: 2, status: { '2xx': 2 }, errors: 0, latency_ms_sum: 4, latency_ms_max: 3, upstream_latency_ms_sum: 2 } } });
  const two = new TelemetryAggregator();
  two.add({ type: 'telemetry', node_id: 'dp1', from: 20, to: 30, services: { a: { requests: 1, status: { '5xx': 1 }, errors: 1, latency_ms_sum: 9, latency_ms_max: 9, upstream_latency_ms_sum: 0 } } });
  two.add({ type: 'telemetry', node_id: 'dp2', from: 20, to: 30, services: {} });
  const stored = clusterTrafficFrom(JSON.parse(JSON.stringify(two.snapshot())));
  const merged = mergeClusterTraffic([one.snapshot(), stored]);
  assert.deepEqual(merged.services.a, mergeServiceMaps([one.services(), two.services()]).a);
  assert.equal(merged.services.a.requests, 3);
  assert.equal(merged.services.a.latency_ms_max, 9);
  const dp1 = merged.data_planes.find((d) => d.node_id === 'dp1');
  assert.deepEqual([dp1?.first_report, dp1?.last_report, dp1?.reports, dp1?.totals.requests], [10, 30, 2, 3]);
  assert.equal(merged.data_planes.length, 2);
  assert.equal(one.snapshot().services.a.requests, 2, 'merging does not change the parts');
  assert.deepEqual(clusterTrafficFrom({ services: { x: 'nope' }, data_planes: [{ node_id: 5 }, null] }), { services: {}, data_planes: [] });
});
