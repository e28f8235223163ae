import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';

/** A declarative file as Kong users write them (decK/`kong config db_export` style), loaded unchanged. */
function kongFile(a: number, b: number): string {
  return `
_format_version: "3.0"
_transform: true
_comment: exported from a Kong 3.x node
services:
- name: orders
  protocol: http
  host: 127.0.0.1
  port: ${a}
  path: /api
  retries: 3
  connect_timeout: 5000
  read_timeout: 30000
  write_timeout: 30000
  enabled: true
  tags: [team-orders, prod]
  routes:
  - name: orders-read
    methods: [GET, HEAD]
    paths: [/orders]
    strip_path: true
    preserve_host: false
    regex_priority: 0
    path_handling: v0
    https_redirect_status_code: 426
    request_buffering: true
    response_buffering: true
    protocols: [http, https]
    tags: [team-orders]
  - name: orders-by-id
    paths: ['~/orders/(?<order_id>\\d+)$']
    regex_priority: 10
    strip_path: false
  - name: orders-beta
    paths: [/orders]
    headers:
      x-beta: ["true"]
- name: catalog
  url: http://catalog.internal:8080/v1
  routes:
  - name: catalog
    hosts: [catalog.example.com, "*.catalog.example.com"]
upstreams:
- name: catalog.internal
  algorithm: round-robin
  slots: 10000
  healthchecks:
    active:
      type: http
      http_path: /health
      healthy: {interval: 0, successes: 1}
      unhealthy: {interval: 0, http_failures: 1}
    passive:
      type: http
  targets:
  - target: 127.0.0.1:${b}
    weight: 100
consumers:
- username: alice
  custom_id: alice-001
  tags: [partner]
  keyauth_credentials:
  - key: alice-secret-key
- username: bob
`;
}

describe('a declarative file written for Kong', () => {
  let a: TestUpstream;
  let b: TestUpstream;
  let node: TollgateNode;

  before(async () => {
    a = await startUpstream('orders');
    b = await startUpstream('catalog');
    node = await startTollgate({ config: kongFile(a.port, b.port), workers: 2 });
  });

  after(async () => {
    await node?.stop();
    await a?.close();
    await b?.close();
  });

  test('routes by method, prefix, regex and header like Kong', async () => {
    const list = (await (await request(`${node.proxy}/orders?page=2`)).body.json()) as Echo;
    assert.equal(list.server, 'orders');
    assert.equal(list.url, '/api?page=2');
    // The documented order (route_match_calculation = strict, the default); a running Kong 3.x with its
    // default `original` picks the regex route here (test/route-match-calculation.test.ts).
    const get = (await (await request(`${node.proxy}/orders/42`)).body.json()) as Echo;
    assert.equal(get.url, '/api/42', 'methods+paths outranks a paths-only regex route');
    const head = await request(`${node.proxy}/orders`, { method: 'HEAD' });
    assert.equal(head.statusCode, 200, 'methods+paths still serves what the regex does not match');
    await head.body.text();
    const del = (await (await request(`${node.proxy}/orders/42`, { method: 'DELETE' })).body.json()) as Echo;
    assert.equal(del.url, '/api/orders/42', 'the regex route matches other methods and does not strip');
    const beta = (await (await request(`${node.proxy}/orders/x`, { method: 'POST', headers: { 'x-beta': 'TRUE' } })).body.json()) as Echo;
    assert.equal(beta.url, '/api/x', 'header values match case-insensitively');
    const post = await request(`${node.proxy}/orders/x`, { method: 'POST' });
    assert.equal(post.statusCode, 404, 'POST without the header matches no route');
    await post.body.text();
  });

  test('a service named after an upstream balances over its targets, with the path of its url', async () => {
    const res = await request(`${node.proxy}/items`, { headers: { host: 'shop.catalog.example.com' } });
    const echo = (await res.body.json()) as Echo;
    assert.equal(echo.server, 'catalog');
    assert.equal(echo.url, '/v1/items');
    assert.equal(echo.headers.host, `127.0.0.1:${b.port}`);
  });

  test('entities get Kong’s derived ids; nested credentials are loaded', async () => {
    const svc = (await (await request(`${node.admin}/services/orders`)).body.json()) as { id: string };
    assert.match(svc.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUIDv5 derived from the name');
    const again = await startTollgate({ config: kongFile(a.port, b.port) });
    try {
      const svc2 = (await (await request(`${again.admin}/services/orders`)).body.json()) as { id: string };
      assert.equal(svc2.id, svc.id, 'the same file gives the same ids on every node');
    } finally {
      await again.stop();
    }
    const keys = (await (await request(`${node.admin}/consumers/alice/key-auth`)).body.json()) as { data: Array<{ key: string }> };
    assert.equal(keys.data[0].key, 'alice-secret-key');
  });

  test('a Kong 1.1 file with unprefixed regex paths is migrated', async () => {
    const res = await request(`${node.admin}/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        _format_version: '1.1',
        services: [{ name: 'legacy', url: `http://127.0.0.1:${a.port}`, routes: [{ name: 'legacy', paths: ['/users/\\d+$'], strip_path: false }] }],
      }),
    });
    assert.equal(res.statusCode, 201, await res.body.text());
    const hit = await request(`${node.proxy}/users/7`);
    assert.equal(hit.statusCode, 200);
    await hit.body.text();
    const miss = await request(`${node.proxy}/users/x`);
    assert.equal(miss.statusCode, 404);
    await miss.body.text();
  });
});
