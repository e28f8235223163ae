/**
 * A large `POST /config` document is parsed and validated off the supervisor's event loop, through
 * `bin/tollgate` (DB-less): the Status API keeps answering while it loads, and large bodies behave as small
 * ones do (a bare document or a `config` wrapper loads, flags in the body apply, bad JSON and invalid
 * documents are 400s). bench/config-load-stall.ts measures the stall itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTollgate } from './helpers/tollgate.ts';
import { startUpstream } from './helpers/upstream.ts';

function services(port: number, count: number, prefix = 'svc'): Record<string, unknown>[] {
  const out = [];
  for (let i = 0; i < count; i++) {
    out.push({ name: `${prefix}-${i}`, url: `http://127.0.0.1:${port}/base/${i}`, tags: ['bulk', `t${i % 50}`], routes: [{ name: `${prefix}-r${i}`, paths: [`/${prefix}/${i}`], methods: ['GET', 'POST'], hosts: [`h${i}.example.com`, 'localhost', '127.0.0.1'] }] });
  }
  return out;
}

async function post(url: string, body: string) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, headersTimeout: 300_000, bodyTimeout: 300_000 });
  return { status: res.statusCode, text: await res.body.text() };
}

test('a large POST /config loads off the event loop: the Status API keeps answering meanwhile', async () => {
  const up = await startUpstream('large-up');
  const node = await startTollgate({ config: '_format_version: "3.0"\n', env: { TOLLGATE_NGINX_ADMIN_CLIENT_MAX_BODY_SIZE: '32m' } });
  try {
    const body = JSON.stringify({ _format_version: '3.0', services: services(up.port, 30_000) });
    assert.ok(body.length > 6 * 1024 * 1024, `${body.length} bytes`);
    let loading = true;
    let longest = 0;
    let answers = 0;
    const poll = (async () => {
      while (loading) {
        const t0 = performance.now();
        const r = await request(`${node.status}/status`);
        await r.body.dump();
        longest = Math.max(longest, performance.now() - t0);
        answers++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const t0 = performance.now();
    const loaded = await post(`${node.admin}/config`, body);
    const total = performance.now() - t0;
    loading = false;
    await poll;
    assert.equal(loaded.status, 201, loaded.text.slice(0, 300));
    assert.equal(Object.keys(JSON.parse(loaded.text).services).length, 30_000);
    // Parsed on the event loop, validation alone held every answer for most of the load; off it, what is left
    // (handing the result to the workers) is a fraction. Relative, so that a slow machine does not matter.
    assert.ok(longest < total / 2, `the Status API waited ${longest.toFixed(0)} ms during a ${total.toFixed(0)} ms load (${answers} answers)`);
    const res = await request(`${node.proxy}/svc/29999`);
    await res.body.dump();
    assert.equal(res.statusCode, 200);
  } finally {
    await node.stop();
    await up.close();
  }
});

test('large bodies behave as small ones: a config wrapper with flags, bad JSON and invalid documents', async () => {
  const up = await startUpstream('large-up-2');
  const node = await startTollgate({ config: '_format_version: "3.0"\n', env: { TOLLGATE_NGINX_ADMIN_CLIENT_MAX_BODY_SIZE: '32m' } });
  try {
    const big = services(up.port, 8000, 'w');
    const document = JSON.stringify({ _format_version: '3.0', services: big });
    assert.ok(document.length > 1024 * 1024);
    const wrapped = await post(`${node.admin}/config`, JSON.stringify({ config: document }));
    assert.equal(wrapped.status, 201, wrapped.text.slice(0, 300));
    const res = await request(`${node.proxy}/w/7999`);
    await res.body.dump();
    assert.equal(res.statusCode, 200);
    // check_hash in the body: the same text again is a 304.
    const again = await post(`${node.admin}/config`, JSON.stringify({ config: document, check_hash: 1 }));
    assert.equal(again.status, 304, again.text.slice(0, 300));

    const badJson = await post(`${node.admin}/config`, `${document.slice(0, -1)}`);
    assert.equal(badJson.status, 400);
    assert.deepEqual(JSON.parse(badJson.text), { message: 'Cannot parse JSON body' });
    const empty = await post(`${node.admin}/config`, JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) }));
    assert.equal(empty.status, 400);
    assert.deepEqual(JSON.parse(empty.text), { message: 'expected a declarative configuration' });

    const invalid = structuredClone(big);
    (invalid[17] as { routes: Array<{ paths: string[] }> }).routes[0].paths = ['no-slash'];
    const refused = await post(`${node.admin}/config`, JSON.stringify({ _format_version: '3.0', services: invalid, flatten_errors: true }));
    assert.equal(refused.status, 400, refused.text.slice(0, 300));
    const error = JSON.parse(refused.text) as { code: number; flattened_errors: unknown[] };
    assert.equal(error.code, 14);
    assert.equal(error.flattened_errors.length, 1, 'flatten_errors in the body applies');
    // Nothing changed: the Admin API shows what the proxy serves.
    const routes = (await (await request(`${node.admin}/routes?size=1`)).body.json()) as { data: Array<{ name: string }> };
    assert.match(routes.data[0].name, /^w-r/);
  } finally {
    await node.stop();
    await up.close();
  }
});
