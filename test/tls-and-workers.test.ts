import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2';
import { Agent, request } from 'undici';
import { freePort } from './helpers/ports.ts';
import { startTollgate, waitUntil } from './helpers/tollgate.ts';
import { startUpstream, type Echo } from './helpers/upstream.ts';

describe('listeners and workers', () => {
  test('an ssl proxy listener serves HTTPS with the default certificate, and https-only routes pass', async () => {
    const up = await startUpstream('tls');
    const httpsPort = await freePort();
    const node = await startTollgate({
      config: `_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:${up.port}\n    routes:\n      - paths: ["/secure"]\n        protocols: ["https"]\n`,
      extraProxyListen: `127.0.0.1:${httpsPort} ssl`,
    });
    const insecure = new Agent({ connect: { rejectUnauthorized: false } });
    const httpPort = node.proxyPort;
    try {
      const res = await request(`https://127.0.0.1:${httpsPort}/secure`, { dispatcher: insecure });
      assert.equal(res.statusCode, 200);
      const echo = (await res.body.json()) as Echo;
      assert.equal(echo.headers['x-forwarded-proto'], 'https');
      assert.equal(echo.headers['x-forwarded-port'], String(httpsPort));
      const plain = await request(`http://127.0.0.1:${httpPort}/secure`);
      assert.equal(plain.statusCode, 426);
      await plain.body.text();
    } finally {
      await insecure.close();
      await node.stop();
      await up.close();
    }
  });

  test('a worker that dies is replaced and the proxy keeps serving', async () => {
    const up = await startUpstream('respawn');
    const node = await startTollgate({
      config: `_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:${up.port}\n    routes:\n      - paths: ["/"]\n`,
      workers: 2,
    });
    try {
      const before = ((await (await request(`${node.admin}/`)).body.json()) as { pids: { workers: number[] } }).pids.workers;
      assert.equal(before.length, 2);
      process.kill(before[0], 'SIGKILL');
      for (let i = 0; i < 20; i++) {
        const res = await request(`${node.proxy}/`);
        assert.equal(res.statusCode, 200);
        await res.body.text();
      }
      await waitUntil(async () => {
        const pids = ((await (await request(`${node.admin}/`)).body.json()) as { pids: { workers: number[] } }).pids.workers;
        return pids.length === 2 && !pids.includes(before[0]);
      }, 10_000, 'a replacement worker');
      await waitUntil(async () => (await request(`${node.status}/status/ready`)).statusCode === 200, 10_000, 'ready again');
      assert.match(node.output(), new RegExp(`pid ${before[0]}\\) exited \\(SIGKILL\\); starting a new one`));
    } finally {
      await node.stop();
      await up.close();
    }
  });
});

describe('HTTP/2', () => {
  test('an `ssl http2` listener proxies HTTP/2 and HTTP/1.1 clients to an HTTP/1.1 upstream', async () => {
    const up = await startUpstream('h2');
    const h2Port = await freePort();
    const node = await startTollgate({
      config: `_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:${up.port}/base\n    routes:\n      - paths: ["/h2"]\n`,
      extraProxyListen: `127.0.0.1:${h2Port} ssl http2`,
    });
    const session = connectHttp2(`https://127.0.0.1:${h2Port}`, { rejectUnauthorized: false });
    try {
      const get = await h2Request(session, { ':path': '/h2/x?y=1', ':authority': 'api.example' });
      assert.equal(get.headers[':status'], 200);
      const echo = JSON.parse(get.body) as Echo;
      assert.equal(echo.url, '/base/x?y=1');
      assert.equal(echo.headers['x-forwarded-host'], 'api.example');
      assert.equal(echo.headers['x-forwarded-proto'], 'https');
      assert.match(String(echo.headers.via), /^2 tollgate\//, 'Kong names HTTP/2 clients "2" in Via');
      assert.ok(!Object.keys(echo.headers).some((k) => k.startsWith(':')), 'no pseudo-headers upstream');
      const post = await h2Request(session, { ':path': '/h2/sink', ':method': 'POST' }, 'x'.repeat(100_000));
      assert.equal((JSON.parse(post.body) as Echo).bodyLength, 100_000);
      const miss = await h2Request(session, { ':path': '/nope' });
      assert.equal(miss.headers[':status'], 404);
      assert.equal((JSON.parse(miss.body) as { message: string }).message, 'no Route matched with those values');
      const insecure = new Agent({ connect: { rejectUnauthorized: false } });
      const h1 = await request(`https://127.0.0.1:${h2Port}/h2/over-h1`, { dispatcher: insecure });
      assert.equal(((await h1.body.json()) as Echo).url, '/base/over-h1');
      await insecure.close();
    } finally {
      session.close();
      assert.equal(await node.stop(), 0);
      await up.close();
    }
  });
});

function h2Request(session: ClientHttp2Session, headers: Record<string, string>, body?: string): Promise<{ headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let text = '';
    let got: Record<string, unknown> = {};
    stream.on('response', (h) => (got = h as Record<string, unknown>));
    stream.on('data', (c: Buffer) => (text += c.toString()));
    stream.on('end', () => resolve({ headers: got, body: text }));
    stream.on('error', reject);
    stream.end(body);
  });
}
