/**
 * Admin API answers that Kong's own integration specs (spec/02-integration/04-admin_api: consumers, plugins,
 * routes, services) compare exactly, checked on a real node with a database.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';

const PROTOCOLS = 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp';

describe('Admin API: Kong spec compatibility', () => {
  let node: TollgateNode;

  /** One Admin API call; `json` is sent as JSON, `raw` as is with the given headers. */
  async function call(method: string, path: string, body: { json?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers = { ...(body.json === undefined ? {} : { 'content-type': 'application/json' }), ...body.headers };
    const res = await request(`${node.admin}${path}`, {
      method: method as 'POST',
      headers,
      body: body.json === undefined ? body.raw : JSON.stringify(body.json),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  }

  before(async () => {
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite' } });
  });
  after(async () => {
    await node?.stop();
  });

  test('a second plugin of the same name on a service: 409 naming Kong\'s key {consumer, name, route, service}', async () => {
    const service = await call('POST', '/services', { json: { host: 'conflict.test' } });
    const id = service.body.id as string;
    assert.equal((await call('POST', `/services/${id}/plugins`, { json: { name: 'basic-auth' } })).status, 201);
    for (const body of [{ json: { name: 'basic-auth' } }, { raw: 'name=basic-auth', headers: { 'content-type': 'application/x-www-form-urlencoded' } }]) {
      const again = await call('POST', `/services/${id}/plugins`, body);
      assert.equal(again.status, 409);
      assert.deepEqual(again.body, {
        code: 5,
        name: 'unique constraint violation',
        fields: { consumer: null, name: 'basic-auth', route: null, service: { id } },
        message: `UNIQUE violation detected on '{consumer=null,name="basic-auth",route=null,service={id="${id}"}}'`,
      });
    }
  });

  test('a second plugin of the same name on a consumer: 409 with the consumer in the key', async () => {
    const consumer = await call('POST', '/consumers', { json: { username: 'conflicted' } });
    const id = consumer.body.id as string;
    assert.equal((await call('POST', `/consumers/${id}/plugins`, { json: { name: 'request-termination' } })).status, 201);
    const again = await call('POST', `/consumers/${id}/plugins`, { json: { name: 'request-termination' } });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{consumer={id="${id}"},name="request-termination",route=null,service=null}'`,
      fields: { name: 'request-termination', consumer: { id }, route: null, service: null },
    });
  });

  test('a plugin scoped to a consumer group still names the group in its unique violation', async () => {
    const group = await call('POST', '/consumer_groups', { json: { name: 'gold' } });
    const groupId = group.body.id as string;
    const plugin = { name: 'request-termination', consumer_group: { id: groupId } };
    assert.equal((await call('POST', '/plugins', { json: plugin })).status, 201);
    const again = await call('POST', '/plugins', { json: plugin });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body.fields, { name: 'request-termination', consumer: null, consumer_group: { id: groupId }, route: null, service: null });
  });

  test('multipart/form-data without a body is an empty form: the entity checks answer', async () => {
    const res = await call('POST', '/consumers', { headers: { 'content-type': 'multipart/form-data' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.name, 'schema violation');
    assert.deepEqual((res.body.fields as Record<string, unknown>)['@entity'], ["at least one of these fields must be non-empty: 'custom_id', 'username'"]);
  });

  test('GET /schemas/{name} answers for Kong\'s collections without an Admin API of their own', async () => {
    for (const name of ['workspaces', 'tags', 'parameters', 'clustering_data_planes', 'services', 'keyauth_credentials']) {
      const res = await call('GET', `/schemas/${name}`);
      assert.equal(res.status, 200, name);
      assert.ok(Array.isArray(res.body.fields) && res.body.fields.length > 0, name);
      assert.ok(Array.isArray(res.body.entity_checks), name);
    }
    const tags = await call('GET', '/schemas/tags');
    assert.deepEqual((tags.body.fields as Record<string, unknown>[]).map((f) => Object.keys(f)[0]), ['tag', 'entity_name', 'entity_id']);
    assert.deepEqual(await call('GET', '/schemas/not-present'), { status: 404, body: { message: "No entity named 'not-present'" } });
    // Views only: they are not collections to validate against.
    assert.equal((await call('POST', '/schemas/tags/validate', { json: {} })).status, 404);
  });

  test('a route\'s service given without an id: its fields are checked against the services schema first', async () => {
    const bad = await call('POST', '/routes', { json: { methods: ['GET'], protocols: ['foo', 'http'], service: { protocol: 'foo' } } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, {
      code: 2,
      name: 'schema violation',
      message: `2 schema violations (protocols.1: ${PROTOCOLS}; service.protocol: ${PROTOCOLS})`,
      fields: { protocols: [PROTOCOLS], service: { protocol: PROTOCOLS } },
    });
    const form = await call('POST', '/routes', {
      raw: 'methods[]=GET&protocols[]=foo&protocols[]=http&service.protocol=foo',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.deepEqual(form.body, bad.body);
    const unknown = await call('POST', '/routes', { json: { methods: ['GET'], service: { foo: 'x' } } });
    assert.deepEqual(unknown.body.fields, { service: { foo: 'unknown field' } });
    // Valid fields (an empty or null name too) but still no id: Kong's "missing primary key".
    const missing = {
      code: 2,
      name: 'schema violation',
      message: 'schema violation (service.id: missing primary key)',
      fields: { service: { id: 'missing primary key' } },
    };
    const noId = await call('POST', '/routes', { json: { methods: ['GET'], service: { protocol: 'http' } } });
    assert.equal(noId.status, 400);
    assert.deepEqual(noId.body, missing);
    assert.deepEqual((await call('POST', '/routes', { json: { methods: ['GET'], service: { name: null } } })).body, missing);
    const emptyName = await call('POST', '/routes', { raw: 'methods[]=GET&service.name=', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.deepEqual(emptyName.body, missing);
  });
});

describe('Admin API: GET /status memory', () => {
  test('lua_shared_dicts has Kong\'s kong and kong_db_cache, in the unit and scale asked for', async () => {
    const node = await startTollgate();
    try {
      const dicts = async (query: string): Promise<Record<string, { capacity: unknown; allocated_slabs: unknown }>> => {
        const res = await request(`${node.admin}/status${query}`);
        assert.equal(res.statusCode, 200);
        return ((await res.body.json()) as { memory: { lua_shared_dicts: Record<string, { capacity: unknown; allocated_slabs: unknown }> } }).memory.lua_shared_dicts;
      };
      const mib = await dicts('');
      for (const name of ['kong', 'kong_db_cache']) {
        assert.match(String(mib[name]?.capacity), /^\d+\.\d+ MiB$/, name);
        assert.match(String(mib[name]?.allocated_slabs), /^\d+\.\d+ MiB$/, name);
      }
      assert.match(String((await dicts('?unit=k')).kong?.capacity), /^\d+\.\d+ KiB$/);
      assert.match(String((await dicts('?scale=3')).kong?.capacity), /^\d+\.\d{3} MiB$/);
      const bytes = await dicts('?unit=b');
      assert.equal(typeof bytes.kong?.capacity, 'number');
      assert.equal(typeof bytes.kong?.allocated_slabs, 'number');
    } finally {
      await node.stop();
    }
  });
});

describe('Admin API: GET /status with several workers', () => {
  test('workers_lua_vms come in ascending pid order, also after a worker is replaced', async () => {
    const node = await startTollgate({ workers: 2 });
    try {
      const pidsOf = async (): Promise<number[]> => {
        const res = await request(`${node.admin}/status`);
        const body = (await res.body.json()) as { memory: { workers_lua_vms: { pid: number }[] } };
        return body.memory.workers_lua_vms.map((w) => w.pid);
      };
      const first = await pidsOf();
      assert.equal(first.length, 3, 'the supervisor and two workers');
      // Replace the lowest-numbered worker: its successor has the highest pid but takes its slot.
      const root = await request(`${node.admin}/`);
      const workers = ((await root.body.json()) as { pids: { workers: number[] } }).pids.workers;
      const killed = Math.min(...workers);
      process.kill(killed, 'SIGKILL');
      const deadline = Date.now() + 30_000;
      let pids = await pidsOf();
      while (!(pids.length === 3 && !pids.includes(killed)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        pids = await pidsOf();
      }
      assert.ok(pids.length === 3 && !pids.includes(killed), `the killed worker was replaced: ${pids.join(', ')}`);
      for (let i = 0; i < 10; i++) {
        const now = i === 0 ? pids : await pidsOf();
        assert.deepEqual(now, [...now].sort((a, b) => a - b), `pids ${now.join(', ')}`);
      }
    } finally {
      await node.stop();
    }
  });
});
