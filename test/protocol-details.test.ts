/**
 * Start-up and HTTP/1.1 protocol details, through `bin/tollgate` on raw sockets (issue 15, item 10): the
 * proxy port accepts connections as soon as the Admin API answers; a 426 honours `Connection: close`; two
 * `Host` headers are a 400; absolute-form targets are routed by their authority; an over-long request line
 * is a 414; a transfer coding other than chunked is a 501 — as nginx answers them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { freePort } from './helpers/ports.ts';

/** Writes `text` on a new connection; resolves with what came back once the gateway closed it (or after `ms`). */
function exchange(port: number, text: string, ms = 5000): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, closed: false });
    }, ms);
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closed: true });
    });
    socket.write(text);
  });
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('HTTP/1.1 details of the proxy', () => {
  let a: TestUpstream;
  let b: TestUpstream;
  let node: TollgateNode;

  before(async () => {
    a = await startUpstream('by-host-a');
    b = await startUpstream('by-host-b');
    node = await startTollgate({
      config: `_format_version: "3.0"
services:
  - name: a
    url: http://127.0.0.1:${a.port}
    routes: [{ name: a, hosts: [a.example], paths: [/] }]
  - name: b
    url: http://127.0.0.1:${b.port}
    routes:
      - { name: b, hosts: [b.example], paths: [/] }
      - { name: secure, paths: [/secure], protocols: [https] }
`,
    });
  });

  after(async () => {
    await node?.stop();
    await a?.close();
    await b?.close();
  });

  test('a 426 to a request with Connection: close closes the connection', async () => {
    const { received, closed } = await exchange(node.proxyPort, 'GET /secure HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 3000);
    assert.match(received, /^HTTP\/1\.1 426 /, received);
    assert.match(received, /\r\nConnection: Upgrade, close\r\n/i);
    assert.ok(closed, 'the connection was left open');
    // Without close it stays a keep-alive connection, as before.
    const kept = await exchange(node.proxyPort, 'GET /secure HTTP/1.1\r\nHost: x\r\n\r\n', 500);
    assert.match(kept.received, /^HTTP\/1\.1 426 /);
    assert.equal(kept.closed, false);
  });

  test('two Host headers are refused with 400', async () => {
    const { received, closed } = await exchange(node.proxyPort, 'GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n');
    assert.match(received, /^HTTP\/1\.1 400 /, received);
    assert.ok(closed);
    assert.equal(a.count + b.count, 0);
  });

  test('an absolute-form target is routed by its authority and path, not by Host', async () => {
    const { received } = await exchange(node.proxyPort, 'GET http://b.example/some/path?x=1 HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n');
    assert.match(received, /^HTTP\/1\.1 200 /, received);
    assert.match(received, /"server":"by-host-b"/);
    assert.match(received, /"url":"\/some\/path\?x=1"/);
  });

  test('a 100 KB URI gets 414', async () => {
    const { received, closed } = await exchange(node.proxyPort, `GET /${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: a.example\r\n\r\n`);
    assert.match(received, /^HTTP\/1\.1 414 /, received.slice(0, 200));
    assert.ok(closed);
    // Long headers are still a 400.
    const headers = await exchange(node.proxyPort, `GET / HTTP/1.1\r\nHost: a.example\r\nX-Big: ${'b'.repeat(40 * 1024)}\r\n\r\n`);
    assert.match(headers.received, /^HTTP\/1\.1 400 /, headers.received.slice(0, 200));
  });

  test('Transfer-Encoding with a coding other than chunked gets 501', async () => {
    const { received, closed } = await exchange(
      node.proxyPort,
      'POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    );
    assert.match(received, /^HTTP\/1\.1 501 /, received);
    assert.ok(closed);
    assert.equal(a.count, 0);
  });
});

describe('start-up', () => {
  test('the proxy port accepts connections as soon as the Admin API answers', { timeout: 60_000 }, async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'tollgate-startup-'));
    const [proxyPort, adminPort, statusPort] = [await freePort(), await freePort(), await freePort()];
    const file = join(prefix, 'tollgate.yml');
    writeFileSync(file, '_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:9\n    routes: [{ paths: [/] }]\n');
    const proc = spawn(BIN, ['start'], {
      env: {
        ...(process.env as Record<string, string>),
        TOLLGATE_PREFIX: prefix,
        TOLLGATE_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
        TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
        TOLLGATE_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
        TOLLGATE_ADMIN_GUI_LISTEN: 'off',
        TOLLGATE_WORKER_PROCESSES: '2',
        TOLLGATE_DATABASE: 'off',
        TOLLGATE_DECLARATIVE_CONFIG: file,
      },
      stdio: 'ignore',
    });
    try {
      let adminUp = false;
      for (let k = 0; k < 2000 && !adminUp; k++) {
        adminUp = await fetch(`http://127.0.0.1:${adminPort}/`).then(() => true, () => false);
        if (!adminUp) await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(adminUp, 'the Admin API never answered');
      assert.ok(await connects(proxyPort), 'the proxy port refused a connection after the Admin API answered');
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});
