import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeOffset, encodeOffset } from './offset.ts';
import { StoreError } from './types.ts';

const ID = '0855b320-0dd2-547d-891d-601e9b38647f';

test('offsets are Kong\'s: unpadded base64 of the JSON key, read back padded or not', () => {
  const token = encodeOffset([ID]);
  assert.equal(token, Buffer.from(JSON.stringify([ID])).toString('base64').replace(/=+$/, ''));
  assert.doesNotMatch(token, /=/);
  assert.deepEqual(decodeOffset(token, 'services'), [ID, null]);
  assert.deepEqual(decodeOffset(Buffer.from(JSON.stringify([ID])).toString('base64'), 'services'), [ID, null]);
  assert.deepEqual(decodeOffset(encodeOffset([ID.toUpperCase(), 2]), 'tags'), [ID, 2]);
});

test('bad offsets are invalid_offset errors with Kong\'s reasons', () => {
  const reason = (token: string) => {
    try {
      decodeOffset(token, 'routes');
    } catch (error) {
      assert.ok(error instanceof StoreError && error.kind === 'invalid_offset' && error.entity === 'routes');
      return error.message;
    }
    return assert.fail('accepted');
  };
  assert.equal(reason('a b'), "'a b' is not a valid offset: bad base64 encoding");
  assert.equal(reason(''), "'' is not a valid offset: bad base64 encoding");
  assert.equal(reason('abcde'), "'abcde' is not a valid offset: bad base64 encoding");
  assert.equal(reason(Buffer.from('{').toString('base64')), `'${Buffer.from('{').toString('base64')}' is not a valid offset: bad json encoding`);
  assert.match(reason(Buffer.from('{"a":1}').toString('base64')), /bad json encoding$/);
  assert.match(reason(Buffer.from('[1]').toString('base64')), /bad json encoding$/);
});
