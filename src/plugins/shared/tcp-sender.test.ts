import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { TcpSender } from './tcp-sender.ts';
import { freePort } from '../../../test/helpers/ports.ts';

test('a collector that refuses connections: one connect, then messages dropped for a while, one log line', async () => {
  // A port claimed for this test and left unbound: nothing listens there.
  const port = await freePort();
  const lines: string[] = [];
  const s = new TcpSender({ host: '127.0.0.1', port, timeout: 1000, keepalive: 1000, tls: false, tlsSni: null });
  s.log.write = (_l, m) => lines.push(m);
  s.send('a\n');
  const deadline = Date.now() + 10_000;
  while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.match(lines[0], /failed to connect to 127\.0\.0\.1:\d+: .*\(1 messages lost\)/);
  for (let i = 0; i < 5; i++) s.send('b\n');
  assert.equal(s.dropped, 5);
  assert.equal(lines.length, 1);
});

test('lines reach a listening collector over one connection', async () => {
  let data = '';
  let connections = 0;
  const sockets: Socket[] = [];
  const server = createServer((c) => {
    connections++;
    sockets.push(c);
    c.setEncoding('utf8');
    c.on('data', (d: string) => (data += d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const s = new TcpSender({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, timeout: 1000, keepalive: 60000, tls: false, tlsSni: null });
  s.send('one\n');
  s.send('two\n');
  const deadline = Date.now() + 10_000;
  while (data !== 'one\ntwo\n' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  s.send('three\n');
  while (data !== 'one\ntwo\nthree\n' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(data, 'one\ntwo\nthree\n');
  assert.equal(connections, 1);
  for (const c of sockets) c.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});
