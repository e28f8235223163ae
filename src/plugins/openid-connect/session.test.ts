import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveKey, needsRenewal, open, readCookie, returnPath, seal, sessionAlive, setCookie } from './session.ts';

test('sealed cookies open only with their key, and tampering is detected', () => {
  const key = deriveKey('secret', 'session');
  const text = seal(key, { a: 1 });
  assert.deepEqual(open(key, text), { a: 1 });
  assert.equal(open(deriveKey('secret', 'authorization'), text), null);
  assert.equal(open(deriveKey('other', 'session'), text), null);
  const raw = Buffer.from(text, 'base64url');
  raw[raw.length - 1] ^= 1;
  assert.equal(open(key, raw.toString('base64url')), null);
  assert.equal(open(key, 'garbage'), null);
  assert.doesNotMatch(text, /"a"/);
});

test('cookie reading and attributes', () => {
  assert.equal(readCookie(['a=1; session=xyz', 'b=2'], 'session'), 'xyz');
  assert.equal(readCookie(['a=1'], 'session'), undefined);
  const attrs = { path: '/', domain: null, sameSite: 'Lax', httpOnly: true, secure: null };
  assert.equal(setCookie('s', 'v', attrs, false), 's=v; Path=/; SameSite=Lax; HttpOnly');
  assert.equal(setCookie('s', 'v', attrs, true), 's=v; Path=/; SameSite=Lax; Secure; HttpOnly');
  assert.match(setCookie('s', '', { ...attrs, secure: true, domain: 'example.com' }, false, 0), /^s=; Path=\/; Domain=example.com; Max-Age=0; Expires=.*; Secure; HttpOnly$/);
});

test('session limits', () => {
  const limits = { rollingS: 3600, absoluteS: 86400, idlingS: 900 };
  const s = { idToken: null, accessToken: null, accessExp: null, created: 1000, renewed: 1000 };
  assert.equal(sessionAlive(s, 1899, limits), true);
  assert.equal(sessionAlive(s, 1900, limits), false, 'idle');
  assert.equal(sessionAlive({ ...s, renewed: 87000 }, 87400, limits), false, 'absolute');
  assert.equal(needsRenewal(s, 1050, limits), false);
  assert.equal(needsRenewal(s, 1090, limits), true);
});

test('the return path never leaves the gateway', () => {
  assert.equal(returnPath('/app/page?x=1'), '/app/page?x=1');
  assert.equal(returnPath('//evil.example/x'), '/evil.example/x');
  assert.equal(returnPath('/\\evil.example/x'), '/evil.example/x');
  assert.equal(returnPath(''), '/');
});
