/**
 * Admin API bodies are limited by `nginx_admin_client_max_body_size` (Kong's setting, default 10m): a larger
 * `POST /config` or entity write is answered 413 (not a connection reset), the node keeps serving what it
 * served, and the Admin API and proxy agree; the setting raises the limit. Through `bin/tollgate`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTollgate } from './helpers/tollgate.ts';
import { startUpstream } from './helpers/upstream.ts';

const MiB = 1024 * 1024;

async function post(url: string, body: string, contentType: string) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await res.body.text();
  return { status: res.statusCode, text, connection: res.headers.connection };
}

function config(port: number, route: string, padding = 0): string {
  return `_format_version: "3.0"\n# ${'x'.repeat(padding)}\nservices:\n  - name: s\n    url: http://127.0.0.1:${port}\n    routes:\n      - name: r\n        paths: ["${route}"]\n`;
}

async function proxyStatus(base: string, path: string): Promise<number> {
  const res = await request(`${base}${path}`);
  await res.body.text();
  return res.statusCode;
}

test('POST /config over 10m is a 413; the node keeps serving and the Admin API agrees with the proxy', async () => {
  const up = await startUpstream('limit-up');
  const node = await startTollgate({ config: config(up.port, '/before') });
  try {
    assert.equal(await proxyStatus(node.proxy, '/before'), 200);
    const big = await post(`${node.admin}/config`, config(up.port, '/after', 11 * MiB), 'application/yaml');
    assert.equal(big.status, 413, big.text);
    assert.match(big.text, /Payload Too Large/);
    assert.equal(big.connection, 'close');
    const ready = await request(`${node.status}/status/ready`);
    assert.equal(ready.statusCode, 200, await ready.body.text());
    assert.equal(await proxyStatus(node.proxy, '/before'), 200);
    assert.equal(await proxyStatus(node.proxy, '/after'), 404);
    const routes = (await (await request(`${node.admin}/routes`)).body.json()) as { data: Array<{ paths: string[] }> };
    assert.deepEqual(routes.data.map((r) => r.paths), [['/before']]);
    // Within the limit, the same document loads.
    const small = await post(`${node.admin}/config`, config(up.port, '/after', 1000), 'application/yaml');
    assert.equal(small.status, 201, small.text);
  } finally {
    await node.stop();
    await up.close();
  }
});

test('nginx_admin_client_max_body_size raises the limit; entity writes over it are a 413 too', async () => {
  const up = await startUpstream('limit-up-2');
  const node = await startTollgate({ config: config(up.port, '/before'), env: { TOLLGATE_NGINX_ADMIN_CLIENT_MAX_BODY_SIZE: '20m' } });
  try {
    const big = await post(`${node.admin}/config`, config(up.port, '/after', 11 * MiB), 'application/yaml');
    assert.equal(big.status, 201, big.text.slice(0, 500));
    assert.equal(await proxyStatus(node.proxy, '/after'), 200);
  } finally {
    await node.stop();
    await up.close();
  }
  const db = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_NGINX_ADMIN_CLIENT_MAX_BODY_SIZE: '1m' } });
  try {
    const big = await post(`${db.admin}/consumers`, JSON.stringify({ username: 'big', custom_id: 'x'.repeat(2 * MiB) }), 'application/json');
    assert.equal(big.status, 413, big.text);
    const fine = await post(`${db.admin}/consumers`, JSON.stringify({ username: 'fine' }), 'application/json');
    assert.equal(fine.status, 201, fine.text);
  } finally {
    await db.stop();
  }
});
