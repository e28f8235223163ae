/**
 * Kong's upstream keep-alive settings, end to end through `bin/tollgate`: the upstream counts the
 * connections it is given and records the Connection header of each request.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';

interface CountingUpstream {
  port: number;
  connections: number;
  connectionHeaders: string[];
  close(): Promise<void>;
}

async function countingUpstream(): Promise<CountingUpstream> {
  const state = { port: 0, connections: 0, connectionHeaders: [] as string[], close: async () => {} };
  const server: Server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    state.connectionHeaders.push(String(req.headers.connection));
    res.end('ok');
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

function config(port: number): string {
  return `
_format_version: "3.0"
services:
  - name: counted
    url: http://127.0.0.1:${port}
    routes: [{ paths: ["/"] }]
`;
}

async function sendSequentially(node: TollgateNode, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await request(`${node.proxy}/`);
    assert.equal(res.statusCode, 200);
    await res.body.text();
  }
}

describe('upstream keep-alive settings', { timeout: 60_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  async function setup(env: Record<string, string>): Promise<{ upstream: CountingUpstream; node: TollgateNode }> {
    const upstream = await countingUpstream();
    cleanup.push(() => upstream.close());
    const node = await startTollgate({ config: config(upstream.port), workers: 1, env });
    cleanup.push(async () => {
      await node.stop();
    });
    return { upstream, node };
  }

  test('by default one connection carries sequential requests, announced keep-alive', async () => {
    const { upstream, node } = await setup({});
    await sendSequentially(node, 20);
    assert.equal(upstream.connections, 1);
    assert.ok(upstream.connectionHeaders.every((h) => h === 'keep-alive'));
  });

  test('upstream_keepalive_pool_size = 0 opens a connection per request and says close', async () => {
    const { upstream, node } = await setup({ TOLLGATE_UPSTREAM_KEEPALIVE_POOL_SIZE: '0' });
    await sendSequentially(node, 5);
    assert.equal(upstream.connections, 5);
    assert.ok(upstream.connectionHeaders.every((h) => h === 'close'));
  });

  test('upstream_keepalive_max_requests closes a connection after that many requests', async () => {
    const { upstream, node } = await setup({ TOLLGATE_UPSTREAM_KEEPALIVE_MAX_REQUESTS: '5' });
    await sendSequentially(node, 20);
    assert.equal(upstream.connections, 4);
  });

  test('upstream_keepalive_idle_timeout closes idle connections', async () => {
    const { upstream, node } = await setup({ TOLLGATE_UPSTREAM_KEEPALIVE_IDLE_TIMEOUT: '0.3' });
    await sendSequentially(node, 3);
    assert.equal(upstream.connections, 1);
    await new Promise((resolve) => setTimeout(resolve, 900));
    await sendSequentially(node, 1);
    assert.equal(upstream.connections, 2);
  });
});
