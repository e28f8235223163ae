import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHost, parseHost, parseUrl } from './index.ts';

test('parseHost: names, IPv4, IPv6, ports, with Kong messages', () => {
  assert.deepEqual(parseHost('example.com:8080'), { ok: true, value: { kind: 'name', host: 'example.com', port: 8080 } });
  assert.deepEqual(parseHost('010.001.2.3'), { ok: true, value: { kind: 'ipv4', host: '10.1.2.3', port: null } });
  assert.deepEqual(parseHost('[::1]:80'), {
    ok: true,
    value: { kind: 'ipv6', host: '0000:0000:0000:0000:0000:0000:0000:0001', port: 80 },
  });
  assert.deepEqual(parseHost('1.2.3.400'), { ok: false, error: 'invalid ipv4 address: 1.2.3.400' });
  assert.deepEqual(parseHost('host:70000'), { ok: false, error: 'invalid port number' });
  assert.deepEqual(parseHost('bad_-.x'), { ok: false, error: 'invalid hostname: bad_-.x' });
  assert.deepEqual(parseHost('a b'), { ok: false, error: 'invalid hostname: a b' });
  assert.equal(parseHost('trailing.dot.').ok, true);
  assert.equal(parseHost('a..b').ok, false);
});

test('formatHost adds the default port and brackets IPv6', () => {
  const v6 = parseHost('::1');
  assert.ok(v6.ok);
  assert.equal(formatHost(v6.value, 8000), '[0000:0000:0000:0000:0000:0000:0000:0001]:8000');
  const name = parseHost('a.test:1');
  assert.ok(name.ok);
  assert.equal(formatHost(name.value, 8000), 'a.test:1');
});

test('parseUrl splits like LuaSocket', () => {
  assert.deepEqual(parseUrl('https://user@h.test:8443/p/q?x=1#f'), {
    scheme: 'https',
    authority: 'user@h.test:8443',
    userinfo: 'user',
    host: 'h.test',
    port: '8443',
    path: '/p/q',
    query: 'x=1',
    fragment: 'f',
  });
  assert.deepEqual(parseUrl('invalid url'), { path: 'invalid url' });
  assert.deepEqual(parseUrl('localhost:8000'), { scheme: 'localhost', path: '8000' });
  assert.equal(parseUrl(''), null);
});
