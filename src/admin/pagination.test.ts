import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminError } from './errors.ts';
import { decodeOffset, encodeOffset, escapeUri, listBody, pageOf, parseSize, parseTags, rawTagsArgument } from './pagination.ts';

function bodyOf(fn: () => unknown): Record<string, unknown> {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AdminError);
    return { status: err.status, ...err.body };
  }
  assert.fail('expected an AdminError');
}

test('size: default 100, 1..1000, codes 9', () => {
  assert.equal(parseSize(null), 100);
  assert.equal(parseSize('1000'), 1000);
  assert.deepEqual(bodyOf(() => parseSize('abc')), { status: 400, code: 9, name: 'invalid size', message: 'size must be a number' });
  for (const bad of ['0', '1001', '2.5', '-1']) {
    assert.equal(bodyOf(() => parseSize(bad)).message, 'size must be an integer between 1 and 1000');
  }
});

test('offset tokens: base64 of a JSON array; garbage is code 7', () => {
  const token = encodeOffset('abc');
  assert.equal(decodeOffset(token), 'abc');
  assert.deepEqual(bodyOf(() => decodeOffset('!!')), {
    status: 400,
    code: 7,
    name: 'invalid offset',
    message: "'!!' is not a valid offset: bad base64 encoding",
  });
  assert.equal(bodyOf(() => decodeOffset(Buffer.from('{nope').toString('base64'))).message?.toString().endsWith('bad json encoding'), true);
});

test('tags: a,b is AND, a/b is OR; spaces and UTF-8 allowed; mixing, empty and more than 5 are code 11', () => {
  assert.deepEqual(parseTags('a,b'), { mode: 'and', tags: ['a', 'b'] });
  assert.deepEqual(parseTags('a/b'), { mode: 'or', tags: ['a', 'b'] });
  assert.deepEqual(parseTags('one'), { mode: 'and', tags: ['one'] });
  assert.deepEqual(parseTags('with space,☃'), { mode: 'and', tags: ['with space', '☃'] });
  assert.equal(parseTags(null), null);
  assert.deepEqual(bodyOf(() => parseTags('a,b/c')), {
    status: 400,
    code: 11,
    name: 'invalid options',
    message: 'invalid option (tags: invalid filter syntax)',
    options: { tags: 'invalid filter syntax' },
  });
  assert.equal(bodyOf(() => parseTags('')).message, 'invalid option (tags: cannot be null)');
  assert.equal(bodyOf(() => parseTags('a\u0001')).message, 'invalid option (tags: invalid filter syntax)');
  assert.equal(bodyOf(() => parseTags('a,b,c,d,e,f')).message, 'invalid option (tags: cannot query more than 5 tags)');
});

test('tags argument: bytes that are not UTF-8 are invalid filter syntax, as in Kong (not U+FFFD)', () => {
  const arg = (query: string) => rawTagsArgument(new URL(`http://x/consumers${query}`));
  assert.equal(arg('?tags=corp_%20a&size=1'), 'corp_ a');
  assert.equal(arg('?size=1&tags=%F0%9F%A6%8D'), '🦍');
  assert.equal(arg('?tags'), '');
  assert.equal(arg('?size=1'), null);
  const body = (() => {
    try {
      arg('?tags=%FF');
    } catch (error) {
      return (error as AdminError).body;
    }
    return null;
  })();
  assert.equal(body?.message, 'invalid option (tags: invalid filter syntax)');
});

test('list bodies: offset only with a next page; next escapes the token', () => {
  assert.deepEqual(listBody([1], null, '/services'), { data: [1], next: null });
  assert.deepEqual(listBody([1], 'a+b/c=', '/services', '&size=1'), { data: [1], offset: 'a+b/c=', next: '/services?offset=a%2Bb%2Fc%3D&size=1' });
  assert.equal(escapeUri("a!'()*"), 'a%21%27%28%29%2A');
});

test('pages of an id-sorted list: an offset only when more rows follow', () => {
  const rows = ['a', 'b', 'c'].map((id) => ({ id }));
  const first = pageOf(rows, 2, null);
  assert.deepEqual(first.data, [{ id: 'a' }, { id: 'b' }]);
  assert.notEqual(first.offset, null);
  const second = pageOf(rows, 2, first.offset);
  assert.deepEqual(second, { data: [{ id: 'c' }], offset: null });
  assert.equal(pageOf(rows, 3, null).offset, null);
});
