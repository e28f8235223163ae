/**
 * `POST /config` never leaves the Admin API and the proxy disagreeing, through `bin/tollgate` (DB-less, two
 * workers): after a document the workers cannot apply, an invalid one, or one over the body limit, the Admin
 * API shows what the proxy serves, the node stays ready, and the next good document loads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream } from './helpers/upstream.ts';

function document(port: number, route: Record<string, unknown>): string {
  return JSON.stringify({ _format_version: '3.0', services: [{ name: 's', url: `http://127.0.0.1:${port}`, routes: [route] }] });
}

async function postConfig(node: TollgateNode, body: string): Promise<{ status: number; text: string }> {
  // Far below the supervisor's 60 s wait for workers: a failure must be reported when it happens.
  const res = await request(`${node.admin}/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, headersTimeout: 30_000 });
  return { status: res.statusCode, text: await res.body.text() };
}

async function proxyStatus(node: TollgateNode, path: string): Promise<number> {
  const res = await request(`${node.proxy}${path}`);
  await res.body.dump();
  return res.statusCode;
}

/** What the Admin API shows: every route's name and paths. */
async function adminRoutes(node: TollgateNode): Promise<Array<[string, string[]]>> {
  const res = await request(`${node.admin}/routes`);
  const body = (await res.body.json()) as { data: Array<{ name: string; paths: string[] }> };
  return body.data.map((r) => [r.name, r.paths]);
}

async function assertServing(node: TollgateNode, route: string, path: string): Promise<void> {
  assert.deepEqual(await adminRoutes(node), [[route, [path]]], 'the Admin API shows what the proxy serves');
  assert.equal(await proxyStatus(node, path), 200);
  const ready = await request(`${node.status}/status/ready`);
  assert.equal(ready.statusCode, 200, await ready.body.text());
}

test('a POST /config the workers cannot apply is reported at once and the previous configuration is restored everywhere', async () => {
  const up = await startUpstream('consistency-up');
  const node = await startTollgate({ config: document(up.port, { name: 'before', paths: ['/before'] }), workers: 2 });
  try {
    await assertServing(node, 'before', '/before');
    // Valid for the schema, but the workers' regex engine refuses the header pattern when compiling the router.
    const unappliable = await postConfig(node, document(up.port, { name: 'broken', paths: ['/broken'], headers: { 'x-a': ['~*('] } }));
    assert.ok([400, 500].includes(unappliable.status), `${unappliable.status} ${unappliable.text}`);
    if (unappliable.status === 500) assert.match(unappliable.text, /could not apply configuration .*previous configuration keeps serving/);
    await assertServing(node, 'before', '/before');
    assert.equal(await proxyStatus(node, '/broken'), 404);

    const invalid = await postConfig(node, document(up.port, { name: 'invalid', paths: ['no-slash'] }));
    assert.equal(invalid.status, 400, invalid.text);
    await assertServing(node, 'before', '/before');

    // The node is not left busy or not ready: the next good document loads on every worker.
    const good = await postConfig(node, document(up.port, { name: 'after', paths: ['/after'] }));
    assert.equal(good.status, 201, good.text);
    await assertServing(node, 'after', '/after');
    for (let i = 0; i < 10; i++) assert.equal(await proxyStatus(node, '/before'), 404, 'no worker kept the old configuration');
  } finally {
    await node.stop();
    await up.close();
  }
});
