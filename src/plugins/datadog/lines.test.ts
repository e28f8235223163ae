import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogRecord } from '../../pdk/index.ts';
import { datadogLines, type DatadogLinesConf } from './lines.ts';
import { DATADOG_DEFAULT_METRICS } from './schema.ts';

const record = {
  request: { uri: '/', url: 'http://x/', querystring: {}, method: 'GET', headers: {}, size: 120, id: 'r' },
  upstream_uri: '/',
  upstream_status: '201',
  response: { status: 201, size: 300, headers: {} },
  tries: [],
  latencies: { request: 12, kong: 2, proxy: 9, receive: 1 },
  service: { id: 'sid', name: 'my.svc', host: 'up.example' },
  route: { id: 'rid', name: 'r1' },
  consumer: { id: 'c-i-d', username: 'ann', custom_id: 'c1' },
  client_ip: '127.0.0.1',
  started_at: 0,
  workspace: '00000000-0000-0000-0000-000000000000',
  workspace_name: 'default',
  source: 'upstream',
} as LogRecord;

const conf: DatadogLinesConf = { prefix: 'kong', serviceNameTag: 'name', statusTag: 'status', consumerTag: 'consumer', metrics: DATADOG_DEFAULT_METRICS };

test("Kong's default metrics: names, types, service/status/consumer tags, then the metric's own", () => {
  assert.deepEqual(datadogLines(conf, record), [
    'kong.request.count:1|c|#name:my_svc,status:201,consumer:c1,app:kong',
    'kong.latency:12|ms|#name:my_svc,status:201,consumer:c1,app:kong',
    'kong.request.size:120|ms|#name:my_svc,status:201,consumer:c1,app:kong',
    'kong.response.size:300|ms|#name:my_svc,status:201,consumer:c1,app:kong',
    'kong.upstream_latency:9|ms|#name:my_svc,status:201,consumer:c1,app:kong',
    'kong.kong_latency:2|ms|#name:my_svc,status:201,consumer:c1,app:kong',
  ]);
});

test('sample rates, consumer identifiers, tag names, a service without a name, no consumer', () => {
  const custom: DatadogLinesConf = {
    prefix: 'gw',
    serviceNameTag: 'svc',
    statusTag: 'code',
    consumerTag: 'who',
    metrics: [
      { name: 'request_count', stat_type: 'counter', sample_rate: 0.5, consumer_identifier: 'consumer_id' },
      { name: 'latency', stat_type: 'distribution', consumer_identifier: 'username', tags: ['env:test'] },
    ],
  };
  assert.deepEqual(datadogLines(custom, { ...record, service: { id: 's', name: null, host: 'up.example' } } as LogRecord), [
    'gw.request.count:1|c|@0.5|#svc:up_example,code:201,who:c_i_d',
    'gw.latency:12|d|#svc:up_example,code:201,who:ann,env:test',
  ]);
  const anonymous = { ...record, consumer: undefined, service: undefined } as LogRecord;
  assert.deepEqual(datadogLines({ ...conf, metrics: [conf.metrics[0]!] }, anonymous), ['kong.request.count:1|c|#name:,status:201,app:kong']);
});
