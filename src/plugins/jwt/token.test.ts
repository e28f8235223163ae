import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkClaims, checkMaximumExpiration, decodeBase64Url, decodeToken, keyClaim, type DecodedToken } from './token.ts';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const HEADER = b64({ alg: 'HS256', typ: 'JWT' });

test("base64url as nginx decodes it: no padding needed, stops at '=', refuses '+' '/' and impossible lengths", () => {
  assert.equal(decodeBase64Url('aGk')?.toString(), 'hi');
  assert.equal(decodeBase64Url('aGk=')?.toString(), 'hi');
  assert.equal(decodeBase64Url('aGk=junk!')?.toString(), 'hi');
  assert.deepEqual([...decodeBase64Url('-_8')!], [0xfb, 0xff]);
  assert.equal(decodeBase64Url('+/8'), null);
  assert.equal(decodeBase64Url('abcde'), null);
  assert.equal(decodeBase64Url('ab!c'), null);
});

test('a well-formed token: parts, claims, header and the signed bytes', () => {
  const token = `${HEADER}.${b64({ iss: 'k', exp: 10 })}.c2ln`;
  const decoded = decodeToken(token) as DecodedToken;
  assert.equal(decoded.alg, 'HS256');
  assert.deepEqual(decoded.claims, { iss: 'k', exp: 10 });
  assert.equal(decoded.signingInput, token.slice(0, token.lastIndexOf('.')));
  assert.equal(decoded.signature.toString(), 'sig');
});

test("Kong's bad-token reasons", () => {
  assert.equal(decodeToken('garbage'), 'invalid JSON');
  assert.equal(decodeToken(`${HEADER}.${b64({ iss: 'k' })}`), 'invalid JSON', 'two parts');
  assert.equal(decodeToken(`${HEADER}.bm90IGpzb24.c2ln`), 'invalid JSON', 'claims not JSON');
  assert.equal(decodeToken(`${HEADER}.${b64({})}!.c2ln`), 'invalid JSON', 'claims not base64url');
  assert.equal(decodeToken(`${b64({ typ: 'JWT' })}.${b64({})}.c2ln`), 'invalid alg');
  assert.equal(decodeToken(`${b64({ alg: 'none' })}.${b64({})}.`), 'invalid alg');
  assert.equal(decodeToken(`${b64({ alg: 256 })}.${b64({})}.c2ln`), 'invalid alg');
  assert.equal(decodeToken(`${b64(['HS256'])}.${b64({})}.c2ln`), 'invalid alg');
  assert.equal(decodeToken(`${HEADER}.${b64({})}.c2ln.more`), 'invalid signature', 'the third part keeps the dots');
  assert.equal(decodeToken(`${HEADER}.${b64({})}.a`), 'invalid signature');
  assert.ok(typeof decodeToken(`${HEADER}.${b64({})}.`) === 'object', 'an empty signature parses (and fails verification later)');
});

test('the key claim comes from the claims, else from the header', () => {
  const fromClaims = decodeToken(`${b64({ alg: 'HS256', kid: 'h' })}.${b64({ kid: 'c' })}.`) as DecodedToken;
  assert.equal(keyClaim(fromClaims, 'kid'), 'c');
  const fromHeader = decodeToken(`${b64({ alg: 'HS256', kid: 'h' })}.${b64({ kid: false })}.`) as DecodedToken;
  assert.equal(keyClaim(fromHeader, 'kid'), 'h');
  assert.equal(keyClaim(fromHeader, 'iss'), undefined);
});

test('registered claims: type, exp, nbf; errors keyed by claim, all of them', () => {
  assert.equal(checkClaims({ exp: 101, nbf: 100 }, ['exp', 'nbf'], 100), null);
  assert.deepEqual(checkClaims({ exp: 100 }, ['exp'], 100), { exp: 'token expired' });
  assert.deepEqual(checkClaims({ nbf: 101 }, ['nbf'], 100), { nbf: 'token not valid yet' });
  assert.deepEqual(checkClaims({ exp: '200' }, ['exp', 'nbf'], 100), { exp: 'must be a number', nbf: 'must be a number' });
  assert.equal(checkClaims({}, [], 100), null);
});

test('maximum_expiration: off at 0; a missing exp or one too far ahead is refused', () => {
  assert.equal(checkMaximumExpiration({}, 0, 100), null);
  assert.equal(checkMaximumExpiration({ exp: 160 }, 60, 100), null);
  assert.deepEqual(checkMaximumExpiration({ exp: 161 }, 60, 100), { exp: 'exceeds maximum allowed expiration' });
  assert.deepEqual(checkMaximumExpiration({}, 60, 100), { exp: 'exceeds maximum allowed expiration' });
});
