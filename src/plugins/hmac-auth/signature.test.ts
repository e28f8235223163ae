/** hmac-auth's header parsing, signing string, digests and HTTP dates, against values computed independently. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { bodyDigest, decodeBase64, hmacDigest, parseHmacHeader, parseHttpDate, signatureMatches, signingString } from './signature.ts';

test('the hmac header: Kong\'s pattern, spaces optional between fields, case of the scheme\'s first letter', () => {
  assert.deepEqual(parseHmacHeader('hmac username="bob", algorithm="hmac-sha1", headers="date request-line", signature="c2ln"'), {
    username: 'bob',
    algorithm: 'hmac-sha1',
    headers: ['date', 'request-line'],
    signature: 'c2ln',
  });
  assert.equal(parseHmacHeader('Hmac username="bob",algorithm="a",headers="date",signature="s"')?.username, 'bob');
  assert.equal(parseHmacHeader('HMAC username="bob",algorithm="a",headers="date",signature="s"'), null, 'Kong matches [Hh]mac only');
  assert.equal(parseHmacHeader('hmac username="bob"'), null);
  assert.equal(parseHmacHeader('hmac username="bob",algorithm="a",headers="date",signatur="s"'), null);
  assert.equal(parseHmacHeader('Basic Ym9iOnB3'), null);
  assert.equal(parseHmacHeader(undefined), null);
});

test('the header parser finds what Kong\'s pattern finds, on random values built from its pieces', () => {
  const KONG = /\s*[Hh]mac\s*username="(.+)",\s*algorithm="(.+)",\s*headers="(.+)",\s*signature="(.+)"/;
  const pieces = ['hmac ', 'Hmac', 'username="', 'algorithm="', 'headers="', 'signature="', '",', '", ', '"', ',', ' ', 'a', 'b c', '=', '\t', 'x', 'yz', 'date'];
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const filler = () => {
    let out = '';
    for (let i = random(10) === 0 ? 0 : 1 + random(3); i > 0; i--) out += pieces[random(pieces.length)];
    return out;
  };
  // A well-formed value's parts, each sometimes dropped or doubled, with random filler between them.
  const skeleton = ['hmac username="', '",algorithm="', '", algorithm="', '",headers="', '",  headers="', '",signature="', '", signature="', '"'];
  let matched = 0;
  for (let round = 0; round < 20000; round++) {
    let value = random(2) === 0 ? '' : filler();
    for (const part of skeleton) {
      const roll = random(10);
      if (roll === 0) continue;
      value += part + filler();
      if (roll === 1) value += part + filler();
    }
    const m = KONG.exec(value);
    const expected = m === null ? null : { username: m[1], algorithm: m[2], headers: m[3].split(' '), signature: m[4] };
    if (expected !== null) matched++;
    assert.deepEqual(parseHmacHeader(value), expected, JSON.stringify(value));
  }
  assert.ok(matched > 500, `enough values match (${matched})`);
});

test('the header parser is linear on values that make the pattern backtrack', () => {
  // Kong's pattern takes seconds on this; the parser answers at once (a loose bound, not a speed test).
  const crafted = 'hmac username="' + '",algorithm="",headers="'.repeat(400);
  assert.equal(parseHmacHeader(crafted), null);
  assert.equal(parseHmacHeader(' '.repeat(16000) + 'x'), null);
  assert.equal(parseHmacHeader('hmac username="a\n", algorithm="b", headers="c", signature="d"'), null);
});

test('the signing string: headers as sent, the request line, @request-target, absent headers', () => {
  const headers: Record<string, string> = { date: 'Mon, 07 Dec 2026 09:00:00 GMT', 'content-md5': 'md5' };
  const req = { header: (n: string) => headers[n.toLowerCase()], method: 'GET', pathWithQuery: '/r?a=1', httpVersion: 1.1 };
  assert.equal(signingString(['date', 'content-md5', 'request-line'], req), 'date: Mon, 07 Dec 2026 09:00:00 GMT\ncontent-md5: md5\nGET /r?a=1 HTTP/1.1');
  assert.equal(signingString(['@request-target', 'x-missing'], req), '@request-target: get /r?a=1\nx-missing:');
  assert.equal(signingString(['Date'], req), 'Date: Mon, 07 Dec 2026 09:00:00 GMT', 'the name as the client wrote it');
  assert.equal(signingString(['request-line'], { ...req, httpVersion: 2 }), 'GET /r?a=1 HTTP/2.0');
  assert.equal(signingString(['request-line'], { ...req, httpVersion: 1 }), 'GET /r?a=1 HTTP/1.0');
});

test('digests and the constant-time comparison of a base64 signature', () => {
  const expected = createHmac('sha384', 'k').update('data').digest();
  assert.deepEqual(hmacDigest('hmac-sha384', 'k', 'data'), expected);
  assert.equal(signatureMatches(expected, expected.toString('base64')), true);
  assert.equal(signatureMatches(expected, hmacDigest('hmac-sha384', 'k2', 'data').toString('base64')), false);
  assert.equal(signatureMatches(expected, 'not really a base64 encoded value!!!'), false);
  assert.equal(signatureMatches(expected, expected.subarray(1).toString('base64')), false, 'a shorter signature');
  assert.equal(decodeBase64('a'), null);
  assert.deepEqual(decodeBase64('aGk='), Buffer.from('hi'));
  assert.equal(bodyDigest(''), 'SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
});

test('HTTP dates: the three forms, nothing else', () => {
  const t = Date.UTC(1994, 10, 6, 8, 49, 37) / 1000;
  assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), t);
  assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), t);
  assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), t);
  assert.equal(parseHttpDate(new Date(t * 1000).toUTCString()), t);
  for (const bad of ['wrong date', '', '1994-11-06T08:49:37Z', 'Sun, 31 Feb 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 25:49:37 GMT', 'Sun, 06 Foo 1994 08:49:37 GMT']) {
    assert.equal(parseHttpDate(bad), null, bad);
  }
});
