import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestTerminationHandler } from './handler.ts';

function run(config: Record<string, unknown>, request: { headers?: Record<string, string>; query?: Record<string, string> } = {}) {
  const exits: unknown[][] = [];
  const kong = {
    request: {
      getHeader: (n: string) => request.headers?.[n.toLowerCase()],
      getQueryArg: (n: string) => request.query?.[n],
    },
    response: { exit: (...args: unknown[]) => exits.push(args) },
  };
  const conf = requestTerminationHandler.prepare!({ status_code: 503, echo: false, ...config } as never, undefined as never);
  requestTerminationHandler.access!(kong as never, conf);
  return exits;
}

test("Kong's default messages, and none for other statuses", () => {
  assert.deepEqual(run({}), [[503, { message: 'Service unavailable' }]]);
  assert.deepEqual(run({ status_code: 404 }), [[404, { message: 'Not found' }]]);
  assert.deepEqual(run({ status_code: 418 }), [[418, null]]);
  assert.deepEqual(run({ status_code: 418, message: 'tea' }), [[418, { message: 'tea' }]]);
});

test('a body with and without a content type', () => {
  assert.deepEqual(run({ body: 'x', content_type: 'text/plain' }), [[503, 'x', { 'Content-Type': 'text/plain' }]]);
  assert.deepEqual(run({ body: 'x' }), [[503, 'x', undefined]]);
});

test('trigger: header (any case) or query argument', () => {
  assert.deepEqual(run({ trigger: 'X-Go' }), []);
  assert.equal(run({ trigger: 'X-Go' }, { headers: { 'x-go': '' } }).length, 1);
  assert.equal(run({ trigger: 'go' }, { query: { go: 'true' } }).length, 1);
});
