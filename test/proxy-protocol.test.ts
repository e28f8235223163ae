/**
 * `proxy_listen` entries with the `proxy_protocol` flag, behind a load balancer that opens each connection with
 * a PROXY protocol header (v1 text or v2 binary): with `real_ip_header = proxy_protocol` and the balancer in
 * `trusted_ips`, the address in the header is the client's — sent upstream, seen by plugins, matched by
 * ip-restriction — on plain and TLS listeners; a connection without a header is closed; an untrusted balancer's
 * header is read and ignored. The test plays the balancer itself on raw sockets against a real node.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { connect as http2Connect } from 'node:http2';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';
import { freePort } from './helpers/ports.ts';

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** A v2 PROXY header for a TCP/IPv4 connection (`local`: the balancer's own LOCAL command, no address). */
function v2Header(source: string, sourcePort: number, local = false): Buffer {
  if (local) return Buffer.concat([SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
  const body = Buffer.alloc(12);
  source.split('.').forEach((octet, i) => (body[i] = Number(octet)));
  [127, 0, 0, 1].forEach((octet, i) => (body[4 + i] = octet));
  body.writeUInt16BE(sourcePort, 8);
  body.writeUInt16BE(8000, 10);
  return Buffer.concat([SIGNATURE, Buffer.from([0x21, 0x11, 0x00, 12]), body]);
}

function v1Header(source: string, sourcePort: number): Buffer {
  return Buffer.from(`PROXY TCP4 ${source} 127.0.0.1 ${sourcePort} 8000\r\n`);
}

/** Responses read off a socket until it closes: status line and JSON body of each. */
function readResponses(socket: Socket | import('node:tls').TLSSocket): Promise<{ statuses: number[]; bodies: string[]; raw: string }> {
  return new Promise((resolve) => {
    let raw = '';
    socket.on('data', (c: Buffer) => (raw += c.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const statuses = [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      const bodies = [...raw.matchAll(/\r\n\r\n(\{.*?\})(?=HTTP\/1\.1|$)/gs)].map((m) => m[1]);
      resolve({ statuses, bodies, raw });
    });
  });
}

function requests(paths: string[]): string {
  return paths.map((p, i) => `GET ${p} HTTP/1.1\r\nHost: pp.test\r\n${i === paths.length - 1 ? 'Connection: close\r\n' : ''}\r\n`).join('');
}

/** Sends `header` then the requests on a plain connection, the header and requests split across writes. */
async function overPlain(port: number, header: Buffer, paths: string[]) {
  const socket = connect(port, '127.0.0.1');
  const answer = readResponses(socket);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(header.subarray(0, 5));
  await new Promise((r) => setTimeout(r, 20));
  socket.write(Buffer.concat([header.subarray(5), Buffer.from(requests(paths))]));
  return answer;
}

/** The header in clear, then TLS on the same connection, as a TCP balancer passes TLS through. */
async function overTls(port: number, header: Buffer, paths: string[]) {
  const raw = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => raw.once('connect', resolve));
  raw.write(header);
  const socket = connectTls({ socket: raw, servername: 'pp.test', rejectUnauthorized: false });
  const answer = readResponses(socket);
  await new Promise<void>((resolve) => socket.once('secureConnect', resolve));
  socket.write(requests(paths));
  return answer;
}

const clientOf = (body: string) => {
  const echo = JSON.parse(body) as Echo & { headers: Record<string, string> };
  return { realIp: echo.headers['x-real-ip'], forwardedFor: echo.headers['x-forwarded-for'] };
};

describe('proxy_listen with proxy_protocol', () => {
  let up: TestUpstream;
  let trusted: TollgateNode;
  let untrusted: TollgateNode;
  let plainPort: number;
  let tlsPort: number;
  let untrustedPort: number;
  let adminPort: number;
  before(async () => {
    up = await startUpstream('pp-up');
    const config = `_format_version: "3.0"
services:
- name: echo
  url: http://127.0.0.1:${up.port}
  routes:
  - name: all
    paths: [/]
    plugins:
    - name: ip-restriction
      config: { deny: [10.9.9.9] }
`;
    [plainPort, tlsPort, untrustedPort, adminPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    trusted = await startTollgate({
      config,
      extraProxyListen: `127.0.0.1:${plainPort} proxy_protocol, 127.0.0.1:${tlsPort} ssl http2 proxy_protocol`,
      env: { TOLLGATE_REAL_IP_HEADER: 'proxy_protocol', TOLLGATE_TRUSTED_IPS: '127.0.0.1', TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${adminPort} proxy_protocol` },
    });
    untrusted = await startTollgate({
      config,
      extraProxyListen: `127.0.0.1:${untrustedPort} proxy_protocol`,
      env: { TOLLGATE_REAL_IP_HEADER: 'proxy_protocol', TOLLGATE_TRUSTED_IPS: '10.0.0.0/8' },
    });
  });
  after(async () => {
    await Promise.all([trusted?.stop(), untrusted?.stop()]);
    await up?.close();
  });

  test('a v1 header names the client upstream, for every request of the connection', async () => {
    const got = await overPlain(plainPort, v1Header('10.1.2.3', 40000), ['/a', '/b']);
    assert.deepEqual(got.statuses, [200, 200], got.raw);
    for (const body of got.bodies) assert.deepEqual(clientOf(body), { realIp: '10.1.2.3', forwardedFor: '10.1.2.3' });
  });

  test('a v2 header, on a plain and on a TLS listener', async () => {
    const plain = await overPlain(plainPort, v2Header('10.4.5.6', 40001), ['/c']);
    assert.deepEqual(plain.statuses, [200], plain.raw);
    assert.deepEqual(clientOf(plain.bodies[0]), { realIp: '10.4.5.6', forwardedFor: '10.4.5.6' });
    const tls = await overTls(tlsPort, v2Header('10.7.8.9', 40002), ['/d', '/e']);
    assert.deepEqual(tls.statuses, [200, 200], tls.raw);
    for (const body of tls.bodies) assert.deepEqual(clientOf(body), { realIp: '10.7.8.9', forwardedFor: '10.7.8.9' });
  });

  test('HTTP/2 over the TLS listener: the header names the client of every stream', async () => {
    const raw = connect(tlsPort, '127.0.0.1');
    await new Promise<void>((resolve) => raw.once('connect', resolve));
    raw.write(v1Header('10.2.2.2', 40007));
    const session = http2Connect(`https://pp.test:${tlsPort}`, {
      createConnection: () => connectTls({ socket: raw, servername: 'pp.test', ALPNProtocols: ['h2'], rejectUnauthorized: false }),
    });
    try {
      const one = (path: string) => new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':path': path });
        let body = '';
        stream.on('data', (c: Buffer) => (body += c.toString()));
        stream.on('end', () => resolve(body));
        stream.on('error', reject);
      });
      for (const body of await Promise.all([one('/h2a'), one('/h2b')])) {
        assert.deepEqual(clientOf(body), { realIp: '10.2.2.2', forwardedFor: '10.2.2.2' });
      }
    } finally {
      session.close();
    }
  });

  test('plugins see the address: ip-restriction refuses a denied client the balancer names', async () => {
    const got = await overPlain(plainPort, v1Header('10.9.9.9', 40003), ['/f']);
    assert.deepEqual(got.statuses, [403], got.raw);
    const other = await overTls(tlsPort, v2Header('10.9.9.9', 40004), ['/g']);
    assert.deepEqual(other.statuses, [403], other.raw);
  });

  test("a LOCAL v2 header (the balancer's health check) leaves the connection's own address", async () => {
    const got = await overPlain(plainPort, v2Header('', 0, true), ['/h']);
    assert.deepEqual(got.statuses, [200], got.raw);
    assert.deepEqual(clientOf(got.bodies[0]), { realIp: '127.0.0.1', forwardedFor: '127.0.0.1' });
  });

  test('a connection without a header is closed unanswered; listeners without the flag are unchanged', async () => {
    const got = await overPlain(plainPort, Buffer.alloc(0), ['/i']);
    assert.deepEqual(got.statuses, [], got.raw);
    const garbage = await overPlain(plainPort, Buffer.from('PROXY NONSENSE\r\n'), ['/j']);
    assert.deepEqual(garbage.statuses, [], garbage.raw);
    const res = await fetch(`${trusted.proxy}/k`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as Echo).headers['x-real-ip'], '127.0.0.1');
  });

  test('the Admin API honours the flag on its own listener', async () => {
    const got = await overPlain(adminPort, v2Header('10.1.1.1', 40006), ['/status']);
    assert.deepEqual(got.statuses, [200], got.raw);
    assert.match(got.raw, /"server":\{/);
    const bare = await overPlain(adminPort, Buffer.alloc(0), ['/status']);
    assert.deepEqual(bare.statuses, [], bare.raw);
  });

  test("an untrusted balancer's header is read and ignored", async () => {
    const got = await overPlain(untrustedPort, v1Header('10.9.9.9', 40005), ['/l']);
    assert.deepEqual(got.statuses, [200], got.raw);
    assert.deepEqual(clientOf(got.bodies[0]), { realIp: '127.0.0.1', forwardedFor: '127.0.0.1' });
  });
});
