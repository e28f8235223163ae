/**
 * The plugin platform through `bin/tollgate`: node-wide counters exact across two workers under concurrent
 * requests; the certificate, rewrite, async header_filter and log phases of a global plugin with Kong's log
 * record; consumer-scoped plugins after key-auth; `key_in_body`; and a plugin calling the PDK in a phase Kong
 * forbids. Test plugins are written to a temporary `plugin_paths` directory, as a user would.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { freePort } from './helpers/ports.ts';
import { ROOT, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';

/** A global plugin that touches every phase it may (plain modules: outside the checkout, no `tollgate/plugin`). */
const PHASE_PROBE = `
export default {
  schema: { name: 'phase-probe', config: { type: 'record', fields: {} } },
  handler: {
    name: 'phase-probe',
    priority: 100000,
    async certificate(kong) {
      await kong.counters.incr('probe:handshakes', 1, 0);
    },
    rewrite(kong) {
      kong.service.request.setHeader('X-Rewritten', 'yes');
    },
    async header_filter(kong) {
      kong.response.setHeader('X-Handshakes', String(await kong.counters.get('probe:handshakes')));
    },
    async log(kong) {
      if (kong.request.getPath() === '/last-log') return;
      await kong.cache.set('probe:last-log', JSON.stringify(kong.log.serialize()), 0);
      try {
        kong.response.exit(200, 'too late');
      } catch (err) {
        await kong.cache.set('probe:refused', err.message, 0);
      }
    },
  },
};
`;

/** Answers with what the probe stored, from the node-wide cache. */
const PROBE_READER = `
export default {
  schema: { name: 'probe-reader', config: { type: 'record', fields: { key: { type: 'string', required: true } } } },
  handler: {
    name: 'probe-reader',
    priority: 10,
    async access(kong, conf) {
      const value = await kong.cache.get(conf.key);
      kong.response.exit(200, typeof value === 'string' ? value : 'none', { 'Content-Type': 'text/plain' });
    },
  },
};
`;

let up: TestUpstream;
let node: TollgateNode;
let pluginDir: string;
let httpsPort: number;
const insecure = new Agent({ connect: { rejectUnauthorized: false } });
/** Sends a server name, so the certificate phase runs inside the handshake (SNI), as it would for a DNS name. */
const withSni = new Agent({ connect: { rejectUnauthorized: false, servername: 'api.tollgate.test' } });

function config(upstreamPort: number): string {
  return `_format_version: "3.0"
consumers:
  - username: ann
    keyauth_credentials: [{ key: ann-key }]
  - username: bob
    keyauth_credentials: [{ key: bob-key }]
services:
  - name: s
    url: http://127.0.0.1:${upstreamPort}
    routes:
      - name: counted
        paths: [/counted]
        plugins:
          - { name: request-counter, config: { limit: 50, window_seconds: 3600 } }
          - { name: js-hello }
      - name: last-log
        paths: [/last-log]
        plugins: [{ name: probe-reader, config: { key: "probe:last-log" } }]
      - name: refused
        paths: [/refused]
        plugins: [{ name: probe-reader, config: { key: "probe:refused" } }]
      - name: members
        paths: [/members]
        plugins:
          - { name: key-auth, config: { key_in_body: true, hide_credentials: true } }
plugins:
  - name: phase-probe
  - name: add-header
    consumer: ann
    config: { header_name: X-Member, header_value: ann, upstream: true }
`;
}

before(async () => {
  pluginDir = mkdtempSync(join(tmpdir(), 'tollgate-plugins-'));
  writeFileSync(join(pluginDir, 'phase-probe.mjs'), PHASE_PROBE);
  writeFileSync(join(pluginDir, 'probe-reader.mjs'), PROBE_READER);
  up = await startUpstream('platform');
  httpsPort = await freePort();
  node = await startTollgate({
    config: config(up.port),
    workers: 2,
    extraProxyListen: `127.0.0.1:${httpsPort} ssl`,
    env: {
      TOLLGATE_PLUGINS: 'bundled, phase-probe, probe-reader, request-counter, add-header, js-hello',
      TOLLGATE_PLUGIN_PATHS: `${pluginDir}, ${join(ROOT, 'examples', 'plugins')}, ${join(ROOT, 'examples', 'js-plugins')}`,
    },
  });
});

after(async () => {
  await insecure.close();
  await withSni.close();
  await node?.stop();
  await up?.close();
  rmSync(pluginDir, { recursive: true, force: true });
});

async function get(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const res = await request(url, { method: (init.method ?? 'GET') as 'GET', headers: init.headers, body: init.body, dispatcher: url.startsWith('https') ? insecure : undefined });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

describe('the plugin platform through bin/tollgate', () => {
  test('a node-wide counter is exact under concurrent requests served by both workers', async (t) => {
    // Each request on its own connection, so the kernel spreads them over both workers' listeners.
    const results = await Promise.all(
      Array.from({ length: 120 }, async () => {
        const agent = new Agent({ pipelining: 0 });
        try {
          const res = await request(`${node.proxy}/counted`, { dispatcher: agent });
          await res.body.text();
          return { status: res.statusCode, pid: String(res.headers['x-javascript-pid'] ?? ''), count: Number(res.headers['x-request-count']) };
        } finally {
          await agent.close();
        }
      }),
    );
    const served = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    assert.equal(served.length, 50, 'exactly the limit passes, whichever worker counts');
    assert.equal(limited.length, 70);
    assert.deepEqual(served.map((r) => r.count).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1), 'every count seen once');
    // The kernel usually spreads the connections over both workers, but it may not: the counter is exact either
    // way (test/shared-state.test.ts drives both workers deliberately), so a one-sided burst is reported, not failed.
    const workers = new Set(results.map((r) => r.pid).filter((p) => p !== '')).size;
    assert.ok(workers >= 1 && workers <= 2);
    if (workers === 1) t.diagnostic('this burst was served by one worker only');
  });

  test('certificate, rewrite, an async header_filter and log run for a global plugin; the log record is Kong\'s', async () => {
    const res = await get(`https://127.0.0.1:${httpsPort}/nothing-here?x=1`, { headers: { authorization: 'Basic c2VjcmV0' } });
    assert.equal(res.status, 404);
    const plain = await get(`https://127.0.0.1:${httpsPort}/last-log`);
    const before = Number(plain.headers['x-handshakes']);
    assert.ok(before >= 1, 'the certificate phase ran for a handshake without a server name');
    const sni = await request(`https://127.0.0.1:${httpsPort}/last-log`, { dispatcher: withSni });
    await sni.body.text();
    assert.ok(Number(sni.headers['x-handshakes']) > before, 'and inside a handshake with one');
    const echo = await get(`${node.proxy}/members`, { headers: { apikey: 'bob-key' } });
    assert.equal((JSON.parse(echo.text) as Echo).headers['x-rewritten'], 'yes', 'rewrite ran before access');
    await waitUntil(async () => JSON.parse((await get(`${node.proxy}/last-log`)).text || '{}').request?.uri === '/members', 5000);
    const record = JSON.parse((await get(`${node.proxy}/last-log`)).text);
    assert.equal(record.request.method, 'GET');
    assert.equal(record.request.headers.apikey, 'bob-key');
    assert.equal(record.response.status, 200);
    assert.equal(record.route.name, 'members');
    assert.equal(record.service.name, 's');
    assert.equal(record.consumer.username, 'bob');
    assert.equal(record.authenticated_entity.consumer_id, record.consumer.id);
    assert.equal(record.upstream_uri, '/');
    assert.equal(record.tries[0].port, up.port);
    assert.equal(record.client_ip, '127.0.0.1');
    assert.equal(typeof record.latencies.request, 'number');
    assert.equal(typeof record.started_at, 'number');
    assert.equal(record.source, 'upstream');
    const refused = await get(`${node.proxy}/refused`);
    assert.equal(refused.text, 'kong.response.exit cannot be called in the log phase');
  });

  test("the Admin API's /cache shows and removes what plugins put in the node's shared cache", async () => {
    await waitUntil(async () => (await get(`${node.admin}/cache/probe:refused`)).status === 200, 5000, 'the probe value in the cache');
    assert.deepEqual(JSON.parse((await get(`${node.admin}/cache/probe:refused`)).text), { message: 'kong.response.exit cannot be called in the log phase' });
    const record = JSON.parse((await get(`${node.admin}/cache/probe:last-log`)).text) as { request?: unknown };
    assert.equal(typeof record.request, 'object', 'a JSON object is shown as it is');
    assert.equal((await get(`${node.admin}/cache/probe:refused`, { method: 'DELETE' })).status, 204);
    assert.equal((await get(`${node.admin}/cache/probe:refused`)).status, 404);
    assert.deepEqual(JSON.parse((await get(`${node.admin}/cache/no-such-key`)).text), { message: 'Not found' });
    assert.equal((await get(`${node.admin}/cache`, { method: 'DELETE' })).status, 204);
    assert.equal((await get(`${node.admin}/cache/probe:last-log`)).status, 404);
  });

  test("a consumer's own plugin configuration runs once key-auth identifies it; key_in_body reads the key from the body", async () => {
    const ann = JSON.parse((await get(`${node.proxy}/members`, { headers: { apikey: 'ann-key' } })).text) as Echo;
    assert.equal(ann.headers['x-member'], 'ann');
    const bob = JSON.parse((await get(`${node.proxy}/members`, { headers: { apikey: 'bob-key' } })).text) as Echo;
    assert.equal(bob.headers['x-member'], undefined);
    const form = await get(`${node.proxy}/members`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&apikey=ann-key',
    });
    assert.equal(form.status, 200, form.text);
    const seen = JSON.parse(form.text) as Echo;
    assert.equal(seen.headers['x-consumer-username'], 'ann');
    assert.equal(seen.bodyLength, 3, 'hide_credentials took the key out of the body');
    const none = await get(`${node.proxy}/members`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"apikey":"nope"}' });
    assert.equal(none.status, 401);
  });
});
