import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';

const CONFIG = `
_format_version: "3.0"
services:
  - name: alpha
    url: http://127.0.0.1:9/
    tags: [team-a]
    routes:
      - name: alpha-1
        paths: ["/a1"]
      - name: alpha-2
        paths: ["/a2"]
  - name: beta
    host: beta.internal
    tags: [team-b, shared]
  - name: gamma
    host: gamma.internal
    tags: [team-a, shared]
upstreams:
  - name: pool.internal
    targets:
      - target: 127.0.0.1:9001
      - target: 127.0.0.1:9002
        weight: 50
consumers:
  - username: alice
    keyauth_credentials:
      - key: alice-key
`;

async function get(node: TollgateNode, path: string) {
  const res = await request(`${node.admin}${path}`);
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text === '' ? null : JSON.parse(text) };
}

describe('Admin API in DB-less mode', () => {
  let node: TollgateNode;
  before(async () => {
    node = await startTollgate({ config: CONFIG });
  });
  after(async () => {
    await node?.stop();
  });

  test('admin_access_log gets a combined line per Admin API request', async () => {
    assert.equal((await get(node, '/services?probe=access-log')).status, 200);
    const file = join(node.prefix, 'logs', 'admin_access.log');
    await waitUntil(() => existsSync(file) && readFileSync(file, 'utf8').includes('"GET /services?probe=access-log HTTP/1.1" 200'), 5000, 'the access log line');
  });

  test('GET / describes the node', async () => {
    const r = await get(node, '/');
    assert.equal(r.status, 200);
    // The Kong version whose API this is (Kong Manager and decK gate their 3.x features on it); Tollgate's own apart.
    assert.match(r.body.version, /^3\.\d+\.\d+$/);
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
    assert.equal(r.body.tollgate_version, pkg.version);
    assert.match(r.body.node_id, /^[0-9a-f-]{36}$/);
    assert.equal(r.body.configuration.database, 'off');
    assert.equal(r.body.pids.workers.length, 1);
    assert.ok(Array.isArray(r.body.plugins.enabled_in_cluster));
    assert.match(String(r.headers.server), /^tollgate\//);
  });

  test('GET /status carries the configuration hash', async () => {
    const r = await get(node, '/status');
    assert.equal(r.status, 200);
    assert.match(r.body.configuration_hash, /^[0-9a-f]{32}$/);
    assert.notEqual(r.body.configuration_hash, '0'.repeat(32));
    assert.equal(typeof r.body.server.total_requests, 'number');
  });

  test('collections list entities with Kong-derived ids, by id and by name', async () => {
    const list = await get(node, '/services');
    assert.equal(list.status, 200);
    assert.equal(list.body.data.length, 3);
    assert.equal(list.body.next, null);
    const alpha = await get(node, '/services/alpha');
    assert.equal(alpha.status, 200);
    assert.equal(alpha.body.host, '127.0.0.1');
    assert.equal(alpha.body.port, 9);
    const byId = await get(node, `/services/${alpha.body.id}`);
    assert.deepEqual(byId.body, alpha.body);
    assert.equal((await get(node, '/services/nope')).status, 404);
  });

  test('nested collections and the parent seen from the child', async () => {
    const routes = await get(node, '/services/alpha/routes');
    assert.deepEqual(routes.body.data.map((r: { name: string }) => r.name).sort(), ['alpha-1', 'alpha-2']);
    const svc = await get(node, '/routes/alpha-1/service');
    assert.equal(svc.body.name, 'alpha');
    const targets = await get(node, '/upstreams/pool.internal/targets');
    assert.equal(targets.body.data.length, 2);
    const keys = await get(node, '/consumers/alice/key-auth');
    assert.equal(keys.body.data[0].key, 'alice-key');
    assert.equal((await get(node, '/key-auths/alice-key/consumer')).body.username, 'alice');
    assert.equal((await get(node, '/targets')).status, 404);
  });

  test('pagination with size, offset and next', async () => {
    const first = await get(node, '/services?size=2');
    assert.equal(first.body.data.length, 2);
    assert.ok(first.body.offset);
    assert.equal(first.body.next, `/services?offset=${encodeURIComponent(first.body.offset)}&size=2`);
    const second = await get(node, first.body.next);
    assert.equal(second.body.data.length, 1);
    assert.equal(second.body.next, null);
    const ids = [...first.body.data, ...second.body.data].map((s: { id: string }) => s.id);
    assert.deepEqual(ids, [...ids].sort());
    const bad = await get(node, '/services?size=0');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, 'size must be an integer between 1 and 1000');
    const badOffset = await get(node, '/services?offset=!!');
    assert.equal(badOffset.status, 400);
    assert.equal(badOffset.body.code, 7);
  });

  test('tags filter: a,b is AND, a/b is OR', async () => {
    const and = await get(node, '/services?tags=team-a,shared');
    assert.deepEqual(and.body.data.map((s: { name: string }) => s.name), ['gamma']);
    const or = await get(node, '/services?tags=team-a/team-b');
    assert.equal(or.body.data.length, 3);
    const bad = await get(node, '/services?tags=a,b/c');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, 'invalid option (tags: invalid filter syntax)');
  });

  test('writes get 405 with Kong’s operation-unsupported error', async () => {
    const post = await request(`${node.admin}/services`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"host":"x"}' });
    assert.equal(post.statusCode, 405);
    assert.deepEqual(await post.body.json(), {
      code: 12,
      name: 'operation unsupported',
      message: "cannot create 'services' entities when not using a database",
    });
    const patch = await request(`${node.admin}/services/alpha`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(patch.statusCode, 405);
    assert.equal(((await patch.body.json()) as { message: string }).message, "cannot update 'services' entities by 'name' when not using a database");
    const del = await request(`${node.admin}/services/does-not-exist`, { method: 'DELETE' });
    assert.equal(del.statusCode, 204);
    await del.body.text();
    const put = await request(`${node.admin}/services`, { method: 'PUT' });
    assert.equal(put.statusCode, 405);
    assert.deepEqual(await put.body.json(), { message: 'Method not allowed' });
  });

  test('unknown paths are 404 and OPTIONS lists the methods', async () => {
    assert.equal((await get(node, '/no/such/path')).status, 404);
    const opt = await request(`${node.admin}/services`, { method: 'OPTIONS', headers: { origin: 'http://ui.example' } });
    assert.equal(opt.statusCode, 204);
    assert.equal(opt.headers.allow, 'GET, HEAD, OPTIONS, POST');
    assert.equal(opt.headers['access-control-allow-origin'], 'http://ui.example');
    await opt.body.text();
  });

  test('Admin API requests are written to the admin access log', async () => {
    await get(node, '/services?size=1&probe=admin-log');
    const file = join(node.prefix, 'logs', 'admin_access.log');
    await waitUntil(() => existsSync(file) && readFileSync(file, 'utf8').includes('probe=admin-log'), 5000, 'the admin access log line');
    assert.match(readFileSync(file, 'utf8'), /"GET \/services\?size=1&probe=admin-log HTTP\/1\.1" 200 [1-9]\d* /);
  });
});
