/** ldap-auth's header parsing, DN escaping and cache keys. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindDn, cacheKey, escapeDnValue, headerParser } from './credentials.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('the header: the scheme case-insensitively after optional spaces, then base64(user:password)', () => {
  const parse = headerParser('ldap');
  assert.deepEqual(parse(`ldap ${b64('einstein:password')}`), { username: 'einstein', password: 'password' });
  assert.deepEqual(parse(`  LDAP ${b64('einstein:pass:word')}`), { username: 'einstein', password: 'pass:word' }, 'split at the first colon');
  assert.deepEqual(parse(`ldap ${b64(':password')}`), { username: '', password: 'password' });
  assert.equal(parse(`ldap ${b64('einstein:')}`), null, 'a password is required');
  assert.equal(parse(`ldap ${b64('einstein')}`), null);
  assert.equal(parse('ldap '), null);
  assert.equal(parse('ldap !!!'), null);
  assert.equal(parse(`basic ${b64('einstein:password')}`), null);
  assert.equal(parse(`ldap${b64('einstein:password')}`), null, 'a space after the scheme');
  assert.deepEqual(headerParser('Basic')(`basic ${b64('a:b')}`), { username: 'a', password: 'b' });
  assert.equal(headerParser('a.b')(`axb ${b64('a:b')}`), null, 'the scheme is literal, not a pattern');
});

test('DN values are escaped, so a username cannot add components', () => {
  assert.equal(escapeDnValue('einstein'), 'einstein');
  assert.equal(escapeDnValue('a,ou=admins'), 'a\\,ou\\=admins');
  assert.equal(escapeDnValue(' x '), '\\ x\\ ');
  assert.equal(escapeDnValue('#x+y;"<>\\'), '\\#x\\+y\\;\\"\\<\\>\\\\');
  assert.equal(bindDn('uid', 'a,b', 'ou=people,dc=x'), 'uid=a\\,b,ou=people,dc=x');
});

test('cache keys: a hash, never the password; any input changes the key', () => {
  const conf = { ldapHost: 'LDAP.example', ldapPort: 389, baseDn: 'dc=x', attribute: 'uid', cacheTtl: 60, tls: 'none', verify: false } as const;
  const key = cacheKey(conf, { username: 'u', password: 'secret-password' });
  assert.match(key, /^ldap_auth_cache:[0-9a-f]{64}$/);
  assert.ok(!key.includes('secret-password'));
  assert.equal(key, cacheKey({ ...conf, ldapHost: 'ldap.example' }, { username: 'u', password: 'secret-password' }), 'the host is case-insensitive');
  assert.notEqual(key, cacheKey(conf, { username: 'u', password: 'other' }));
  assert.notEqual(key, cacheKey({ ...conf, verify: true }, { username: 'u', password: 'secret-password' }));
  assert.notEqual(key, cacheKey({ ...conf, tls: 'starttls' }, { username: 'u', password: 'secret-password' }));
});
