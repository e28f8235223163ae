/**
 * Kong's proxy-side node settings through bin/tollgate: `dns_resolver` (a tiny DNS server on loopback answers
 * real UDP queries) and `dns_hostsfile`, the `error_template_*` files, `client_ssl` with `client_ssl_cert`
 * (an HTTPS upstream that requires a client certificate), and `port_maps` (X-Forwarded-Port).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { freePort } from './helpers/ports.ts';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type Echo, type TestUpstream } from './helpers/upstream.ts';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-proxy-network-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Names the DNS server knows, with their IPv4 address. */
const ZONE: Record<string, string> = { 'api.tollgate.test': '127.0.0.1' };

/** A DNS server over UDP: A records from ZONE (TTL 60), NXDOMAIN for other names, no records for other types. */
async function startDnsServer(): Promise<{ socket: Socket; port: number; queries: string[] }> {
  const socket = createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, peer) => {
    let offset = 12;
    const labels: string[] = [];
    while (msg[offset] !== 0) {
      labels.push(msg.subarray(offset + 1, offset + 1 + msg[offset]).toString('ascii'));
      offset += msg[offset] + 1;
    }
    const questionEnd = offset + 5;
    const name = labels.join('.').toLowerCase();
    const type = msg.readUInt16BE(offset + 1);
    queries.push(`${name}/${type}`);
    const address = ZONE[name];
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    const answer = address !== undefined && type === 1;
    // QR, RD, RA; NXDOMAIN (3) for unknown names.
    header.writeUInt16BE(0x8180 | (address === undefined ? 3 : 0), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answer ? 1 : 0, 6);
    const parts = [header, msg.subarray(12, questionEnd)];
    if (answer) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(4, 10);
      address.split('.').forEach((byte, i) => rr.writeUInt8(Number(byte), 12 + i));
      parts.push(rr);
    }
    socket.send(Buffer.concat(parts), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: (socket.address() as AddressInfo).port, queries };
}

describe('dns_resolver and dns_hostsfile', () => {
  let node: TollgateNode;
  let upstream: TestUpstream;
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  let echo: NetServer;
  let udpEcho: Socket;
  let streamPort: number;
  let udpPort: number;
  before(async () => {
    udpEcho = createSocket('udp4');
    udpEcho.on('message', (msg, from) => udpEcho.send(`udp:${msg.toString()}`, from.port, from.address));
    await new Promise<void>((resolve) => udpEcho.bind(0, '127.0.0.1', resolve));
    udpPort = await freePort();
    upstream = await startUpstream('named');
    echo = createNetServer((socket) => socket.on('data', (c) => socket.end(`echo:${c.toString()}`)));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    streamPort = await freePort();
    dns = await startDnsServer();
    const hosts = join(dir, 'hosts');
    writeFileSync(hosts, '127.0.0.1 fromhosts.tollgate.test\n');
    node = await startTollgate({
      config: `_format_version: "3.0"
services:
  - name: by-dns
    url: http://api.tollgate.test:${upstream.port}
    routes: [{ paths: [/dns] }]
  - name: by-hosts
    url: http://fromhosts.tollgate.test:${upstream.port}
    routes: [{ paths: [/hosts] }]
  - name: unknown
    url: http://nowhere.tollgate.test:${upstream.port}
    routes: [{ paths: [/unknown] }]
  - name: stream
    protocol: tcp
    host: api.tollgate.test
    port: ${(echo.address() as AddressInfo).port}
    routes: [{ protocols: [tcp], destinations: [{ port: ${streamPort} }] }]
  - name: datagrams
    protocol: udp
    host: api.tollgate.test
    port: ${(udpEcho.address() as AddressInfo).port}
    routes: [{ protocols: [udp], destinations: [{ port: ${udpPort} }] }]
  - name: balanced
    host: checked
    routes: [{ paths: [/balanced] }]
upstreams:
  - name: checked
    healthchecks:
      active:
        http_path: /
        timeout: 1
        healthy: { interval: 0.2, successes: 1 }
        unhealthy: { interval: 0.2, tcp_failures: 1, http_failures: 1, timeouts: 1 }
    targets:
      - target: api.tollgate.test:${upstream.port}
`,
      env: { TOLLGATE_DNS_RESOLVER: `127.0.0.1:${dns.port}`, TOLLGATE_DNS_HOSTSFILE: hosts, TOLLGATE_STREAM_LISTEN: `127.0.0.1:${streamPort}, 127.0.0.1:${udpPort} udp` },
    });
  });
  after(async () => {
    await node?.stop();
    await upstream?.close();
    dns?.socket.close();
    echo?.close();
    udpEcho?.close();
  });

  test('a service host is resolved by the configured name server', async () => {
    const res = await fetch(`${node.proxy}/dns`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as Echo).server, 'named');
    assert.ok(dns.queries.includes('api.tollgate.test/1'), `queries: ${dns.queries.join(', ')}`);
    // The answer is cached for its TTL: a second request sends no second query.
    const before = dns.queries.filter((q) => q === 'api.tollgate.test/1').length;
    assert.equal((await fetch(`${node.proxy}/dns`)).status, 200);
    assert.equal(dns.queries.filter((q) => q === 'api.tollgate.test/1').length, before);
  });

  test('the hosts file answers before the name server', async () => {
    const res = await fetch(`${node.proxy}/hosts`);
    assert.equal(res.status, 200);
    assert.ok(!dns.queries.some((q) => q.startsWith('fromhosts.')), `queries: ${dns.queries.join(', ')}`);
  });

  test('the stream proxy (TCP and UDP) resolves its upstream host with the same name server', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(streamPort, '127.0.0.1', () => socket.write('ping'));
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.equal(answer, 'echo:ping');
    const client = createSocket('udp4');
    try {
      const reply = await new Promise<string>((resolve) => {
        client.on('message', (msg) => resolve(msg.toString()));
        client.send('datagram', udpPort, '127.0.0.1');
      });
      assert.equal(reply, 'udp:datagram');
    } finally {
      client.close();
    }
  });

  test('active health checks resolve target names with the same name server', async () => {
    // Probes run every 0.2 s and one failure would mark the target down: after a second it must still be up.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const res = await fetch(`${node.admin}/upstreams/checked/health`);
    const body = (await res.json()) as { data: { target: string; health: string }[] };
    assert.deepEqual(body.data.map((t) => [t.target, t.health]), [[`api.tollgate.test:${upstream.port}`, 'HEALTHY']]);
    assert.equal((await fetch(`${node.proxy}/balanced`)).status, 200);
  });

  test('a name the server does not know fails the request', async () => {
    const res = await fetch(`${node.proxy}/unknown`);
    assert.ok(res.status === 502 || res.status === 503, `status ${res.status}`);
    assert.ok(dns.queries.includes('nowhere.tollgate.test/1'));
  });
});

describe('error_template_html and error_template_json', () => {
  let node: TollgateNode;
  before(async () => {
    writeFileSync(join(dir, 'error.html'), '<html><body><h1>Gateway says</h1><p>%s</p><small>%s</small> 100%%</body></html>\n');
    writeFileSync(join(dir, 'error.json'), '{"oops":"%s","trace":"%s"}\n');
    node = await startTollgate({
      config: '_format_version: "3.0"\n',
      env: { TOLLGATE_ERROR_TEMPLATE_HTML: join(dir, 'error.html'), TOLLGATE_ERROR_TEMPLATE_JSON: join(dir, 'error.json') },
    });
  });
  after(() => node?.stop());

  test('a 404 asked for as HTML is the template filled with the message and request id', async () => {
    const res = await fetch(`${node.proxy}/nothing-here`, { headers: { Accept: 'text/html' } });
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const id = res.headers.get('x-tollgate-request-id') ?? '';
    assert.equal(await res.text(), `<html><body><h1>Gateway says</h1><p>no Route matched with those values</p><small>${id}</small> 100%</body></html>\n`);
  });

  test('JSON uses its own template; formats without one keep the built-in body', async () => {
    const json = await fetch(`${node.proxy}/nothing-here`, { headers: { Accept: 'application/json' } });
    const body = (await json.json()) as { oops: string; trace: string };
    assert.equal(body.oops, 'no Route matched with those values');
    assert.equal(body.trace, json.headers.get('x-tollgate-request-id'));
    const text = await fetch(`${node.proxy}/nothing-here`, { headers: { Accept: 'text/plain' } });
    assert.match(await text.text(), /^no Route matched with those values\n/);
  });
});

describe('client_ssl, client_ssl_cert and client_ssl_cert_key', () => {
  let node: TollgateNode;
  let plainNode: TollgateNode;
  let upstream: Server;
  before(async () => {
    const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    writeFileSync(join(dir, 'ca.cnf'), '[req]\ndistinguished_name = dn\n[dn]\n[v3]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign\n');
    openssl(['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=Test CA', '-keyout', 'ca.key', '-out', 'ca.crt', '-extensions', 'v3', '-config', 'ca.cnf']);
    for (const [name, cn, usage] of [['server', '127.0.0.1', 'serverAuth\nsubjectAltName = IP:127.0.0.1'], ['client', 'node-client', 'clientAuth']]) {
      writeFileSync(join(dir, `${name}.ext`), `basicConstraints = critical,CA:FALSE\nextendedKeyUsage = ${usage}\n`);
      openssl(['req', '-new', ...ec, '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
    }
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    upstream = createServer({ cert: read('server.crt'), key: read('server.key'), ca: read('ca.crt'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      res.end(JSON.stringify({ client: (req.socket as TLSSocket).getPeerCertificate().subject.CN }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const config = `_format_version: "3.0"
services:
  - name: mtls
    url: https://127.0.0.1:${(upstream.address() as AddressInfo).port}
    tls_verify: false
    routes: [{ paths: [/mtls] }]
`;
    node = await startTollgate({
      config,
      env: { TOLLGATE_CLIENT_SSL: 'on', TOLLGATE_CLIENT_SSL_CERT: join(dir, 'client.crt'), TOLLGATE_CLIENT_SSL_CERT_KEY: join(dir, 'client.key') },
    });
    plainNode = await startTollgate({ config });
  });
  after(async () => {
    await node?.stop();
    await plainNode?.stop();
    upstream?.close();
  });

  test('the proxy presents client_ssl_cert to a service without a client_certificate', async () => {
    const res = await fetch(`${node.proxy}/mtls`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { client: 'node-client' });
  });

  test('without client_ssl the upstream refuses the connection', async () => {
    const res = await fetch(`${plainNode.proxy}/mtls`);
    assert.equal(res.status, 502);
  });
});

describe('port_maps', () => {
  let node: TollgateNode;
  let upstream: TestUpstream;
  before(async () => {
    upstream = await startUpstream('mapped');
    const ports = { proxy: await freePort(), admin: await freePort(), status: await freePort() };
    node = await startTollgate({
      ports,
      config: `_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:${upstream.port}\n    routes: [{ paths: [/] }]\n`,
      env: { TOLLGATE_PORT_MAPS: `80:${ports.proxy}, 443:8443` },
    });
  });
  after(async () => {
    await node?.stop();
    await upstream?.close();
  });

  test('X-Forwarded-Port names the host port mapped to the listener', async () => {
    const echo = (await (await fetch(`${node.proxy}/`)).json()) as Echo;
    assert.equal(echo.headers['x-forwarded-port'], '80');
  });
});
