import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textualBytes } from './textual-bytes.ts';

test('a raw body is bytes, as on Kong 3.x, and answers string methods on its text, as on earlier Kong', () => {
  const body = textualBytes(Buffer.from('héllo wörld'));
  assert.ok(Buffer.isBuffer(body));
  assert.ok(body instanceof Uint8Array);
  assert.equal(body.length, 13, 'length in bytes');
  assert.equal(new TextDecoder().decode(body), 'héllo wörld');
  assert.equal(Buffer.concat([body, Buffer.from('!')]).toString(), 'héllo wörld!');
  assert.equal(body.toUpperCase(), 'HÉLLO WÖRLD');
  assert.equal(body.replace(/(.)/g, (c: string) => c.toUpperCase()), 'HÉLLO WÖRLD');
  assert.deepEqual(body.split(' '), ['héllo', 'wörld']);
  assert.equal(`${body}`, 'héllo wörld');
  assert.equal(body + '!', 'héllo wörld!');
  assert.deepEqual(JSON.parse(textualBytes('{"a":1}') as unknown as string), { a: 1 });
  assert.ok(body.includes('wörld'));
  assert.equal(textualBytes('').length, 0);
});
