import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogRecord } from '../../pdk/index.ts';
import { packLines, statsdLines, type MetricConf } from './lines.ts';

const record = {
  request: { uri: '/', url: 'http://x/', querystring: {}, method: 'GET', headers: {}, size: 120, id: 'r' },
  upstream_uri: '/',
  upstream_status: '201',
  response: { status: 201, size: 300, headers: {} },
  tries: [],
  latencies: { request: 12, kong: 2, proxy: 9, receive: 1 },
  service: { id: 'sid', name: 'my.svc', host: 'up.example' },
  route: { id: 'rid', name: 'r1' },
  consumer: { id: 'cid', username: 'ann', custom_id: 'c-1' },
  client_ip: '127.0.0.1',
  started_at: 0,
  workspace: '00000000-0000-0000-0000-000000000000',
  workspace_name: 'default',
  source: 'upstream',
} as LogRecord;

function metric(name: string, kind: string, extra: Partial<MetricConf> = {}): MetricConf {
  return { name, kind, rate: '', consumerIdentifier: 'custom_id', serviceIdentifier: 'service_name_or_host', workspaceIdentifier: 'workspace_id', ...extra };
}

const ALL = [
  metric('request_count', 'c'),
  metric('latency', 'ms'),
  metric('request_size', 'c'),
  metric('status_count', 'c'),
  metric('response_size', 'c', { rate: '|@0.5' }),
  metric('unique_users', 's'),
  metric('request_per_user', 'c', { consumerIdentifier: 'username' }),
  metric('upstream_latency', 'ms'),
  metric('kong_latency', 'ms'),
  metric('status_count_per_user', 'c'),
  metric('status_count_per_workspace', 'c', { workspaceIdentifier: 'workspace_name' }),
  metric('status_count_per_user_per_route', 'c'),
  metric('shdict_usage', 'g'),
];

test("Kong's metric names without a tag style", () => {
  assert.deepEqual(statsdLines({ prefix: 'kong', tagStyle: null, metrics: ALL, hostname: 'h' }, record), [
    'kong.service.my_svc.request.count:1|c',
    'kong.service.my_svc.latency:12|ms',
    'kong.service.my_svc.request.size:120|c',
    'kong.service.my_svc.status.201:1|c',
    'kong.service.my_svc.response.size:300|c|@0.5',
    'kong.service.my_svc.user.uniques:c-1|s',
    'kong.service.my_svc.user.ann.request.count:1|c',
    'kong.service.my_svc.upstream_latency:9|ms',
    'kong.service.my_svc.kong_latency:2|ms',
    'kong.service.my_svc.user.c-1.status.201:1|c',
    'kong.service.my_svc.workspace.default.status.201:1|c',
    'kong.route.rid.user.c-1.status.201:1|c',
  ]);
});

test('no service: global.unmatched; no upstream: no upstream_latency', () => {
  const r = { ...record, service: undefined, latencies: { ...record.latencies, proxy: -1 } } as LogRecord;
  assert.deepEqual(statsdLines({ prefix: 'kong', tagStyle: null, metrics: [metric('request_count', 'c'), metric('upstream_latency', 'ms')], hostname: 'h' }, r), [
    'kong.global.unmatched.request.count:1|c',
  ]);
});

test('tag styles', () => {
  const conf = (tagStyle: string) => ({ prefix: 'kong', tagStyle, metrics: [metric('request_count', 'c'), metric('status_count', 'c')], hostname: 'node1' });
  const tags = 'service:my.svc,route:r1,workspace:00000000-0000-0000-0000-000000000000,consumer:c-1,node:node1,status:201';
  assert.deepEqual(statsdLines(conf('dogstatsd'), record), [`kong.request.count:1|c|#${tags}`]);
  assert.deepEqual(statsdLines(conf('influxdb'), record), [`kong.request.count,${tags.replace(/:/g, '=')}:1|c`]);
  assert.deepEqual(statsdLines(conf('librato'), record), [`kong.request.count#${tags.replace(/:/g, '=')}:1|c`]);
  assert.deepEqual(statsdLines(conf('signalfx'), record), [`kong.request.count[${tags.replace(/:/g, '=')}]:1|c`]);
});

test('packs lines into datagrams up to the packet size', () => {
  assert.deepEqual(packLines(['aaaa', 'bbbb', 'cccc'], 9), ['aaaa\nbbbb', 'cccc']);
  assert.deepEqual(packLines(['aaaa', 'bbbb'], 0), ['aaaa', 'bbbb']);
  assert.deepEqual(packLines(['toolongline'], 4), ['toolongline']);
});
