import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kong } from '../../pdk/index.ts';
import { deadCollector } from '../shared/log-queue/dead-collector.ts';
import { freePort } from '../../../test/helpers/ports.ts';
import { tcpLogHandler } from './handler.ts';
import type { TcpLogConfig } from './schema.ts';

const config = (port: number): TcpLogConfig => ({ host: '127.0.0.1', port, timeout: 600000, keepalive: 60000, tls: false }) as unknown as TcpLogConfig;

/** Just the parts of the PDK tcp-log's log phase touches; counts the records it builds. */
function logKong(recordBytes: number): { kong: Kong; built: () => number; lines: string[] } {
  let built = 0;
  const lines: string[] = [];
  const kong = {
    node: { getErrorLog: () => (_level: string, message: string) => void lines.push(message) },
    log: {
      serialize: () => {
        built++;
        return { request: { uri: `/r/${built}`, headers: { 'x-big': 'v'.repeat(recordBytes) } } };
      },
      setSerializeValue: () => {},
    },
  } as unknown as Kong;
  return { kong, built: () => built, lines };
}

test('a collector that refuses connections: until the next attempt is due, no record is built, drops are counted', async () => {
  // A port claimed for this test and left unbound: nothing listens there.
  const port = await freePort();
  const conf = tcpLogHandler.prepare!(config(port), undefined as never);
  const { kong, built, lines } = logKong(100);
  tcpLogHandler.log!(kong, conf);
  const deadline = Date.now() + 10_000;
  while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.match(lines[0] ?? '', /failed to connect/);
  // The sender waits a second before connecting again: these requests fall in that window.
  for (let i = 0; i < 1000; i++) tcpLogHandler.log!(kong, conf);
  assert.equal(built(), 1);
  assert.equal(conf.sender.dropped, 1000);
  assert.equal(lines.length, 1, 'the connect failure only');
});

test('a collector that never reads: once the buffer has no room for another record, none is built', async () => {
  const dead = await deadCollector();
  try {
    const conf = tcpLogHandler.prepare!(config(dead.port), undefined as never);
    const recordBytes = 512 * 1024;
    const { kong, built, lines } = logKong(recordBytes);
    // Synchronously: the connection is not even open, so everything waits in the sender's 16 MiB buffer.
    for (let i = 0; i < 1000; i++) tcpLogHandler.log!(kong, conf);
    const fitted = built();
    // As many records (each the big header plus a little JSON) as the buffer holds, and not one more.
    const max = 16 * 1024 * 1024;
    assert.ok(fitted * recordBytes <= max && (fitted + 1) * (recordBytes + 1024) > max, `${fitted} records built`);
    assert.equal(conf.sender.dropped, 1000 - fitted);
    assert.equal(lines.filter((l) => l.includes('buffer full')).length, 1, 'one report per interval');
  } finally {
    dead.close();
  }
});
