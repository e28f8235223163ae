import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numeric, parseDirectives, resourceTtl } from './cache-control.ts';
import { contentTypeMatcher, parseMimeType } from './content-type.ts';
import { CACHE_VERSION, decodeEntry, encodeEntry, kongView } from './entry.ts';

test('Cache-Control directives: lower-cased names, numbers, text and bare flags; several headers joined', () => {
  const cc = parseDirectives(['Max-Age=60, private', 'community="UCI"']);
  assert.equal(cc.get('max-age'), 60);
  assert.equal(cc.get('private'), true);
  assert.equal(cc.get('community'), '"UCI"');
  assert.equal(numeric(cc, 'max-age'), 60);
  assert.equal(numeric(cc, 'community'), null);
  assert.equal(parseDirectives(undefined).size, 0);
});

test('resource TTL: s-maxage, then max-age, then Expires; never negative; 0 without any', () => {
  const now = 1_700_000_000;
  assert.equal(resourceTtl(parseDirectives('max-age=60, s-maxage=120'), undefined, now), 120);
  assert.equal(resourceTtl(parseDirectives('max-age=60'), new Date((now + 999) * 1000).toUTCString(), now), 60);
  assert.equal(resourceTtl(parseDirectives(undefined), new Date((now + 90) * 1000).toUTCString(), now), 90);
  assert.equal(resourceTtl(parseDirectives(undefined), new Date((now - 90) * 1000).toUTCString(), now), 0);
  assert.equal(resourceTtl(parseDirectives('public'), undefined, now), 0);
  assert.equal(resourceTtl(parseDirectives('max-age=-5'), undefined, now), 0);
  assert.equal(resourceTtl(parseDirectives(undefined), 'not a date', now), 0);
});

test("content types: Kong's exact match of type, subtype and parameters, with * wildcards", () => {
  const ok = contentTypeMatcher(['text/plain', 'application/json', 'image/*', 'text/html; charset=utf-8', 'not a type']);
  assert.equal(ok('application/json'), true);
  assert.equal(ok('Application/JSON'), true);
  assert.equal(ok('application/json; charset=utf-8'), false);
  assert.equal(ok('image/png'), true);
  assert.equal(ok('text/html; charset=utf-8'), true);
  assert.equal(ok('text/html; charset="utf-8"'), true);
  assert.equal(ok('text/html'), false);
  assert.equal(ok('text/html; charset=latin1'), false);
  assert.equal(ok(undefined), false);
  assert.equal(ok(''), false);
  assert.equal(ok('garbage'), false);
  assert.equal(contentTypeMatcher(['*/*'])('anything/here'), true);
  assert.equal(parseMimeType('nope'), null);
});

test('entries keep bytes as bytes and read back; other values are not entries', () => {
  const body = Buffer.from([0, 1, 2, 255, 254]);
  const bytes = encodeEntry({ status: 201, headers: { 'content-type': 'application/octet-stream', 'set-cookie': ['a=1', 'b=2'] }, body, bodyLen: 5, parts: 0, generation: '', timestamp: 1000, ttl: 30, version: CACHE_VERSION, reqBody: null });
  const entry = decodeEntry(new Uint8Array(bytes));
  assert.ok(entry !== null);
  assert.equal(entry.status, 201);
  assert.deepEqual(entry.headers['set-cookie'], ['a=1', 'b=2']);
  assert.ok(entry.body.equals(body));
  assert.equal(entry.ttl, 30);
  assert.equal(entry.version, CACHE_VERSION);
  const view = kongView(entry);
  assert.equal(view.body_len, 5);
  assert.equal(view.req_body, undefined);
  assert.equal(decodeEntry('text'), null);
  assert.equal(decodeEntry(new Uint8Array([9, 9])), null);
  assert.equal(decodeEntry(new Uint8Array([4, 0, 0, 0, 1, 2, 3, 4])), null);
});
