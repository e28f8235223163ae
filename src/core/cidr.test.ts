import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileIpMatcher, isValidIpOrCidr, parseIPv4, parseIPv6Into, parseIpOrCidr } from './cidr.ts';

function v6(text: string): number[] | null {
  const out = [0, 0, 0, 0];
  return parseIPv6Into(text, out) ? out : null;
}

test('parseIPv4 reads dotted quads as unsigned integers', () => {
  assert.equal(parseIPv4('0.0.0.0'), 0);
  assert.equal(parseIPv4('10.1.2.3'), 0x0a010203);
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1..2.3', '1.2.3.', 'a.b.c.d', ' 1.2.3.4', '1.2.3.4/8']) {
    assert.equal(parseIPv4(bad), -1, bad);
  }
});

test('parseIPv6Into handles compression, full form and IPv4 tails', () => {
  assert.deepEqual(v6('::'), [0, 0, 0, 0]);
  assert.deepEqual(v6('::1'), [0, 0, 0, 1]);
  assert.deepEqual(v6('1::'), [0x00010000, 0, 0, 0]);
  assert.deepEqual(v6('2001:db8::8:800:200c:417a'), [0x20010db8, 0, 0x00080800, 0x200c417a]);
  assert.deepEqual(v6('2001:DB8:0:0:8:800:200C:417A'), [0x20010db8, 0, 0x00080800, 0x200c417a]);
  assert.deepEqual(v6('::ffff:1.2.3.4'), [0, 0, 0xffff, 0x01020304]);
  assert.deepEqual(v6('1:2:3:4:5:6:7::'), [0x00010002, 0x00030004, 0x00050006, 0x00070000]);
  assert.deepEqual(v6('::2:3:4:5:6:7:8'), [0x00000002, 0x00030004, 0x00050006, 0x00070008]);
  for (const bad of ['', ':', ':1', '1:', ':::', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::',
    '1:2:3:4:5:6:7', 'g::1', '1.2.3.4', '::1.2.3', '1:2:3:4:5:6:7:1.2.3.4', '[::1]']) {
    assert.equal(v6(bad), null, bad);
  }
});

test('parseIpOrCidr clears host bits and folds IPv4-mapped blocks into IPv4', () => {
  assert.deepEqual(parseIpOrCidr('10.1.2.3/8'), { family: 4, words: [0x0a000000], prefixLength: 8 });
  assert.deepEqual(parseIpOrCidr('10.1.2.3'), { family: 4, words: [0x0a010203], prefixLength: 32 });
  assert.deepEqual(parseIpOrCidr('2001:db8::1/32'), { family: 6, words: [0x20010db8, 0, 0, 0], prefixLength: 32 });
  assert.deepEqual(parseIpOrCidr('::ffff:10.0.0.0/104'), { family: 4, words: [0x0a000000], prefixLength: 8 });
  assert.deepEqual(parseIpOrCidr('::/0'), { family: 6, words: [0, 0, 0, 0], prefixLength: 0 });
  for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/08', '::/129', '10.0.0.0/-1', 'example.com', 'unix:', '*']) {
    assert.equal(parseIpOrCidr(bad), null, bad);
    assert.equal(isValidIpOrCidr(bad), false, bad);
  }
  assert.equal(isValidIpOrCidr('fe80::/10'), true);
});

test('an empty list matches nothing', () => {
  const match = compileIpMatcher([]);
  assert.equal(match('127.0.0.1'), false);
  assert.equal(match('::1'), false);
  assert.equal(match('unix:'), false);
});

test('IPv4 blocks match IPv4 and IPv4-mapped peers', () => {
  const match = compileIpMatcher(['10.0.0.0/8', '192.168.1.7']);
  assert.equal(match('10.0.0.1'), true);
  assert.equal(match('10.255.255.255'), true);
  assert.equal(match('11.0.0.0'), false);
  assert.equal(match('192.168.1.7'), true);
  assert.equal(match('192.168.1.8'), false);
  assert.equal(match('::ffff:10.9.8.7'), true);
  assert.equal(match('::ffff:a09:807'), true);
  assert.equal(match('::ffff:11.9.8.7'), false);
  assert.equal(match('::1'), false);
});

test('IPv6 blocks match IPv6 peers, including zone-suffixed ones', () => {
  const match = compileIpMatcher(['2001:db8::/32', '::1', 'fe80::/10']);
  assert.equal(match('2001:db8:1234::5'), true);
  assert.equal(match('2001:db9::5'), false);
  assert.equal(match('::1'), true);
  assert.equal(match('::2'), false);
  assert.equal(match('fe80::1%eth0'), true);
  assert.equal(match('fec0::1'), false);
  assert.equal(match('127.0.0.1'), false);
});

test('prefixes that do not fall on a word boundary are honoured', () => {
  const v4 = compileIpMatcher(['172.16.0.0/12']);
  assert.equal(v4('172.31.255.255'), true);
  assert.equal(v4('172.32.0.0'), false);
  assert.equal(v4('172.15.255.255'), false);
  const v6match = compileIpMatcher(['2001:db8:8000::/33']);
  assert.equal(v6match('2001:db8:ffff::1'), true);
  assert.equal(v6match('2001:db8:7fff::1'), false);
  const deep = compileIpMatcher(['2001:db8::abcd:0/113']);
  assert.equal(deep('2001:db8::abcd:7fff'), true);
  assert.equal(deep('2001:db8::abcd:8000'), false);
});

test('0.0.0.0/0 and ::/0 trust their own family only', () => {
  const v4all = compileIpMatcher(['0.0.0.0/0']);
  assert.equal(v4all('8.8.8.8'), true);
  assert.equal(v4all('::ffff:8.8.8.8'), true);
  assert.equal(v4all('2001:db8::1'), false);
  const v6all = compileIpMatcher(['::/0']);
  assert.equal(v6all('2001:db8::1'), true);
  assert.equal(v6all('8.8.8.8'), false);
  assert.equal(v6all('::ffff:8.8.8.8'), false);
  const both = compileIpMatcher(['0.0.0.0/0', '::/0']);
  assert.equal(both('8.8.8.8'), true);
  assert.equal(both('::1'), true);
});

test('IPv4-mapped IPv6 blocks behave as IPv4 blocks', () => {
  const match = compileIpMatcher(['::ffff:10.0.0.0/104']);
  assert.equal(match('10.1.1.1'), true);
  assert.equal(match('::ffff:10.1.1.1'), true);
  assert.equal(match('11.1.1.1'), false);
});

test('unix: matches UNIX-domain socket peers only', () => {
  const match = compileIpMatcher(['unix:']);
  assert.equal(match('unix:'), true);
  assert.equal(match('127.0.0.1'), false);
  assert.equal(compileIpMatcher(['127.0.0.1'])('unix:'), false);
});

test('garbage peer addresses never match', () => {
  const match = compileIpMatcher(['0.0.0.0/0', '::/0']);
  for (const bad of ['', 'localhost', '1.2.3', '::g', '1.2.3.4:80']) assert.equal(match(bad), false, bad);
});

test('an invalid entry is refused at compile time with its text', () => {
  assert.throws(() => compileIpMatcher(['10.0.0.0/8', '10.0.0.0/40']), /invalid IP address or CIDR block '10\.0\.0\.0\/40'/);
  assert.throws(() => compileIpMatcher(['example.com']), TypeError);
});

test('entries are trimmed', () => {
  assert.equal(compileIpMatcher([' 10.0.0.1 '])('10.0.0.1'), true);
});
