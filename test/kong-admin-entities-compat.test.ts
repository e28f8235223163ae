/**
 * Admin API behaviours Kong's own integration specs assert for upstreams, targets, certificates and the other
 * entities of `spec/02-integration/04-admin_api/` (06 to 25), checked against a real node with a database.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await request(`${base}${path}`, {
    method: method as 'GET',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

interface HealthEntry {
  id: string;
  target: string;
  health: string;
  data?: { addresses: { ip: string; port: number; health: string; weight: number }[] } | null;
}

describe('Kong admin specs: upstreams, targets and entity keys', () => {
  let node: TollgateNode;
  const api = (method: string, path: string, body?: unknown) => call(node.admin, method, path, body);

  before(async () => {
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite' }, waitFor: 'listening' });
  });
  after(async () => {
    await node?.stop();
  });

  it('a URL naming an entity by a value its key field cannot hold is 400 invalid unique, not 404', async () => {
    // Kong's DAO validates the endpoint key before it looks (07-upstreams_routes_spec "handles invalid input").
    const put = await api('PUT', '/upstreams/1.2.3.4', { created_at: 1461276890000 });
    assert.equal(put.status, 400);
    assert.deepEqual(put.body, { code: 10, name: 'invalid unique name', message: "Invalid name ('1.2.3.4'); no ip addresses allowed" });
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await api(method, '/upstreams/1.2.3.4', method === 'PATCH' ? { slots: 10 } : undefined);
      assert.equal(res.status, 400, method);
      assert.equal(res.body.name, 'invalid unique name', method);
    }
    const service = await api('GET', '/services/foo%20bar');
    assert.equal(service.status, 400);
    assert.equal(service.body.code, 10);
    assert.match(String(service.body.message), /^invalid value 'foo bar'/);
    // 19-vaults_spec: a vault prefix the schema forbids.
    assert.deepEqual(await api('PUT', '/vaults/env', { name: 'env' }), {
      status: 400,
      body: { code: 10, name: 'invalid unique prefix', message: 'must not be one of: env' },
    });
    // A valid name that names nothing is still a plain 404.
    assert.deepEqual(await api('GET', '/upstreams/no.such.upstream'), { status: 404, body: { message: 'Not found' } });
  });

  it('GET /upstreams/{upstream}/health lists targets newest first, resolved, DNS_ERROR and weight-0 as Kong does', async () => {
    assert.equal((await api('POST', '/upstreams', { name: 'health-order' })).status, 201);
    const created: string[] = [];
    for (const [target, weight] of [['127.0.0.1:8101', 10], ['bad-health-target-1:80', 10], ['localhost:8102', 10], ['127.0.0.1:8103', 0]] as const) {
      const res = await api('POST', '/upstreams/health-order/targets', { target, weight });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      created.push(String(res.body.id));
    }
    const list = async (path: string): Promise<HealthEntry[]> => {
      const res = await api('GET', path);
      assert.equal(res.status, 200);
      return res.body.data as HealthEntry[];
    };
    await waitUntil(async () => (await list('/upstreams/health-order/health')).length === 4, 10_000, 'targets served');
    for (const path of ['/upstreams/health-order/health', '/upstreams/health-order/health/']) {
      const data = await list(path);
      assert.deepEqual(data.map((t) => t.id), [...created].reverse(), 'newest first');
      const byTarget = new Map(data.map((t) => [t.target, t]));
      assert.equal(byTarget.get('bad-health-target-1:80')?.health, 'DNS_ERROR');
      const named = byTarget.get('localhost:8102');
      assert.equal(named?.health, 'HEALTHCHECKS_OFF');
      assert.ok(named?.data?.addresses.every((a) => a.ip !== 'localhost' && a.port === 8102), 'addresses are resolved');
      assert.equal(byTarget.get('127.0.0.1:8103')?.data?.addresses[0].health, 'HEALTHCHECKS_OFF');
    }

    // With passive checks on, checked targets are HEALTHY; a weight-0 target stays HEALTHCHECKS_OFF.
    const patch = await api('PATCH', '/upstreams/health-order', {
      healthchecks: { passive: { healthy: { successes: 1 }, unhealthy: { tcp_failures: 1, http_failures: 1, timeouts: 1 } } },
    });
    assert.equal(patch.status, 200);
    await waitUntil(async () => (await list('/upstreams/health-order/health')).some((t) => t.health === 'HEALTHY'), 10_000, 'checks on');
    const byTarget = new Map((await list('/upstreams/health-order/health')).map((t) => [t.target, t]));
    assert.equal(byTarget.get('127.0.0.1:8101')?.health, 'HEALTHY');
    assert.equal(byTarget.get('localhost:8102')?.health, 'HEALTHY');
    assert.equal(byTarget.get('bad-health-target-1:80')?.health, 'DNS_ERROR');
    const idle = byTarget.get('127.0.0.1:8103');
    assert.equal(idle?.health, 'HEALTHCHECKS_OFF');
    assert.deepEqual(idle?.data?.addresses.map((a) => a.health), ['HEALTHCHECKS_OFF']);

    // An address as the listing shows it (the resolved IP of a named target) sets that target's state.
    const ip = byTarget.get('localhost:8102')?.data?.addresses[0].ip;
    const put = await request(`${node.admin}/upstreams/health-order/targets/localhost:8102/${ip}:8102/unhealthy`, { method: 'PUT' });
    assert.equal(put.statusCode, 204, await put.body.text());
    await waitUntil(async () => (await list('/upstreams/health-order/health')).some((t) => t.target === 'localhost:8102' && t.health === 'UNHEALTHY'), 10_000, 'address set unhealthy');
    const other = await request(`${node.admin}/upstreams/health-order/targets/localhost:8102/10.9.9.9:8102/unhealthy`, { method: 'PUT' });
    assert.equal(other.statusCode, 404, await other.body.text());
  });

  it("tag filters: Kong's 14-tags spec cases, with a byte that is not UTF-8 refused", async () => {
    for (const i of [1, 2]) {
      const res = await api('POST', '/consumers', { username: `tagged-${i}`, tags: ['corp_ a', `consumer_ ${i}`, '🦍'] });
      assert.equal(res.status, 201);
    }
    const count = async (query: string) => {
      const res = await api('GET', `/consumers?${query}`);
      return res.status === 200 ? (res.body.data as unknown[]).length : `${res.status} ${String(res.body.message)}`;
    };
    assert.equal(await count('tags=corp_%20a'), 2);
    assert.equal(await count('tags=%F0%9F%A6%8D'), 2);
    assert.equal(await count('tags=corp_%20a,consumer_%201'), 1);
    assert.equal(await count('tags=consumer_%202/consumer_%201'), 2);
    assert.equal(await count("tags=''"), 0);
    assert.equal(await count('tags='), '400 invalid option (tags: cannot be null)');
    assert.equal(await count('tags=consumer_%203,consumer_%202/consumer_%201'), '400 invalid option (tags: invalid filter syntax)');
    assert.equal(await count('tags=%FF'), '400 invalid option (tags: invalid filter syntax)');
  });
});
