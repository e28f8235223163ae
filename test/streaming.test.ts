import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

const GiB = 1024 * 1024 * 1024;

/** Peak resident memory of a process, from the kernel (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function zeros(total: number): Readable {
  const chunk = Buffer.alloc(256 * 1024);
  let left = total;
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}

describe('streaming bodies and upgrades', () => {
  let up: TestUpstream;
  let node: TollgateNode;
  let workerPid: number;
  let onAbort: (at: number) => void = () => {};
  let aborted: Promise<number>;

  before(async () => {
    up = await startUpstream('stream', (req, res) => {
      if (req.url === '/stall') return; // never reads the body, never answers
      if (req.url === '/hang') {
        // Never answers; reports when the proxy closes the connection.
        res.on('close', () => onAbort(Date.now()));
        return;
      }
      if (req.url?.startsWith('/sink')) {
        let n = 0;
        req.on('data', (c: Buffer) => (n += c.length));
        req.on('end', () => res.end(JSON.stringify({ received: n })));
        return;
      }
      const m = /^\/bytes\/(\d+)/.exec(req.url ?? '');
      const total = Number(m?.[1] ?? 0);
      res.writeHead(200, { 'content-length': String(total) });
      const chunk = Buffer.alloc(256 * 1024, 97);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          const n = Math.min(chunk.length, total - sent);
          sent += n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    // WebSocket-style upgrade endpoint: answers 101 and echoes bytes back.
    up.server.on('upgrade', (req, socket, head) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Seen-Path: ' + req.url + '\r\n\r\n');
      if (head.length) socket.write(head);
      socket.pipe(socket);
    });
    node = await startTollgate({
      config: `_format_version: "3.0"
services:
  - name: s
    url: http://127.0.0.1:${up.port}
    routes:
      - paths: ["/"]
        strip_path: false
  - name: stalled
    url: http://127.0.0.1:${up.port}
    write_timeout: 300
    routes:
      - paths: ["/stall"]
        strip_path: false
`,
    });
    const info = (await (await request(`${node.admin}/`)).body.json()) as { pids: { workers: number[] } };
    workerPid = info.pids.workers[0];
  });

  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('a 1 GiB download streams through with flat memory', async () => {
    const res = await request(`${node.proxy}/bytes/${GiB}`);
    assert.equal(res.statusCode, 200);
    let n = 0;
    for await (const chunk of res.body) n += (chunk as Buffer).length;
    assert.equal(n, GiB);
    const peak = peakRss(workerPid);
    assert.ok(peak < 300 * 1024 * 1024, `worker peak RSS ${Math.round(peak / 1048576)} MiB`);
  });

  test('a 1 GiB upload streams through with flat memory', async () => {
    const res = await request(`${node.proxy}/sink`, {
      method: 'POST',
      body: zeros(GiB),
      headers: { 'content-length': String(GiB) },
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { received: GiB });
    const peak = peakRss(workerPid);
    assert.ok(peak < 300 * 1024 * 1024, `worker peak RSS ${Math.round(peak / 1048576)} MiB`);
  });

  test('a chunked upload without content-length is forwarded', async () => {
    const res = await request(`${node.proxy}/sink`, { method: 'POST', body: zeros(3 * 1024 * 1024 + 7) });
    assert.deepEqual(await res.body.json(), { received: 3 * 1024 * 1024 + 7 });
  });

  test('WebSocket upgrades are passed through both ways', async () => {
    const socket = connect(node.proxyPort, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /ws/chat HTTP/1.1\r\nHost: example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString()));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no 101: ${received}`)), 5000);
      const check = () => {
        if (received.includes('\r\n\r\n')) {
          clearTimeout(t);
          resolve();
        } else socket.once('data', check);
      };
      check();
    });
    assert.match(received, /^HTTP\/1\.1 101/);
    assert.match(received, /X-Seen-Path: \/ws\/chat/);
    received = '';
    socket.write('ping-over-upgraded-connection');
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no echo: ${received}`)), 5000);
      const check = () => {
        if (received.includes('ping-over-upgraded-connection')) {
          clearTimeout(t);
          resolve();
        } else socket.once('data', check);
      };
      check();
    });
    socket.destroy();
  });

  test('a client that goes away aborts its upstream call', async () => {
    aborted = new Promise<number>((resolve) => (onAbort = resolve));
    const t0 = Date.now();
    const socket = connect(node.proxyPort, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /hang HTTP/1.1\r\nHost: example\r\n\r\n');
    await new Promise((r) => setTimeout(r, 150));
    socket.destroy();
    const at = await Promise.race([aborted, new Promise<number>((r) => setTimeout(() => r(-1), 3000))]);
    assert.notEqual(at, -1, 'the upstream request was not aborted');
    assert.ok(at - t0 < 2000, `aborted after ${at - t0} ms`);
  });

  test('an upstream that stops taking the request body gets write_timeout: 504', async () => {
    const t0 = Date.now();
    const res = await request(`${node.proxy}/stall`, { method: 'POST', body: zeros(256 * 1024 * 1024), headers: { 'content-length': String(256 * 1024 * 1024), accept: 'application/json' } }).catch(
      (err: Error) => err,
    );
    if (res instanceof Error) assert.fail(`request failed instead of a 504: ${res.message}`);
    assert.equal(res.statusCode, 504);
    assert.equal(((await res.body.json()) as { message: string }).message, 'The upstream server is timing out');
    assert.ok(Date.now() - t0 < 5000);
  });
});
