/** basic-auth passwords: the stored format, which written values are kept as hashes, and verification. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, isKongSha1, kongSha1, parseScrypt, parseStored, storedPasswordFor, verifyPassword, VerifiedCache } from './password.ts';

const CONSUMER = 'ad06b77c-0d2f-407a-8d6d-07f272a92d6a';

test('new hashes are self-describing scrypt with a random salt', () => {
  const a = hashPassword('secret');
  const b = hashPassword('secret');
  assert.match(a, /^\$scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.notEqual(a, b, 'a new salt each time');
  assert.ok(!a.includes('secret'));
  const parsed = parseScrypt(a);
  assert.equal(parsed?.N, 16384);
  assert.equal(parsed?.hash.length, 32);
});

test('scrypt parameters that are not sane are not a hash', () => {
  const salt = 'c2FsdHNhbHRzYWx0c2FsdA';
  const hash = 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
  assert.ok(parseScrypt(`$scrypt$1024$8$1$${salt}$${hash}`));
  assert.equal(parseScrypt(`$scrypt$1000$8$1$${salt}$${hash}`), null, 'N not a power of two');
  assert.equal(parseScrypt(`$scrypt$16777216$8$1$${salt}$${hash}`), null, 'more memory than allowed');
  assert.equal(parseScrypt(`$scrypt$1024$0$1$${salt}$${hash}`), null);
  assert.equal(parseScrypt(`$scrypt$1024$8$1$${salt}`), null);
});

test('Kong SHA-1: password then consumer id, lower-case hex', () => {
  assert.equal(kongSha1('MI6', CONSUMER).length, 40);
  assert.ok(isKongSha1(kongSha1('MI6', CONSUMER)));
  assert.equal(isKongSha1(kongSha1('MI6', CONSUMER).toUpperCase()), false);
});

test('what a write stores: scrypt kept; Kong SHA-1 kept only from pre-transformed sources; the rest hashed', () => {
  const scryptHash = hashPassword('x');
  assert.equal(storedPasswordFor(scryptHash, true), scryptHash);
  assert.equal(storedPasswordFor(scryptHash, false), scryptHash);
  const kong = kongSha1('MI6', CONSUMER);
  assert.equal(storedPasswordFor(kong, false), kong, '_transform: false keeps it');
  assert.match(storedPasswordFor(kong, true), /^\$scrypt\$/, 'a 40-hex password written normally is a password');
  assert.match(storedPasswordFor('plain', false), /^\$scrypt\$/, 'never stored in clear');
  assert.match(storedPasswordFor('plain', true), /^\$scrypt\$/);
});

test('verification: Kong SHA-1 at once, scrypt once then from the cache, wrong passwords fail', async () => {
  const kong = parseStored(kongSha1('MI6', CONSUMER), CONSUMER);
  assert.equal(kong.kind, 'kong-sha1');
  assert.equal(verifyPassword(kong, Buffer.from('MI6')), true);
  assert.equal(verifyPassword(kong, Buffer.from('MI5')), false);
  assert.equal(verifyPassword(parseStored(kongSha1('MI6', 'other-consumer'), CONSUMER), Buffer.from('MI6')), false);

  const cache = new VerifiedCache(2);
  const stored = parseStored(hashPassword('s3cret:with:colons'), CONSUMER);
  const first = verifyPassword(stored, Buffer.from('s3cret:with:colons'), cache);
  assert.ok(first instanceof Promise, 'scrypt runs off the event loop');
  assert.equal(await first, true);
  assert.equal(verifyPassword(stored, Buffer.from('s3cret:with:colons'), cache), true, 'a cached success is synchronous');
  assert.equal(await verifyPassword(stored, Buffer.from('wrong'), cache), false);
  assert.equal(cache.size, 1, 'failures are not cached');
  assert.equal(verifyPassword(parseStored('plain-text', CONSUMER), Buffer.from('plain-text')), false, 'an unknown stored format never matches');
  assert.equal(verifyPassword(parseStored(null, CONSUMER), Buffer.from('')), false);
});

test('the cache is bounded and keyed by the stored hash, so a new password is verified afresh', async () => {
  const cache = new VerifiedCache(2);
  const one = parseStored(hashPassword('a'), CONSUMER);
  const two = parseStored(hashPassword('a'), CONSUMER);
  const three = parseStored(hashPassword('a'), CONSUMER);
  for (const s of [one, two, three]) assert.equal(await verifyPassword(s, Buffer.from('a'), cache), true);
  assert.equal(cache.size, 2);
  assert.ok(verifyPassword(one, Buffer.from('a'), cache) instanceof Promise, 'the oldest was evicted');
  assert.equal(cache.has(cache.keyOf('x', Buffer.from('a'))), false);
});
