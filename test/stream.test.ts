/**
 * The stream proxy through `bin/tollgate`: `stream_listen` TCP, TLS (terminated and passthrough) and UDP
 * listeners, routes chosen by destination port, source CIDR and SNI, upstream balancing, TLS to the
 * upstream, DB-less and Admin API configuration, and a bad `stream_listen` refused at start.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { adminCall } from './helpers/admin-call.ts';
import { freePort } from './helpers/ports.ts';
import { BIN, ROOT, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-stream-'));

function makeCertificate(cn: string): { cert: string; key: string } {
  const cert = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${cn}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

/** A TCP server answering each chunk with `<name>:<chunk>`. */
async function tcpEcho(name: string): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const server = createServer((socket) => socket.on('data', (chunk) => socket.write(`${name}:${chunk.toString()}`)).on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port };
}

async function tlsEcho(name: string, pem: { cert: string; key: string }): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const server = createTlsServer(pem, (socket) => socket.on('data', (chunk) => socket.write(`${name}:${chunk.toString()}`)).on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port };
}

/** Sends `text` on `socket` and resolves with the first answer, or `closed` when the proxy hangs up. */
function exchange(socket: Socket | TLSSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (value: string): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(value);
    };
    socket.once('data', (chunk: Buffer) => finish(chunk.toString()));
    socket.once('close', () => finish('closed'));
    socket.once('error', () => finish('closed'));
    socket.write(text);
  });
}

function tcpRoundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => void exchange(socket, text).then(resolve));
    socket.once('error', () => resolve('closed'));
  });
}

/** A TLS round trip through the proxy: the served certificate's CN and the answer. */
function tlsRoundTrip(port: number, servername: string, text: string): Promise<{ cn: string; answer: string }> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const cn = String(socket.getPeerCertificate().subject?.CN);
      void exchange(socket, text).then((answer) => resolve({ cn, answer }));
    });
    socket.once('error', reject);
  });
}

function udpRoundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve('timeout');
    }, 2000);
    socket.once('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg.toString());
    });
    socket.send(text, port, '127.0.0.1');
  });
}

/** `bin/tollgate ARGS` to completion; waits for its output pipes to close, not only for the exit, so no line is lost. */
function runToEnd(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const proc = spawn(BIN, args, { env: { ...(process.env as Record<string, string>), ...env }, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Polls a round trip until it gives `expected` (a new configuration applies asynchronously). */
async function eventually(trip: () => Promise<string>, expected: string): Promise<string> {
  let last = '';
  await waitUntil(async () => (last = await trip()) === expected, 20_000, `answer ${expected}`).catch(() => {});
  return last;
}

function yamlBlock(pem: string, indent: string): string {
  return `|\n${pem.trim().split('\n').map((line) => indent + line).join('\n')}`;
}

describe('stream proxy, DB-less', () => {
  const upstreams: Server[] = [];
  let node: TollgateNode;
  const ports: Record<string, number> = {};
  let a: number, b: number, c: number, backendTls: number, udpEchoPort: number;
  let udpEcho: ReturnType<typeof createSocket>;

  before(async () => {
    const echoA = await tcpEcho('A');
    const echoB = await tcpEcho('B');
    const echoC = await tcpEcho('C');
    const backend = await tlsEcho('T', makeCertificate('backend.test'));
    upstreams.push(echoA.server, echoB.server, echoC.server, backend.server);
    [a, b, c, backendTls] = [echoA.port, echoB.port, echoC.port, backend.port];
    udpEchoPort = await freePort();
    udpEcho = createSocket('udp4');
    udpEcho.on('message', (msg, from) => udpEcho.send(`U:${msg.toString()}`, from.port, from.address));
    await new Promise<void>((resolve) => udpEcho.bind(udpEchoPort, '127.0.0.1', resolve));
    for (const name of ['tcpA', 'tcpB', 'src', 'srcMiss', 'term', 'pass', 'tlsUp', 'pool', 'udp', 'proxied', 'failover', 'dead', 'denied', 'allowed']) ports[name] = await freePort();
    const terminated = makeCertificate('term.test');
    const config = `_format_version: "3.0"
services:
  - name: a
    protocol: tcp
    host: 127.0.0.1
    port: ${a}
    routes:
      - name: by-port-a
        protocols: [tcp]
        destinations: [{ port: ${ports.tcpA} }]
      - name: terminated
        protocols: [tls]
        snis: [term.test]
  - name: b
    protocol: tcp
    host: 127.0.0.1
    port: ${b}
    routes:
      - name: by-port-b
        protocols: [tcp]
        destinations: [{ port: ${ports.tcpB} }]
      - name: any-source-on-src
        protocols: [tcp]
        destinations: [{ port: ${ports.src} }]
      - name: plain-beside-passthrough
        protocols: [tcp]
        destinations: [{ port: ${ports.pass} }]
      - name: behind-a-load-balancer
        protocols: [tcp]
        sources: [{ ip: 10.9.0.0/16 }]
      - name: denied
        protocols: [tcp]
        destinations: [{ port: ${ports.denied} }]
        plugins:
          - name: ip-restriction
            protocols: [tcp]
            config: { deny: [127.0.0.0/8] }
      - name: allowed
        protocols: [tcp]
        destinations: [{ port: ${ports.allowed} }]
        plugins:
          - name: ip-restriction
            protocols: [tcp]
            config: { allow: [127.0.0.1] }
  - name: c
    protocol: tcp
    host: 127.0.0.1
    port: ${c}
    routes:
      - name: loopback-source
        protocols: [tcp]
        sources: [{ ip: 127.0.0.0/8 }]
        destinations: [{ port: ${ports.src} }]
      - name: other-source
        protocols: [tcp]
        sources: [{ ip: 10.0.0.0/8 }]
        destinations: [{ port: ${ports.srcMiss} }]
  - name: passthrough
    protocol: tcp
    host: 127.0.0.1
    port: ${backendTls}
    routes:
      - name: passthrough
        protocols: [tls_passthrough]
        snis: [backend.test]
  - name: tls-upstream
    protocol: tls
    host: 127.0.0.1
    port: ${backendTls}
    routes:
      - name: to-tls
        protocols: [tcp]
        destinations: [{ port: ${ports.tlsUp} }]
  - name: pool
    protocol: tcp
    host: stream-pool
    port: 1
    routes:
      - name: balanced
        protocols: [tcp]
        destinations: [{ port: ${ports.pool} }]
  - name: failover
    protocol: tcp
    host: half-dead
    routes:
      - name: failover
        protocols: [tcp]
        destinations: [{ port: ${ports.failover} }]
  - name: udp
    protocol: udp
    host: udp-pool
    routes:
      - name: udp
        protocols: [udp]
        destinations: [{ port: ${ports.udp} }]
upstreams:
  - name: stream-pool
    targets:
      - target: 127.0.0.1:${a}
      - target: 127.0.0.1:${b}
  - name: half-dead
    healthchecks:
      passive:
        type: tcp
        unhealthy: { tcp_failures: 1 }
    targets:
      - target: 127.0.0.1:${ports.dead}
      - target: 127.0.0.1:${a}
  - name: udp-pool
    targets:
      - target: 127.0.0.1:${udpEchoPort}
certificates:
  - cert: ${yamlBlock(terminated.cert, '      ')}
    key: ${yamlBlock(terminated.key, '      ')}
    snis:
      - name: term.test
`;
    const listen = [
      `127.0.0.1:${ports.tcpA}`, `127.0.0.1:${ports.tcpB}`, `127.0.0.1:${ports.src}`, `127.0.0.1:${ports.srcMiss}`,
      `127.0.0.1:${ports.term} ssl`, `127.0.0.1:${ports.pass}`, `127.0.0.1:${ports.tlsUp}`, `127.0.0.1:${ports.pool} reuseport`,
      `127.0.0.1:${ports.udp} udp`, `127.0.0.1:${ports.proxied} proxy_protocol`, `127.0.0.1:${ports.failover}`, `127.0.0.1:${ports.denied}`, `127.0.0.1:${ports.allowed}`,
    ].join(', ');
    node = await startTollgate({ config, env: { TOLLGATE_STREAM_LISTEN: listen } });
  });

  after(async () => {
    await node?.stop();
    for (const s of upstreams) s.close();
    udpEcho?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a tcp route is chosen by destination port', async () => {
    assert.equal(await tcpRoundTrip(ports.tcpA, 'hello'), 'A:hello');
    assert.equal(await tcpRoundTrip(ports.tcpB, 'hello'), 'B:hello');
  });

  test('a route matching the source CIDR wins over one matching only the destination; a foreign CIDR does not match', async () => {
    assert.equal(await tcpRoundTrip(ports.src, 'x'), 'C:x');
    assert.equal(await tcpRoundTrip(ports.srcMiss, 'x'), 'closed');
  });

  test('an ssl stream listener terminates TLS with the certificate of the SNI and routes by it', async () => {
    const { cn, answer } = await tlsRoundTrip(ports.term, 'term.test', 'secret');
    assert.equal(cn, 'term.test');
    assert.equal(answer, 'A:secret');
  });

  test('tls_passthrough routes by the ClientHello SNI and the client sees the upstream certificate', async () => {
    const { cn, answer } = await tlsRoundTrip(ports.pass, 'backend.test', 'through');
    assert.equal(cn, 'backend.test');
    assert.equal(answer, 'T:through');
  });

  test('on an ssl listener, a tls_passthrough route is passed through and other names are terminated (as Kong)', async () => {
    const passed = await tlsRoundTrip(ports.term, 'backend.test', 'p');
    assert.deepEqual([passed.cn, passed.answer], ['backend.test', 'T:p']);
    const terminated = await tlsRoundTrip(ports.term, 'term.test', 't');
    assert.deepEqual([terminated.cn, terminated.answer], ['term.test', 'A:t']);
  });

  test('on a listener with tls_passthrough routes, a plain TCP client still reaches its tcp route', async () => {
    assert.equal(await tcpRoundTrip(ports.pass, 'plain'), 'B:plain');
  });

  test('a proxy_protocol listener routes on the client address of the PROXY header', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(ports.proxied, '127.0.0.1', () => {
        socket.write(`PROXY TCP4 10.9.1.1 127.0.0.1 40000 ${ports.proxied}\r\n`);
        void exchange(socket, 'via-lb').then(resolve);
      });
      socket.once('error', () => resolve('closed'));
    });
    assert.equal(answer, 'B:via-lb');
    // The same client in a v2 (binary) header, header and data in one write.
    const v2 = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 12, 10, 9, 1, 1, 127, 0, 0, 1, 0x9c, 0x40, 0, 0]);
    v2.writeUInt16BE(ports.proxied, 26);
    const binary = await new Promise<string>((resolve) => {
      const socket = connect(ports.proxied, '127.0.0.1', () => {
        socket.cork();
        socket.write(v2);
        void exchange(socket, 'via-nlb').then(resolve);
        socket.uncork();
      });
      socket.once('error', () => resolve('closed'));
    });
    assert.equal(binary, 'B:via-nlb');
    // Without the header the connection is refused.
    assert.equal(await tcpRoundTrip(ports.proxied, 'no header\r\n'), 'closed');
  });

  test('GET / shows the parsed stream listeners', async () => {
    const root = (await (await fetch(node.admin)).json()) as { configuration: { stream_proxy_ssl_enabled: boolean; stream_listeners: { port: number; udp: boolean; ssl: boolean }[] } };
    assert.equal(root.configuration.stream_proxy_ssl_enabled, true);
    const byPort = new Map(root.configuration.stream_listeners.map((l) => [l.port, l]));
    assert.equal(byPort.get(ports.udp)?.udp, true);
    assert.equal(byPort.get(ports.term)?.ssl, true);
  });

  test('a tls service is reached over TLS from a plain TCP client', async () => {
    assert.equal(await tcpRoundTrip(ports.tlsUp, 'wrapped'), 'T:wrapped');
  });

  test('connections are balanced over the upstream targets', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await tcpRoundTrip(ports.pool, 'n')).slice(0, 1));
    assert.deepEqual([...seen].sort(), ['A', 'B']);
  });

  test('a target refusing connections is retried on the next one, and passive checks take it out', async () => {
    for (let i = 0; i < 4; i++) assert.equal(await tcpRoundTrip(ports.failover, `f${i}`), `A:f${i}`);
    // The supervisor counted the refused connects: the dead target is reported unhealthy.
    await waitUntil(async () => {
      const r = await fetch(`${node.admin}/upstreams/half-dead/health`);
      const body = (await r.json()) as { data: { target: string; health: string }[] };
      return body.data.some((t) => t.target === `127.0.0.1:${ports.dead}` && t.health === 'UNHEALTHY');
    }, 20_000, 'the dead target marked unhealthy');
  });

  test('ip-restriction on a stream route refuses the clients it denies', async () => {
    assert.equal(await tcpRoundTrip(ports.denied, 'no'), 'closed');
    assert.equal(await tcpRoundTrip(ports.allowed, 'yes'), 'B:yes');
  });

  test('the stream access log has a basic line per connection, with nginx stream statuses', async () => {
    assert.equal(await tcpRoundTrip(ports.tcpA, 'logged'), 'A:logged');
    assert.equal(await tcpRoundTrip(ports.srcMiss, 'x'), 'closed');
    assert.equal(await tcpRoundTrip(ports.denied, 'x'), 'closed');
    const log = (): string => {
      try {
        return readFileSync(join(node.prefix, 'logs', 'access.log'), 'utf8');
      } catch {
        return '';
      }
    };
    const line = (status: number) => new RegExp(`^127\\.0\\.0\\.1 \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000\\] TCP ${status} \\d+ \\d+ \\d+\\.\\d{3}$`, 'm');
    // Earlier tests' connections already logged lines of each status: wait for this test's own line as well.
    await waitUntil(() => /TCP 200 8 6 /.test(log()), 20_000, "this test's connection's line");
    assert.match(log(), line(200));
    assert.match(log(), line(400));
    assert.match(log(), line(403));
  });

  test('udp datagrams reach the upstream and replies come back', async () => {
    assert.equal(await udpRoundTrip(ports.udp, 'ping'), 'U:ping');
    assert.equal(await udpRoundTrip(ports.udp, 'again'), 'U:again');
  });
});

describe('stream routes from the Admin API', () => {
  let node: TollgateNode;
  let echo: { server: Server; port: number };
  let streamPort: number;

  before(async () => {
    echo = await tcpEcho('E');
    streamPort = await freePort();
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_STREAM_LISTEN: `127.0.0.1:${streamPort}` } });
  });

  after(async () => {
    await node?.stop();
    echo?.server.close();
  });

  test('a stream route created over the Admin API is proxied', async () => {
    const service = await adminCall(node.admin, 'POST', '/services', { name: 'tcp-echo', url: `tcp://127.0.0.1:${echo.port}` });
    assert.equal(service.status, 201, JSON.stringify(service.body));
    const route = await adminCall(node.admin, 'POST', '/services/tcp-echo/routes', { protocols: ['tcp'], destinations: [{ port: streamPort }] });
    assert.equal(route.status, 201, JSON.stringify(route.body));
    assert.equal(await eventually(() => tcpRoundTrip(streamPort, 'hi'), 'E:hi'), 'E:hi');
  });
});

test('a bad stream_listen is refused at start, naming the setting', async () => {
  const prefix = mkdtempSync(join(tmpdir(), 'tollgate-stream-bad-'));
  try {
    const result = await runToEnd(['start'], { TOLLGATE_PREFIX: prefix, TOLLGATE_DATABASE: 'off', TOLLGATE_STREAM_LISTEN: '127.0.0.1:9999 http2' });
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /stream_listen/);
    assert.match(result.stdout + result.stderr, /unknown flag 'http2'/);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test('a node with only stream listeners runs its workers; a stream port in use is named at start', async () => {
  const echo = await tcpEcho('S');
  const streamPort = await freePort();
  const node = await startTollgate({
    config: `_format_version: "3.0"\nservices:\n  - url: tcp://127.0.0.1:${echo.port}\n    routes:\n      - protocols: [tcp]\n        destinations: [{ port: ${streamPort} }]\n`,
    env: { TOLLGATE_PROXY_LISTEN: 'off', TOLLGATE_STREAM_LISTEN: `127.0.0.1:${streamPort}` },
  });
  try {
    assert.equal(await eventually(() => tcpRoundTrip(streamPort, 'only'), 'S:only'), 'S:only');
    const prefix = mkdtempSync(join(tmpdir(), 'tollgate-stream-busy-'));
    try {
      const busy = await runToEnd(['start'], {
        TOLLGATE_PREFIX: prefix, TOLLGATE_DATABASE: 'off', TOLLGATE_PROXY_LISTEN: 'off', TOLLGATE_ADMIN_LISTEN: 'off', TOLLGATE_STATUS_LISTEN: 'off',
        TOLLGATE_ADMIN_GUI_LISTEN: 'off', TOLLGATE_WORKER_PROCESSES: '1', TOLLGATE_STREAM_LISTEN: `127.0.0.1:${streamPort}`,
      });
      const output = busy.stdout + busy.stderr;
      assert.notEqual(busy.code, 0, output);
      assert.match(output, new RegExp(`could not open the proxy listeners \\(127\\.0\\.0\\.1:${streamPort}\\)`), output);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  } finally {
    await node.stop();
    echo.server.close();
  }
});

test('router_flavor = expressions: a stream route written as an expression', async () => {
  const echo = await tcpEcho('X');
  const [streamPort, otherPort] = [await freePort(), await freePort()];
  const node = await startTollgate({
    config: `_format_version: "3.0"\nservices:\n  - url: tcp://127.0.0.1:${echo.port}\n    routes:\n      - protocols: [tcp]\n        expression: 'net.dst.port == ${streamPort} && net.src.ip in 127.0.0.0/8'\n        priority: 1\n`,
    env: { TOLLGATE_ROUTER_FLAVOR: 'expressions', TOLLGATE_STREAM_LISTEN: `127.0.0.1:${streamPort}, 127.0.0.1:${otherPort}` },
  });
  try {
    assert.equal(await tcpRoundTrip(streamPort, 'expr'), 'X:expr');
    assert.equal(await tcpRoundTrip(otherPort, 'expr'), 'closed');
  } finally {
    await node.stop();
    echo.server.close();
  }
});
