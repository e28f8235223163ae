import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildCacheKey, headersKey, paramsKey, prefixOf, requestLineUri } from './cache-key.ts';

test("prefix: consumer and route, route alone, or 'default' (Kong's)", () => {
  assert.equal(prefixOf('c1', 'r1'), 'c1:r1');
  assert.equal(prefixOf(null, 'r1'), 'r1');
  assert.equal(prefixOf(null, null), 'default');
  assert.equal(prefixOf('c1', null), 'default');
});

test('params: all arguments sorted by name, or only vary_query_params in their order', () => {
  const q = new Map<string, string | true | (string | true)[]>([
    ['b', '2'],
    ['a', '1'],
    ['flag', true],
    ['multi', ['z', 'y']],
  ]);
  assert.equal(paramsKey(q, null), 'a=1:b=2:flag:multi=y,z');
  assert.equal(paramsKey(q, []), 'a=1:b=2:flag:multi=y,z');
  assert.equal(paramsKey(q, ['b', 'missing', 'a']), 'b=2:a=1');
  assert.equal(paramsKey(new Map(), null), '');
  assert.equal(paramsKey(new Map(), ['a']), '');
});

test('headers: only vary_headers, looked up case-insensitively, named as configured', () => {
  const headers: Record<string, string | string[]> = { 'x-tenant': 'one', accept: ['b', 'a'] };
  const lookup = (name: string) => headers[name];
  assert.equal(headersKey(lookup, null), '');
  assert.equal(headersKey(lookup, []), '');
  assert.equal(headersKey(lookup, ['X-Tenant', 'Accept', 'X-None']), 'X-Tenant=one:Accept=a,b');
});

test("the uri is nginx's request line cut at '?'", () => {
  assert.equal(requestLineUri('GET', '/a/b', '1.1'), 'GET /a/b HTTP/1.1');
  assert.equal(requestLineUri('GET', '/a/b?x=1', '1.1'), 'GET /a/b');
  assert.equal(requestLineUri('HEAD', '/', '2.0'), 'HEAD / HTTP/2.0');
});

test('the key is the sha256 of the parts joined by |', () => {
  const key = buildCacheKey({ consumerId: null, routeId: 'r1', method: 'GET', uri: 'GET /x HTTP/1.1', params: 'a=1', headers: '' });
  assert.equal(key, createHash('sha256').update('r1|GET|GET /x HTTP/1.1|a=1|').digest('hex'));
  assert.match(key, /^[0-9a-f]{64}$/);
  const other = buildCacheKey({ consumerId: 'c', routeId: 'r1', method: 'GET', uri: 'GET /x HTTP/1.1', params: 'a=1', headers: '' });
  assert.notEqual(key, other);
});
