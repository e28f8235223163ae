/**
 * router_flavor = expressions through a real node and a real upstream: expression routes (and a
 * traditional one) created through the Admin API on PostgreSQL, validation errors as Kong words them, the
 * schema endpoint, and the same routing from a DB-less declarative file; a traditional flavor refuses
 * `expression` as an unknown field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';

const FLAVOR = { TOLLGATE_ROUTER_FLAVOR: 'expressions' };

async function json(base: string, method: string, path: string, body?: unknown) {
  const res = await request(`${base}${path}`, {
    method: method as 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? null : JSON.parse(text), text };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, text, echo: res.statusCode === 200 ? (JSON.parse(text) as Echo) : null };
}

/** Checks the routing both configurations below set up. */
async function checkRouting(node: TollgateNode): Promise<void> {
  // Highest priority first: /api with the tenant header goes to `tenant`, stripped of /api.
  const tenant = await get(`${node.proxy}/api/users?x=1`, { 'x-tenant': 'acme' });
  assert.equal(tenant.status, 200, tenant.text);
  assert.equal(tenant.echo?.url, '/tenant/users?x=1');
  assert.equal(tenant.echo?.headers['x-forwarded-prefix'], '/api');
  // Without it, `api` (lower priority).
  assert.equal((await get(`${node.proxy}/api/users`)).echo?.url, '/users');
  // A regex with a named capture, strip_path off.
  assert.equal((await get(`${node.proxy}/items/42`)).echo?.url, '/items/42');
  assert.equal((await get(`${node.proxy}/items/abc`)).status, 404);
  // Query argument and method.
  assert.equal((await get(`${node.proxy}/q?debug=1`)).echo?.url, '/q?debug=1');
  assert.equal((await get(`${node.proxy}/q?debug=2`)).status, 404);
  // Case-insensitive path and the client address: loopback is in 127.0.0.0/8.
  assert.equal((await get(`${node.proxy}/CaSe`)).status, 200);
  // The traditional route still routes, below every expression route.
  assert.equal((await get(`${node.proxy}/classic/x`, { host: 'classic.test' })).echo?.url, '/x');
  assert.equal((await get(`${node.proxy}/nothing`)).status, 404);
}

function routesFor(port: number) {
  return {
    service: { name: 'svc', url: `http://127.0.0.1:${port}` },
    tenantService: { name: 'tenant-svc', url: `http://127.0.0.1:${port}/tenant` },
    routes: [
      { name: 'tenant', service: 'tenant-svc', expression: 'http.path ^= "/api" && http.headers.x_tenant == "acme"', priority: 200 },
      { name: 'api', service: 'svc', expression: 'http.path ^= "/api"', priority: 100 },
      { name: 'items', service: 'svc', expression: 'http.path ~ r#"^/items/(?P<id>\\d+)$"#', priority: 50, strip_path: false },
      { name: 'query', service: 'svc', expression: 'http.method == "GET" && http.queries.debug == "1"', priority: 40 },
      { name: 'case', service: 'svc', expression: 'lower(http.path) == "/case" && net.src.ip in 127.0.0.0/8', priority: 30, strip_path: false },
      { name: 'classic', service: 'svc', hosts: ['classic.test'], paths: ['/classic'] },
    ],
  };
}

describe('expressions router with the Admin API on PostgreSQL', () => {
  let up: TestUpstream;
  let db: TestDatabase;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('expressions-up');
    db = await createTestDatabase();
    const boot = await runTollgate(['migrations', 'bootstrap'], { ...db.env, ...FLAVOR });
    assert.equal(boot.code, 0, boot.stderr);
    node = await startTollgate({ env: { ...db.env, ...FLAVOR } });
  });
  after(async () => {
    await node?.stop();
    await db?.drop();
    await up?.close();
  });

  test('routes are created, validated and routed', async () => {
    const config = routesFor(up.port);
    assert.equal((await json(node.admin, 'POST', '/services', config.service)).status, 201);
    assert.equal((await json(node.admin, 'POST', '/services', config.tenantService)).status, 201);
    for (const { service, ...route } of config.routes) {
      const created = await json(node.admin, 'POST', `/services/${service}/routes`, route);
      assert.equal(created.status, 201, created.text);
    }
    const read = await json(node.admin, 'GET', '/routes/tenant');
    assert.equal(read.body.expression, 'http.path ^= "/api" && http.headers.x_tenant == "acme"');
    assert.equal(read.body.priority, 200);
    assert.equal((await json(node.admin, 'GET', '/routes/classic')).body.priority, 0);
    await waitUntil(async () => (await get(`${node.proxy}/classic/x`, { host: 'classic.test' })).status === 200, 20_000, 'the routes to reach the proxy');
    await checkRouting(node);
  });

  test('invalid expressions are refused with Kong message', async () => {
    const bad = await json(node.admin, 'POST', '/routes', { expression: 'http.path ^= "/x" &&' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.name, 'schema violation');
    assert.deepEqual(bad.body.fields, {
      '@entity': ['Router Expression failed validation:  --> 1:21\n  |\n1 | http.path ^= "/x" &&\n  |                     ^---\n  |\n  = expected term'],
    });
    const types = await json(node.admin, 'POST', '/routes', { expression: 'http.path == 1' });
    assert.equal(types.status, 400);
    assert.deepEqual(types.body.fields, { '@entity': ['Router Expression failed validation: Type mismatch between the LHS and RHS values of predicate'] });
    const mixed = await json(node.admin, 'POST', '/routes', { expression: 'http.path == "/"', paths: ['/'] });
    assert.equal(mixed.status, 400);
    assert.match(mixed.body.fields['@entity'][0], /cannot set 'expression' with 'methods'/);
    const bounds = await json(node.admin, 'POST', '/routes', { expression: 'http.path == "/"', priority: 2 ** 46 });
    assert.equal(bounds.status, 400);
    assert.equal(bounds.body.fields.priority, 'value should be between 0 and 70368744177663');
  });

  test('the schema endpoint lists expression and priority', async () => {
    const schema = await json(node.admin, 'GET', '/schemas/routes');
    assert.equal(schema.status, 200);
    const fields = (schema.body.fields as Array<Record<string, { type: string; default?: unknown }>>).map((f) => Object.keys(f)[0]);
    assert.ok(fields.includes('expression'), fields.join());
    const priority = (schema.body.fields as Array<Record<string, { type: string; default?: unknown }>>).find((f) => 'priority' in f);
    assert.equal(priority?.priority.type, 'integer');
    assert.equal(priority?.priority.default, 0);
    const valid = await json(node.admin, 'POST', '/schemas/routes/validate', { expression: 'http.path ^= "/' });
    assert.equal(valid.status, 400);
  });
});

describe('expressions router from a declarative file', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    up = await startUpstream('expressions-dbless');
    const config = routesFor(up.port);
    const services = [config.service, config.tenantService].map((service) => ({
      ...service,
      routes: config.routes.filter((route) => route.service === service.name).map(({ service: _service, ...route }) => route),
    }));
    node = await startTollgate({ env: FLAVOR, config: JSON.stringify({ _format_version: '3.0', services }) });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('routes like the database node', async () => {
    await checkRouting(node);
  });

  test("POST /config (validated off the event loop with the node's flavor) loads expression routes", async () => {
    const res = await json(node.admin, 'POST', '/config', {
      _format_version: '3.0',
      services: [{ name: 'svc', url: `http://127.0.0.1:${up.port}`, routes: [{ name: 'only', expression: 'http.path == "/only"', strip_path: false }] }],
    });
    assert.equal(res.status, 201, res.text);
    await waitUntil(async () => (await get(`${node.proxy}/only`)).status === 200, 20_000, 'the new configuration');
    assert.equal((await get(`${node.proxy}/api/users`)).status, 404);
  });

  test('POST /config refuses an invalid expression naming the route', async () => {
    const res = await json(node.admin, 'POST', '/config', {
      _format_version: '3.0',
      routes: [{ name: 'broken', expression: 'http.host == ' }],
    });
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /Router Expression failed validation/);
    assert.match(res.text, /expected rhs/);
  });
});

describe('a traditional flavor', () => {
  let node: TollgateNode;
  before(async () => {
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite' } });
  });
  after(async () => {
    await node?.stop();
  });

  test('refuses expression and priority as unknown fields', async () => {
    const res = await json(node.admin, 'POST', '/routes', { hosts: ['example.com'], expression: 'http.method == "GET"', priority: 100 });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.fields, { expression: 'unknown field', priority: 'unknown field' });
  });
});
