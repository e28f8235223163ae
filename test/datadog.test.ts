/**
 * The datadog plugin through bin/tollgate on SQLite, set up as Kong Manager does it (its plugins spec adds one
 * from a consumer's plugin tab, with the form's defaults): Kong's schema defaults, then DogStatsD lines for a
 * proxied request on a UDP socket, tagged with the service, the status and the consumer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { request } from 'undici';
import { KongManagerSuiteClient } from './helpers/kong-manager-suite.ts';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

describe('datadog plugin', () => {
  let node: TollgateNode;
  let upstream: TestUpstream;
  let agent: Socket;
  let agentPort: number;
  const lines: string[] = [];
  let km: KongManagerSuiteClient;
  before(async () => {
    agent = createSocket('udp4');
    agent.on('message', (m) => lines.push(...m.toString('utf8').split('\n')));
    await new Promise<void>((resolve) => agent.bind(0, '127.0.0.1', resolve));
    agentPort = agent.address().port;
    upstream = await startUpstream('dd-upstream');
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite' }, waitFor: 'listening' });
    km = new KongManagerSuiteClient(node.admin);
  });
  after(async () => {
    await node?.stop();
    await upstream?.close();
    agent?.close();
  });

  test("in the catalogue, with Kong's defaults when the form sends none", async () => {
    const info = (await km.ui('GET', '/')).body;
    assert.ok(info.plugins.available_on_server.datadog);
    const consumer = await km.create('/consumers', { username: 'dd-form' });
    const created = await km.ui('POST', `/consumers/${consumer.id}/plugins`, { name: 'datadog', enabled: true, protocols: ['grpc', 'grpcs', 'http', 'https'], tags: [] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const config = created.body.config;
    assert.deepEqual([config.host, config.port, config.prefix, config.service_name_tag, config.status_tag, config.consumer_tag], ['localhost', 8125, 'kong', 'name', 'status', 'consumer']);
    assert.deepEqual(config.metrics.map((m: { name: string; stat_type: string }) => `${m.name}:${m.stat_type}`), [
      'request_count:counter', 'latency:timer', 'request_size:timer', 'response_size:timer', 'upstream_latency:timer', 'kong_latency:timer',
    ]);
    const list = await km.ui('GET', `/consumers/${consumer.id}/plugins?sort_desc=1&size=30`);
    assert.deepEqual(list.body.data.map((p: { name: string }) => p.name), ['datadog']);
    const bad = await km.ui('POST', '/plugins', { name: 'datadog', config: { metrics: [{ name: 'request_count', stat_type: 'counter' }] } });
    assert.equal(bad.status, 400, 'a counter needs a sample rate');
  });

  test('a proxied request of a consumer becomes tagged DogStatsD lines', async () => {
    const service = await km.create('/services', { name: 'dd.service', url: `http://127.0.0.1:${upstream.port}` });
    const route = await km.create('/routes', { name: 'dd-route', paths: ['/dd'], service: { id: service.id } });
    const consumer = await km.create('/consumers', { username: 'dd-user', custom_id: 'dd-cid' });
    await km.create(`/consumers/${consumer.id}/key-auth`, { key: 'dd-key' });
    await km.create(`/routes/${route.id}/plugins`, { name: 'key-auth' });
    await km.create('/plugins', { name: 'datadog', config: { host: '127.0.0.1', port: agentPort, queue: { max_coalescing_delay: 0.1 } } });
    // Requests go on until lines arrive: a worker may serve the route (key-auth already there) before the
    // datadog plugin, created last, reaches its configuration.
    await waitUntil(async () => {
      if (lines.some((l) => l.startsWith('kong.kong_latency:'))) return true;
      const res = await request(`${node.proxy}/dd`, { headers: { apikey: 'dd-key' } });
      await res.body.text();
      return false;
    }, 30_000, 'the metrics');
    const count = lines.find((l) => l.startsWith('kong.request.count:'));
    assert.equal(count, 'kong.request.count:1|c|#name:dd_service,status:200,consumer:dd-cid,app:kong');
    for (const stat of ['latency', 'request.size', 'response.size', 'upstream_latency', 'kong_latency']) {
      assert.match(lines.find((l) => l.startsWith(`kong.${stat}:`)) ?? '', new RegExp(`^kong\\.${stat.replace('.', '\\.')}:\\d+\\|ms\\|#name:dd_service,status:200,consumer:dd-cid,app:kong$`));
    }
  });
});
