import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';

describe('upstream targets', () => {
  let a: TestUpstream;
  let b: TestUpstream;
  let deadPort: number;
  let node: TollgateNode;

  before(async () => {
    a = await startUpstream('a');
    b = await startUpstream('b');
    const dead = await startUpstream('dead');
    deadPort = dead.port;
    await dead.close();
    node = await startTollgate({
      config: `
_format_version: "3.0"
upstreams:
  - name: pool.internal
    targets:
      - target: 127.0.0.1:${a.port}
        weight: 100
      - target: 127.0.0.1:${b.port}
        weight: 300
  - name: flaky.internal
    targets:
      - target: 127.0.0.1:${deadPort}
      - target: 127.0.0.1:${a.port}
  - name: empty.internal
services:
  - name: pooled
    host: pool.internal
    routes: [{ paths: ["/pool"] }]
  - name: flaky
    host: flaky.internal
    retries: 3
    routes: [{ paths: ["/flaky"] }]
  - name: empty
    host: empty.internal
    routes: [{ paths: ["/empty"] }]
`,
    });
  });

  after(async () => {
    await node?.stop();
    await a?.close();
    await b?.close();
  });

  test('weighted round-robin over the targets', async () => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < 80; i++) {
      const res = await request(`${node.proxy}/pool`);
      const echo = (await res.body.json()) as Echo;
      seen[echo.server] = (seen[echo.server] ?? 0) + 1;
      assert.equal(echo.headers.host, `127.0.0.1:${echo.server === 'a' ? a.port : b.port}`);
    }
    assert.equal(seen.a, 20);
    assert.equal(seen.b, 60);
  });

  test('a refused connection is retried on the next target', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await request(`${node.proxy}/flaky`);
      assert.equal(res.statusCode, 200);
      assert.equal(((await res.body.json()) as Echo).server, 'a');
    }
  });

  test('an upstream without targets answers 503', async () => {
    const res = await request(`${node.proxy}/empty`);
    assert.equal(res.statusCode, 503);
    assert.equal(((await res.body.json()) as { message: string }).message, 'failure to get a peer from the ring-balancer');
  });
});

describe('trusted_ips and real_ip_header', () => {
  test('client-supplied forwarding headers are kept only from trusted peers', async () => {
    const up = await startUpstream('echo');
    const config = `_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:${up.port}\n    routes:\n      - paths: ["/"]\n`;
    const headers = {
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'public.example',
      'x-forwarded-port': '443',
      'x-real-ip': '203.0.113.7',
    };
    const trusted = await startTollgate({ config, env: { TOLLGATE_TRUSTED_IPS: '127.0.0.1/32', TOLLGATE_REAL_IP_HEADER: 'X-Forwarded-For' } });
    const untrusted = await startTollgate({ config, env: { TOLLGATE_TRUSTED_IPS: '10.0.0.0/8' } });
    try {
      const t = (await (await request(`${trusted.proxy}/`, { headers })).body.json()) as Echo;
      assert.equal(t.headers['x-real-ip'], '203.0.113.7');
      assert.equal(t.headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
      assert.equal(t.headers['x-forwarded-proto'], 'https');
      assert.equal(t.headers['x-forwarded-host'], 'public.example');
      assert.equal(t.headers['x-forwarded-port'], '443');
      const u = (await (await request(`${untrusted.proxy}/`, { headers })).body.json()) as Echo;
      assert.equal(u.headers['x-real-ip'], '127.0.0.1');
      // Kong appends to an untrusted client's X-Forwarded-For too; only X-Real-IP and the other X-Forwarded-* ignore it.
      assert.equal(u.headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
      assert.equal(u.headers['x-forwarded-proto'], 'http');
      assert.equal(u.headers['x-forwarded-port'], String(untrusted.proxyPort));
    } finally {
      await trusted.stop();
      await untrusted.stop();
      await up.close();
    }
  });

  test('headers = off removes Tollgate headers from responses', async () => {
    const up = await startUpstream('echo');
    const node = await startTollgate({
      config: `_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:${up.port}\n    routes:\n      - paths: ["/in"]\n`,
      env: { TOLLGATE_HEADERS: 'off' },
    });
    try {
      const res = await request(`${node.proxy}/in`);
      assert.equal(res.statusCode, 200);
      await res.body.text();
      assert.equal(res.headers.via, undefined);
      assert.equal(res.headers['x-tollgate-upstream-latency'], undefined);
      assert.equal(res.headers['x-tollgate-request-id'], undefined);
      const miss = await request(`${node.proxy}/out`);
      assert.equal(miss.statusCode, 404);
      await miss.body.text();
      assert.equal(miss.headers.server, undefined);
    } finally {
      await node.stop();
      await up.close();
    }
  });
});
