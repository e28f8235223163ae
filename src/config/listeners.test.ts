import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenEntries, parseListenAddresses } from './listeners.ts';
import { InvalidValue } from './value-parsers.ts';

function reasonOf(raw: string): string {
  try {
    parseListenAddresses(raw);
  } catch (error) {
    assert.ok(error instanceof InvalidValue);
    return error.reason;
  }
  assert.fail(`expected '${raw}' to be refused`);
}

test('Kong default proxy_listen parses into two addresses with their flags', () => {
  const [plain, tls] = parseListenAddresses('0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384');
  assert.deepEqual(plain, {
    ip: '0.0.0.0', port: 8000, ssl: false, http2: false, reuseport: true, backlog: 16384,
    proxy_protocol: false, deferred: false, bind: false, listener: '0.0.0.0:8000 reuseport backlog=16384',
  });
  assert.deepEqual(tls, {
    ip: '0.0.0.0', port: 8443, ssl: true, http2: true, reuseport: true, backlog: 16384,
    proxy_protocol: false, deferred: false, bind: false, listener: '0.0.0.0:8443 http2 ssl reuseport backlog=16384',
  });
});

test('every flag sets its field', () => {
  const [l] = parseListenAddresses('127.0.0.1:1 ssl http2 reuseport backlog=5 proxy_protocol deferred bind');
  assert.deepEqual(
    [l.ssl, l.http2, l.reuseport, l.backlog, l.proxy_protocol, l.deferred, l.bind],
    [true, true, true, 5, true, true, true],
  );
});

test('off gives no listeners', () => {
  assert.deepEqual(parseListenAddresses('off'), []);
  assert.deepEqual(parseListenAddresses('  off  '), []);
});

test('IPv6 in brackets; the ip field has no brackets', () => {
  const [l] = parseListenAddresses('[::1]:8001 ssl');
  assert.equal(l.ip, '::1');
  assert.equal(l.port, 8001);
  assert.equal(l.listener, '[::1]:8001 ssl');
  assert.equal(parseListenAddresses('[2001:DB8::1]:80')[0].ip, '2001:db8::1');
});

test('* means every IPv4 address', () => {
  assert.equal(parseListenAddresses('*:8000')[0].ip, '0.0.0.0');
});

test('host names are accepted', () => {
  assert.equal(parseListenAddresses('localhost:8000')[0].ip, 'localhost');
});

test('port 0 and 65535 are accepted, 65536 is not', () => {
  assert.equal(parseListenAddresses('127.0.0.1:0')[0].port, 0);
  assert.equal(parseListenAddresses('127.0.0.1:65535')[0].port, 65535);
  assert.equal(reasonOf('127.0.0.1:65536'), `entry '127.0.0.1:65536': port '65536' must be an integer between 0 and 65535`);
  assert.equal(reasonOf('127.0.0.1:x'), `entry '127.0.0.1:x': port 'x' must be an integer between 0 and 65535`);
  assert.equal(reasonOf('127.0.0.1:'), `entry '127.0.0.1:': port '' must be an integer between 0 and 65535`);
});

test('whitespace between entries and flags is collapsed in listener', () => {
  const [l] = parseListenAddresses('  0.0.0.0:8000     ssl   ,');
  assert.equal(l.listener, '0.0.0.0:8000 ssl');
});

test('unknown flags are refused, naming the accepted ones', () => {
  assert.equal(
    reasonOf('0.0.0.0:8000 ssl so_keepalive=on'),
    `entry '0.0.0.0:8000 ssl so_keepalive=on': unknown flag 'so_keepalive=on' (accepted: ssl, http2, reuseport, backlog=N, proxy_protocol, deferred, bind)`,
  );
});

test('bad backlog values are refused', () => {
  assert.equal(reasonOf('0.0.0.0:8000 backlog=0'), `entry '0.0.0.0:8000 backlog=0': backlog must be a positive integer`);
  assert.match(reasonOf('0.0.0.0:8000 backlog=x'), /unknown flag 'backlog=x'/);
});

test('addresses must carry a port and a valid host', () => {
  assert.equal(reasonOf('0.0.0.0'), `entry '0.0.0.0': missing ':<port>' (e.g. 0.0.0.0:8000)`);
  assert.equal(reasonOf('::1:8000'), `entry '::1:8000': IPv6 addresses must be written in brackets, e.g. [::1]:8000`);
  assert.equal(reasonOf('[::1]'), `entry '[::1]': missing ':<port>' after '[::1]'`);
  assert.equal(reasonOf('[::1:8000'), `entry '[::1:8000': missing ']' after the IPv6 address`);
  assert.equal(reasonOf('[zz::1]:80'), `entry '[zz::1]:80': 'zz::1' is not an IPv6 address`);
  assert.equal(reasonOf('300.0.0.1:80'), `entry '300.0.0.1:80': '300.0.0.1' is not an IPv4 address`);
  assert.equal(reasonOf('bad_host:80'), `entry 'bad_host:80': 'bad_host' is not an IP address or host name`);
});

test('off mixed with addresses is refused', () => {
  assert.equal(reasonOf('off, 0.0.0.0:8000'), `entry 'off': 'off' must be the only entry`);
});

test('an empty value is refused with the expected syntax', () => {
  assert.match(reasonOf(''), /^must not be empty \(expected 'off' or a comma-separated list of '<ip>:<port> \[ssl\]/);
  assert.match(reasonOf(' , '), /^must not be empty/);
});

test('listenEntries keeps the entries as written, whitespace collapsed', () => {
  assert.deepEqual(listenEntries('0.0.0.0:8000  ssl, [::]:8001'), ['0.0.0.0:8000 ssl', '[::]:8001']);
  assert.deepEqual(listenEntries('off'), ['off']);
  assert.throws(() => listenEntries('nope'), InvalidValue);
});
