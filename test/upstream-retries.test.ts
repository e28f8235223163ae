/**
 * Which failed upstream calls Tollgate tries again, through `bin/tollgate`: a connection the upstream closes
 * after taking the request may have been processed, so only methods that may be repeated are sent again (as
 * nginx does); a refused connection never reached the upstream, so any method is.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { request } from 'undici';
import { freePort } from './helpers/ports.ts';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { onRequestHeads } from './helpers/raw-http.ts';

/** Closes every second connection without answering its first request; answers everything else. */
async function flakyUpstream(): Promise<{ server: Server; port: number; requests: string[] }> {
  const requests: string[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const drop = connections++ % 2 === 0;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let first = true;
    onRequestHeads(socket, (head) => {
      requests.push(head.split(' ')[0]);
      if (drop && first) {
        socket.destroy();
        return false;
      }
      first = false;
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

describe('retries after upstream failures', { timeout: 60_000 }, () => {
  let flaky: Awaited<ReturnType<typeof flakyUpstream>>;
  let good: TestUpstream;
  let slow: TestUpstream;
  let node: TollgateNode;

  before(async () => {
    flaky = await flakyUpstream();
    good = await startUpstream('good');
    // Answers after 2 s, far beyond the service's read_timeout.
    slow = await startUpstream('slow', (req, res) => {
      req.resume();
      setTimeout(() => res.end('late'), 2000).unref();
    });
    const refused = await freePort();
    node = await startTollgate({
      // Keep-alive off: every request gets a new connection, so every second one is dropped.
      env: { TOLLGATE_UPSTREAM_KEEPALIVE_POOL_SIZE: '0' },
      config: `_format_version: "3.0"
services:
  - name: flaky
    url: http://127.0.0.1:${flaky.port}
    retries: 3
    routes: [{ paths: ["/flaky"] }]
  - name: slow
    url: http://127.0.0.1:${slow.port}
    read_timeout: 150
    retries: 2
    routes: [{ paths: ["/slow"] }]
  - name: failover
    host: half-down
    retries: 3
    routes: [{ paths: ["/failover"] }]
upstreams:
  - name: half-down
    targets:
      - target: 127.0.0.1:${refused}
      - target: 127.0.0.1:${good.port}
`,
    });
  });

  after(async () => {
    await node?.stop();
    flaky?.server.close();
    await good?.close();
    slow?.server.closeAllConnections();
    await slow?.close();
  });

  test('GET is sent again after the upstream closed the connection without answering', async () => {
    flaky.requests.length = 0;
    const res = await request(`${node.proxy}/flaky`);
    assert.equal(res.statusCode, 200);
    await res.body.text();
    assert.deepEqual(flaky.requests, ['GET', 'GET']);
  });

  test('POST is not: the upstream may have acted on it, so the client gets 502', async () => {
    flaky.requests.length = 0;
    const res = await request(`${node.proxy}/flaky`, { method: 'POST' });
    await res.body.text();
    assert.equal(res.statusCode, 502);
    assert.deepEqual(flaky.requests, ['POST']);
  });

  test('any method is sent again when the connection was refused: the upstream never saw it', async () => {
    // Round-robin over a refused and a working target: one of the two POSTs meets the refused one first.
    for (let i = 0; i < 2; i++) {
      const res = await request(`${node.proxy}/failover`, { method: 'POST', body: '' });
      await res.body.text();
      assert.equal(res.statusCode, 200);
    }
    assert.equal(good.count, 2);
  });

  test('a read timeout is retried for GET, as Kong documents: 504 after 1 + retries tries', async () => {
    const before = slow.count;
    const t0 = Date.now();
    const res = await request(`${node.proxy}/slow`);
    await res.body.text();
    assert.equal(res.statusCode, 504);
    assert.equal(slow.count - before, 3);
    assert.ok(Date.now() - t0 >= 3 * 150 - 20, `took ${Date.now() - t0} ms`);
  });

  test('but not for POST', async () => {
    const before = slow.count;
    const res = await request(`${node.proxy}/slow`, { method: 'POST', body: '' });
    await res.body.text();
    assert.equal(res.statusCode, 504);
    assert.equal(slow.count - before, 1);
  });
});
