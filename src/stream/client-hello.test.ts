import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { peekClientHello } from './client-hello.ts';
import { peekProxyHeader } from './proxy-protocol.ts';

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
