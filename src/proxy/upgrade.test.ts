/**
 * WebSocket handshakes on an in-process proxy (the worker's ProxyCore on a real HTTP server) with a test
 * plugin: the log phase runs for a handshake, once the tunnel closes after a 101 and after any other
 * answer, and passive health hears the handshake's status. The same paths through `bin/tollgate` are in
 * test/websocket-upgrade.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { loadDeclarative } from '../declarative/index.ts';
import type { LogRecord, PluginHandler } from '../pdk/index.ts';
import type { PluginDefinitionForSchema } from '../schema/index.ts';
import { startInProcessProxy, type InProcessProxy } from '../../test/support/in-process-proxy.ts';

const records: LogRecord[] = [];
const health: string[] = [];
const HANDLERS: PluginHandler[] = [{ name: 't-log', priority: 5, log: (kong) => void records.push(kong.log.serialize()) }];
const SCHEMAS = new Map<string, PluginDefinitionForSchema>([['t-log', { name: 't-log', config: { type: 'record', fields: {} } }]]);

let upstream: Server;
let proxy: InProcessProxy;
let proxyPort: number;

before(async () => {
  upstream = createServer((_req, res) => {
    res.writeHead(403, { 'Content-Length': '2' });
    res.end('no');
  });
  upstream.on('upgrade', (req, socket) => {
    if (req.url === '/ws/refuse') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno');
      return;
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as AddressInfo).port;
  const loaded = loadDeclarative(
    `_format_version: "3.0"
upstreams:
  - name: u
    healthchecks: { passive: { healthy: { http_statuses: [101], successes: 1 }, unhealthy: { http_statuses: [403], http_failures: 1 } } }
    targets: [{ target: "127.0.0.1:${port}" }]
services:
  - name: s
    host: u
    routes: [{ name: ws, paths: [/ws], strip_path: false, plugins: [{ name: t-log }] }]
`,
    { plugins: SCHEMAS },
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  proxy = await startInProcessProxy(loaded.config, HANDLERS, {
    reportHealth: (_upstream, address, outcome) => void health.push(`${address} ${outcome}`),
  });
  proxyPort = proxy.port;
});

after(() => {
  proxy.close();
  upstream.closeAllConnections();
  upstream.close();
});

/** Sends a handshake for `path`, then `after` once a response head arrived; resolves when the connection closes. */
function handshake(path: string, afterHead: string | null): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(proxyPort, '127.0.0.1');
    let received = '';
    let sent = false;
    socket.on('data', (c: Buffer) => {
      received += c.toString('latin1');
      if (!sent && received.includes('\r\n\r\n')) {
        sent = true;
        if (afterHead === null) socket.end();
        else socket.write(afterHead);
      }
      if (afterHead !== null && received.endsWith(afterHead)) socket.end();
    });
    socket.on('close', () => resolve(received));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`);
  });
}

async function nextRecord(count: number): Promise<LogRecord> {
  for (let i = 0; i < 200 && records.length < count; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(records.length, count, 'one log record per handshake');
  return records[count - 1];
}

describe('WebSocket handshakes on the proxy core', () => {
  test('a tunnel runs the log phase when it closes, with status 101 and the bytes sent through it', async () => {
    const received = await handshake('/ws/chat', 'hello');
    assert.match(received, /^HTTP\/1\.1 101 /);
    const record = await nextRecord(1);
    assert.equal(record.response.status, 101);
    assert.ok((record.response as { size: number }).size >= 5, JSON.stringify(record.response));
    assert.equal((record.route as { name: string }).name, 'ws');
    assert.ok(health.some((h) => h.endsWith(' success')), health.join());
  });

  test('a refused handshake is an ordinary response: logged with its status, counted by passive health', async () => {
    const received = await handshake('/ws/refuse', null);
    assert.match(received, /^HTTP\/1\.1 403 /);
    assert.match(received, /\r\nConnection: close\r\n/i);
    const record = await nextRecord(2);
    assert.equal(record.response.status, 403);
    assert.ok(health.some((h) => h.endsWith(' http_failure')), health.join());
  });
});
