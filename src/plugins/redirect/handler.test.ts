import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locationWithPath, redirectHandler } from './handler.ts';

test('keep_incoming_path keeps scheme, host and port and takes path and query', () => {
  const base = new URL('https://user@example.test:8443/old/path?old=1#frag');
  assert.equal(locationWithPath(base, '/new', 'a=1&b'), 'https://user@example.test:8443/new?a=1&b#frag');
  assert.equal(locationWithPath(base, '/', ''), 'https://user@example.test:8443/#frag');
});

test('without keep_incoming_path the location is sent as configured', () => {
  const exits: unknown[][] = [];
  const kong = { request: {}, response: { exit: (...a: unknown[]) => exits.push(a) } };
  const conf = redirectHandler.prepare!({ status_code: 302, location: 'http://a.test', keep_incoming_path: false } as never, undefined as never);
  redirectHandler.access!(kong as never, conf);
  assert.deepEqual(exits, [[302, 'redirecting', { Location: 'http://a.test' }]]);
});
