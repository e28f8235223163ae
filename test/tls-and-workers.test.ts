import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
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
