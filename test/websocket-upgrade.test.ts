/**
 * WebSocket handshakes through `bin/tollgate`, on raw sockets (issue 15, item 2): the client and upstream
 * connections are joined only after the upstream answers `101 Switching Protocols`; any other answer is an
 * ordinary response after which the connection closes, so a request pipelined behind the handshake never
 * reaches the upstream without routing and plugins. The handshake goes through the service's connection pool:
 * its upstream TLS settings apply to `wss` upstreams, and passive health checks count its answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { onRequestHeads } from './helpers/raw-http.ts';
import { freePort } from './helpers/ports.ts';

const HANDSHAKE = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

/**
 * An upstream that ignores `Upgrade` and answers every request line it reads on a connection (as most HTTP
 * servers do when they do not speak WebSocket on that path), recording each one. Paths under `/ws` get a
 * 101 and then echo bytes back; `/fail` gets a 500.
 */
async function naiveUpstream(seen: string[]): Promise<TcpServer> {
  const server = createTcpServer((socket) => {
    socket.on('error', () => {});
    onRequestHeads(socket, (head) => {
      const line = head.split('\r\n')[0];
      seen.push(line);
      const path = line.split(' ')[1] ?? '';
      if (path.includes('/ws')) {
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Seen-Path: ${path}\r\n\r\n`);
        socket.removeAllListeners('data');
        socket.pipe(socket);
        return false;
      }
      const status = path.startsWith('/fail') ? '500 Internal Server Error' : '200 OK';
      const body = JSON.stringify({ line });
      socket.write(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/**
 * Sends `text` on a new connection and returns everything received until the gateway closes it (or `ms`,
 * or with `headOnly`, until a complete response head).
 */
function exchange(port: number, text: string, ms = 5000, headOnly = false): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, closed: false });
    }, ms);
    socket.on('data', (c: Buffer) => {
      received += c.toString('latin1');
      if (headOnly && received.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closed: true });
    });
    socket.write(text);
  });
}

/** Reads from `socket` until `received` matches `pattern`. */
function readUntil(socket: Socket, pattern: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const timer = setTimeout(() => reject(new Error(`no ${what}: ${JSON.stringify(received)}`)), 5000);
    const onData = (c: Buffer): void => {
      received += c.toString('latin1');
      if (pattern.test(received)) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(received);
      }
    };
    socket.on('data', onData);
  });
}

function statusLines(text: string): string[] {
  return text.match(/HTTP\/1\.1 \d{3}/g) ?? [];
}

describe('WebSocket upgrades are spliced only after a 101', { timeout: 60_000 }, () => {
  const seen: string[] = [];
  let up: TcpServer;
  let node: TollgateNode;
  let closedPort: number;

  before(async () => {
    up = await naiveUpstream(seen);
    const port = (up.address() as AddressInfo).port;
    closedPort = await freePort();
    node = await startTollgate({
      config: `_format_version: "3.0"
upstreams:
  - name: watched
    healthchecks:
      passive:
        unhealthy: { http_failures: 1, tcp_failures: 1 }
    targets: [{ target: "127.0.0.1:${port}" }]
  - name: gone
    healthchecks:
      passive:
        unhealthy: { tcp_failures: 1 }
    targets: [{ target: "127.0.0.1:${closedPort}" }]
services:
  - name: public
    url: http://127.0.0.1:${port}
    routes: [{ name: public, paths: [/public], strip_path: false }]
  - name: internal
    url: http://127.0.0.1:${port}
    routes: [{ name: internal, paths: [/internal], strip_path: false }]
    plugins:
      - name: key-auth
        config: { key_names: [apikey] }
  - name: watched
    host: watched
    retries: 0
    routes: [{ name: watched, paths: [/fail], strip_path: false }]
  - name: gone
    host: gone
    retries: 0
    routes: [{ name: gone, paths: [/gone], strip_path: false }]
consumers:
  - username: ann
    keyauth_credentials: [{ key: ann-key }]
`,
    });
  });

  after(async () => {
    await node?.stop();
    up?.close();
  });

  test('a request pipelined behind a refused handshake never reaches the upstream', async () => {
    seen.length = 0;
    const { received, closed } = await exchange(
      node.proxyPort,
      `GET /public/x HTTP/1.1\r\nHost: example\r\n${HANDSHAKE}\r\nGET /internal/admin HTTP/1.1\r\nHost: example\r\n\r\n`,
    );
    // The upstream answered the handshake with a 200: the client gets it as a response, then the gateway
    // closes the connection instead of joining it to the upstream.
    assert.match(received, /^HTTP\/1\.1 200 /, received);
    assert.match(received, /\r\nConnection: close\r\n/i, received);
    assert.match(received, /"line":"GET \/public\/x HTTP\/1.1"/);
    assert.ok(closed, 'the connection was closed after the answer');
    assert.deepEqual(statusLines(received), ['HTTP/1.1 200'], received);
    assert.doesNotMatch(received, /internal\/admin/);
    assert.deepEqual(seen, ['GET /public/x HTTP/1.1'], 'only the routed handshake reached the upstream');
  });

  test('the same request on its own is routed, and key-auth refuses it', async () => {
    seen.length = 0;
    const { received } = await exchange(node.proxyPort, 'GET /internal/admin HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n');
    assert.match(received, /^HTTP\/1\.1 401 /, received);
    assert.deepEqual(seen, []);
  });

  test('a handshake to a key-auth route is refused without the key, and the bytes after it are dropped', async () => {
    seen.length = 0;
    const { received, closed } = await exchange(
      node.proxyPort,
      `GET /internal/ws HTTP/1.1\r\nHost: example\r\n${HANDSHAKE}\r\nGET /internal/admin HTTP/1.1\r\nHost: example\r\n\r\n`,
    );
    assert.match(received, /^HTTP\/1\.1 401 /, received);
    assert.ok(closed);
    assert.deepEqual(statusLines(received), ['HTTP/1.1 401']);
    assert.deepEqual(seen, []);
  });

  test('a 101 joins the connections, and what the client sent early follows the handshake', async () => {
    seen.length = 0;
    const socket = connect(node.proxyPort, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const head = readUntil(socket, /\r\n\r\nearly-bytes$/, '101 and the early bytes echoed');
    socket.write(`GET /internal/ws/chat HTTP/1.1\r\nHost: example\r\napikey: ann-key\r\n${HANDSHAKE}\r\nearly-bytes`);
    const text = await head;
    assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(text, /X-Seen-Path: \/internal\/ws\/chat/);
    const echoed = readUntil(socket, /ping-over-the-tunnel/, 'echo');
    socket.write('ping-over-the-tunnel');
    await echoed;
    socket.destroy();
    assert.deepEqual(seen, ['GET /internal/ws/chat HTTP/1.1']);
  });

  test('passive health checks count the answers to handshakes', async () => {
    const fail = await exchange(node.proxyPort, `GET /fail HTTP/1.1\r\nHost: example\r\n${HANDSHAKE}\r\n`);
    assert.match(fail.received, /^HTTP\/1\.1 500 /, fail.received);
    await waitUntil(() => /upstream watched: target 127\.0\.0\.1:\d+ is unhealthy \(passive check: http failure\)/.test(node.output()), 5000, 'the http failure in the log');
    const gone = await exchange(node.proxyPort, `GET /gone HTTP/1.1\r\nHost: example\r\n${HANDSHAKE}\r\n`);
    assert.match(gone.received, /^HTTP\/1\.1 502 /, gone.received);
    await waitUntil(() => /upstream gone: target 127\.0\.0\.1:\d+ is unhealthy \(passive check: tcp failure\)/.test(node.output()), 5000, 'the tcp failure in the log');
  });
});

describe('WebSocket upgrades to TLS upstreams use the service TLS settings', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-wss-'));
  const openssl = (args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
  const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const issue = (name: string, cn: string, extensions: string): { cert: string; key: string } => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(['req', '-new', ...EC, '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'root.crt', '-CAkey', 'root.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
    return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
  };
  let server: HttpsServer;
  let node: TollgateNode;

  before(async () => {
    writeFileSync(join(dir, 'root.cnf'), '[req]\ndistinguished_name = dn\n[dn]\n[v3]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n');
    openssl(['req', '-x509', ...EC, '-days', '2', '-subj', '/CN=WSS Test Root', '-keyout', 'root.key', '-out', 'root.crt', '-extensions', 'v3', '-config', 'root.cnf']);
    const root = readFileSync(join(dir, 'root.crt'), 'utf8');
    const leaf = issue('leaf', 'wss.upstream', 'basicConstraints = critical,CA:FALSE\nextendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1\n');
    const client = issue('client', 'tollgate-wss-client', 'basicConstraints = critical,CA:FALSE\nextendedKeyUsage = clientAuth\n');
    // Requires a client certificate from the test CA; answers handshakes with a 101 naming the client.
    server = createHttpsServer({ ...leaf, ca: root, requestCert: true, rejectUnauthorized: true }, (_req, res) => res.end('plain'));
    server.on('upgrade', (req, socket) => {
      const cn = (socket as TLSSocket).getPeerCertificate()?.subject?.CN ?? 'none';
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Client: ${cn}\r\nX-Seen-Path: ${req.url}\r\n\r\n`);
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const caId = randomUUID();
    const certId = randomUUID();
    const block = (pem: string): string => `|\n${pem.trim().split('\n').map((l) => `      ${l}`).join('\n')}`;
    const service = (name: string, extra: string): string =>
      `  - name: ${name}\n    url: https://127.0.0.1:${port}\n    retries: 0\n${extra}    routes: [{ paths: ["/${name}"], strip_path: false }]\n`;
    node = await startTollgate({
      config: `_format_version: "3.0"
ca_certificates:
  - id: ${caId}
    cert: ${block(root)}
certificates:
  - id: ${certId}
    cert: ${block(client.cert)}
    key: ${block(client.key)}
services:
${service('trusted', `    tls_verify: true\n    ca_certificates: [${caId}]\n    client_certificate: ${certId}\n`)}${service('untrusted', `    tls_verify: true\n    client_certificate: ${certId}\n`)}${service('no-client-cert', `    tls_verify: true\n    ca_certificates: [${caId}]\n`)}${service('too-deep', `    tls_verify: true\n    ca_certificates: [${caId}]\n    client_certificate: ${certId}\n    tls_verify_depth: 0\n`)}`,
    });
  });

  after(async () => {
    await node?.stop();
    server?.closeAllConnections();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const handshake = (path: string) => exchange(node.proxyPort, `GET ${path} HTTP/1.1\r\nHost: example\r\n${HANDSHAKE}\r\n`, 5000, true);

  test('a trusted upstream gets the client certificate and switches protocols', async () => {
    const { received } = await handshake('/trusted/ws');
    assert.match(received, /^HTTP\/1\.1 101 /, received);
    assert.match(received, /X-Client: tollgate-wss-client/);
  });

  test('tls_verify refuses an upstream outside the trusted CAs', async () => {
    const { received } = await handshake('/untrusted/ws');
    assert.match(received, /^HTTP\/1\.1 502 /, received);
  });

  test('without client_certificate the upstream refuses the TLS handshake', async () => {
    const { received } = await handshake('/no-client-cert/ws');
    assert.match(received, /^HTTP\/1\.1 502 /, received);
  });

  test('tls_verify_depth bounds the chain (the leaf is signed by the root: depth 0 allows it)', async () => {
    const { received } = await handshake('/too-deep/ws');
    assert.match(received, /^HTTP\/1\.1 101 /, received);
  });
});
