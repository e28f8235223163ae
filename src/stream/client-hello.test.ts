import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { peekClientHello } from './client-hello.ts';
import { peekProxyHeader } from '../core/proxy-protocol.ts';

/** The first bytes a real Node TLS client sends for `servername`. */
async function clientHello(servername: string | undefined): Promise<Buffer> {
  let received = Buffer.alloc(0);
  const server = createServer((socket) => {
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (peekClientHello(received).kind !== 'more') socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => {
    const socket = connectTls({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
  server.close();
  return received;
}

test('the server name of a real ClientHello, split anywhere, and of one without a name', async () => {
  const hello = await clientHello('Backend.Example');
  assert.deepEqual(peekClientHello(hello), { kind: 'tls', sni: 'backend.example' });
  assert.deepEqual(peekClientHello(hello.subarray(0, 3)), { kind: 'more' });
  assert.deepEqual(peekClientHello(hello.subarray(0, hello.length - 1)), { kind: 'more' });
  assert.deepEqual(peekClientHello(await clientHello(undefined)), { kind: 'tls', sni: null });
});

test('plain bytes are not TLS', () => {
  assert.deepEqual(peekClientHello(Buffer.from('GET / HTTP/1.1\r\n')), { kind: 'not-tls' });
  assert.deepEqual(peekClientHello(Buffer.from([0x16, 0x09, 0x01, 0, 0])), { kind: 'not-tls' });
});

test('PROXY protocol v1 headers', () => {
  const header = Buffer.from('PROXY TCP4 10.1.2.3 127.0.0.1 5555 9000\r\nrest');
  assert.deepEqual(peekProxyHeader(header), { kind: 'header', length: header.length - 4, sourceIp: '10.1.2.3', sourcePort: 5555, destinationIp: '127.0.0.1', destinationPort: 9000 });
  assert.deepEqual(peekProxyHeader(Buffer.from('PROXY TCP4 10.1')), { kind: 'more' });
  assert.deepEqual(peekProxyHeader(Buffer.from('HELLO\r\n')), { kind: 'invalid' });
  assert.equal(peekProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')).kind, 'header');
});

test('PROXY protocol v2 headers: TCP over IPv4 and IPv6, LOCAL, partial and foreign bytes', () => {
  const signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  const v2 = (versionCommand: number, family: number, addresses: Buffer, tlvs = Buffer.alloc(0)) => {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(addresses.length + tlvs.length);
    return Buffer.concat([signature, Buffer.from([versionCommand, family]), length, addresses, tlvs]);
  };
  const ports = (source: number, destination: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(source, 0);
    b.writeUInt16BE(destination, 2);
    return b;
  };
  const ipv4 = v2(0x21, 0x11, Buffer.concat([Buffer.from([10, 1, 2, 3, 127, 0, 0, 1]), ports(5555, 8000)]), Buffer.from([0x04, 0x00, 0x01, 0x00]));
  const payload = Buffer.from('GET / HTTP/1.1\r\n');
  assert.deepEqual(peekProxyHeader(Buffer.concat([ipv4, payload])), { kind: 'header', length: ipv4.length, sourceIp: '10.1.2.3', sourcePort: 5555, destinationIp: '127.0.0.1', destinationPort: 8000 });
  const six = Buffer.alloc(32);
  six.writeUInt16BE(0x2001, 0);
  six.writeUInt16BE(0x0db8, 2);
  six.writeUInt16BE(0x0001, 14);
  six.writeUInt16BE(0x0001, 30);
  const ipv6 = v2(0x21, 0x21, Buffer.concat([six, ports(40000, 443)]));
  assert.deepEqual(peekProxyHeader(ipv6), { kind: 'header', length: ipv6.length, sourceIp: '2001:db8::1', sourcePort: 40000, destinationIp: '::1', destinationPort: 443 });
  // A balancer's own health check: LOCAL, no address to take.
  const local = v2(0x20, 0x00, Buffer.alloc(0));
  assert.deepEqual(peekProxyHeader(local), { kind: 'header', length: 16, sourceIp: null, sourcePort: null, destinationIp: null, destinationPort: null });
  for (const cut of [1, 5, 12, 15, ipv4.length - 1]) assert.deepEqual(peekProxyHeader(ipv4.subarray(0, cut)), { kind: 'more' }, `cut at ${cut}`);
  assert.deepEqual(peekProxyHeader(Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x58])), { kind: 'invalid' }, 'a wrong signature');
  assert.deepEqual(peekProxyHeader(v2(0x11, 0x11, Buffer.alloc(12))), { kind: 'invalid' }, 'version 1 in a v2 header');
  assert.deepEqual(peekProxyHeader(v2(0x21, 0x11, Buffer.alloc(8))), { kind: 'invalid' }, 'IPv4 addresses cut short');
});
