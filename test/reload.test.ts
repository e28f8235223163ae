import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';

function configFor(upA: number, upB: number, generation: number): Record<string, unknown> {
  // Each generation moves the route between two upstreams and renames a second route, so every reload
  // really changes the router and the pools.
  return {
    _format_version: '3.0',
    services: [
      {
        name: 'svc',
        url: `http://127.0.0.1:${generation % 2 === 0 ? upA : upB}`,
        routes: [
          { name: 'main', paths: ['/'] },
          { name: `gen-${generation}`, paths: [`/gen/${generation}`] },
        ],
      },
    ],
  };
}

describe('reloading the configuration under load', () => {
  let a: TestUpstream;
  let b: TestUpstream;
  let node: TollgateNode;

  before(async () => {
    a = await startUpstream('a');
    b = await startUpstream('b');
    node = await startTollgate({ workers: 2 });
  });

  after(async () => {
    await node?.stop();
    await a?.close();
    await b?.close();
  });

  test('starts empty: 404 everywhere and not ready', async () => {
    const res = await request(`${node.proxy}/`);
    assert.equal(res.statusCode, 404);
    await res.body.text();
    const ready = await request(`${node.status}/status/ready`);
    assert.equal(ready.statusCode, 503);
    assert.deepEqual(await ready.body.json(), { message: 'no configuration available (empty configuration present)' });
  });

  test('20 reloads through POST /config with continuous traffic: 0 failed requests', async () => {
    const first = await request(`${node.admin}/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(configFor(a.port, b.port, 0)),
    });
    assert.equal(first.statusCode, 201, await first.body.text());
    const ready = await request(`${node.status}/status/ready`);
    assert.equal(ready.statusCode, 200);
    await ready.body.text();

    const agent = new Agent({ connections: 16, pipelining: 1 });
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const servedBy = new Set<string>();
    const client = async () => {
      while (!stop) {
        try {
          const res = await request(`${node.proxy}/hello`, { dispatcher: agent });
          const body = (await res.body.json()) as Echo;
          if (res.statusCode !== 200) failures.push(`status ${res.statusCode}`);
          else {
            ok++;
            servedBy.add(body.server);
          }
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    for (let gen = 1; gen <= 20; gen++) {
      const res = await request(`${node.admin}/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(configFor(a.port, b.port, gen)),
      });
      assert.equal(res.statusCode, 201, await res.body.text());
      // The new generation's route answers as soon as POST /config returned.
      const probe = await request(`${node.proxy}/gen/${gen}`, { dispatcher: agent });
      assert.equal(probe.statusCode, 200);
      assert.equal(((await probe.body.json()) as Echo).server, gen % 2 === 0 ? 'a' : 'b');
      await new Promise((r) => setTimeout(r, 50));
    }
    stop = true;
    await Promise.all(clients);
    await agent.close();
    assert.deepEqual(failures, [], `failed requests: ${failures.length}`);
    assert.ok(ok > 200, `traffic flowed during the reloads (${ok} requests)`);
    assert.deepEqual([...servedBy].sort(), ['a', 'b']);
  });

  test('an invalid configuration gets a 400 naming the field and the old one keeps serving', async () => {
    const before = await request(`${node.proxy}/hello`);
    assert.equal(before.statusCode, 200);
    await before.body.text();
    const bad = JSON.stringify({ _format_version: '3.0', services: [{ name: 'bad', host: 'x', port: 70000 }] });
    const res = await request(`${node.admin}/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bad });
    assert.equal(res.statusCode, 400);
    const body = (await res.body.json()) as { code: number; name: string; fields: unknown };
    assert.equal(body.code, 14);
    assert.equal(body.name, 'invalid declarative configuration');
    assert.deepEqual(body.fields, { services: [{ port: 'value should be between 0 and 65535' }] });
    const flat = await request(`${node.admin}/config?flatten_errors=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bad });
    assert.equal(flat.statusCode, 400);
    const flatBody = (await flat.body.json()) as { flattened_errors: Array<{ entity_type: string; entity_name: string; errors: unknown[] }> };
    assert.equal(flatBody.flattened_errors.length, 1);
    assert.equal(flatBody.flattened_errors[0].entity_type, 'service');
    assert.equal(flatBody.flattened_errors[0].entity_name, 'bad');
    assert.deepEqual(flatBody.flattened_errors[0].errors, [{ type: 'field', field: 'port', message: 'value should be between 0 and 65535' }]);
    const after = await request(`${node.proxy}/hello`);
    assert.equal(after.statusCode, 200);
    await after.body.text();
  });

  test('check_hash=1 answers 304 for the configuration already loaded', async () => {
    const text = JSON.stringify(configFor(a.port, b.port, 99));
    const first = await request(`${node.admin}/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ config: text }) });
    assert.equal(first.statusCode, 201);
    await first.body.text();
    const again = await request(`${node.admin}/config?check_hash=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ config: text }) });
    assert.equal(again.statusCode, 304);
    await again.body.text();
  });

  test('GET /config exports the loaded configuration', async () => {
    const res = await request(`${node.admin}/config`);
    const { config } = (await res.body.json()) as { config: string };
    assert.match(config, /_format_version: "?3\.0"?/);
    assert.match(config, /gen-99/);
  });
});
