import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStreamListenAddresses, streamAccessLogValue } from './stream-listeners.ts';
import { InvalidValue } from './value-parsers.ts';

function reasonOf(raw: string): string {
  try {
    parseStreamListenAddresses(raw);
  } catch (error) {
    assert.ok(error instanceof InvalidValue);
    return error.reason;
  }
  assert.fail(`expected '${raw}' to be refused`);
}

test('stream_listen entries with their flags; off gives none', () => {
  assert.deepEqual(parseStreamListenAddresses('off'), []);
  const [tcp, udp, tls] = parseStreamListenAddresses('0.0.0.0:5555 reuseport backlog=10, [::1]:5353 udp, *:5556 ssl proxy_protocol bind');
  assert.deepEqual(tcp, { ip: '0.0.0.0', port: 5555, ssl: false, udp: false, reuseport: true, backlog: 10, proxy_protocol: false, bind: false, listener: '0.0.0.0:5555 reuseport backlog=10' });
  assert.deepEqual([udp.ip, udp.udp, udp.ssl], ['::1', true, false]);
  assert.deepEqual([tls.ip, tls.ssl, tls.proxy_protocol, tls.bind], ['0.0.0.0', true, true, true]);
});

test('refused stream_listen values name the entry and the problem', () => {
  assert.match(reasonOf('127.0.0.1:5555 http2'), /entry '127.0.0.1:5555 http2': unknown flag 'http2'/);
  assert.match(reasonOf('127.0.0.1:5555 udp ssl'), /'ssl' cannot be combined with 'udp'/);
  assert.match(reasonOf('127.0.0.1'), /missing ':<port>'/);
  assert.match(reasonOf('127.0.0.1:70000'), /port '70000'/);
});

test('proxy_stream_access_log: a path and the basic format, or off', () => {
  assert.equal(streamAccessLogValue(' logs/access.log   basic '), 'logs/access.log basic');
  assert.equal(streamAccessLogValue('/dev/stdout'), '/dev/stdout');
  assert.equal(streamAccessLogValue('off'), 'off');
  assert.throws(() => streamAccessLogValue('logs/stream.log json'), /'basic' is the only stream log format/);
});
