import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEntity } from '../../entities/index.ts';
import { pluginRegistry } from '../index.ts';
import { pluginContext, type TestRequest } from '../../../test/support/plugin-context.ts';
import { ERR_LENGTH_REQUIRED, ERR_SIZE_LIMIT, requestSizeLimitingHandler } from './handler.ts';
import type { RequestSizeLimitingConfig } from './schema.ts';

const registry = pluginRegistry(['request-size-limiting']);
const validate = (config: unknown) => validateEntity('plugins', { name: 'request-size-limiting', config }, { plugins: registry });

function run(config: Partial<RequestSizeLimitingConfig>, request: TestRequest) {
  const conf = requestSizeLimitingHandler.prepare!(
    { allowed_payload_size: 128, size_unit: 'megabytes', require_content_length: false, ...config } as RequestSizeLimitingConfig,
    undefined as never,
  );
  const ctx = pluginContext({ method: 'POST', ...request });
  requestSizeLimitingHandler.access!(ctx, conf);
  return ctx;
}

describe('request-size-limiting schema', () => {
  test('Kong\'s defaults; the unit is one of three', () => {
    const ok = validate({});
    assert.ok(ok.ok);
    assert.deepEqual(ok.value.config, { allowed_payload_size: 128, size_unit: 'megabytes', require_content_length: false });
    const bad = validate({ size_unit: 'gigabytes', allowed_payload_size: 1.5 });
    assert.ok(!bad.ok);
    assert.deepEqual(bad.errors, { config: { size_unit: 'expected one of: megabytes, kilobytes, bytes', allowed_payload_size: 'expected an integer' } });
  });
});

describe('request-size-limiting access', () => {
  test('a Content-Length over the limit: 413, or 417 when the client expects 100-continue', () => {
    const over = run({ allowed_payload_size: 1, size_unit: 'kilobytes' }, { headers: ['Content-Length', '1025'] });
    assert.deepEqual(over.exited, { status: 413, kind: 'error', body: ERR_SIZE_LIMIT, headers: [] });
    const expect = run({ allowed_payload_size: 1, size_unit: 'kilobytes' }, { headers: ['Content-Length', '1025', 'Expect', ' 100-Continue '] });
    assert.equal(expect.exited?.status, 417);
    const fits = run({ allowed_payload_size: 1, size_unit: 'kilobytes' }, { headers: ['Content-Length', '1024'] });
    assert.equal(fits.exited, null);
    assert.equal(fits.bodyLimit, null, 'a Content-Length the server enforces needs no counting');
    assert.equal(run({ allowed_payload_size: 2 }, { headers: ['Content-Length', String(2 * 1048576 + 1)] }).exited?.status, 413);
    assert.equal(run({ allowed_payload_size: 2 }, { headers: ['Content-Length', String(2 * 1048576)] }).exited, null);
  });

  test('without a Content-Length the bound goes to the proxy, which counts the body as it streams', () => {
    const chunked = run({ allowed_payload_size: 10, size_unit: 'bytes' }, { headers: ['Transfer-Encoding', 'chunked'] });
    assert.equal(chunked.exited, null);
    assert.deepEqual(chunked.bodyLimit, { maxBytes: 10, status: 413, message: ERR_SIZE_LIMIT });
    const expect = run({ allowed_payload_size: 10, size_unit: 'bytes' }, { headers: ['Transfer-Encoding', 'chunked', 'Expect', '100-continue'] });
    assert.equal(expect.bodyLimit?.status, 417);
  });

  test('require_content_length: 411 unless the body is chunked', () => {
    const none = run({ require_content_length: true }, { method: 'GET' });
    assert.deepEqual(none.exited, { status: 411, kind: 'error', body: ERR_LENGTH_REQUIRED, headers: [] });
    assert.equal(run({ require_content_length: true }, { headers: ['Transfer-Encoding', 'chunked'] }).exited, null);
    assert.equal(run({ require_content_length: true }, { headers: ['Content-Length', '3'] }).exited, null);
  });

  test('a plugin reading the body after the bound gets the limiting plugin\'s answer, not a failure', async () => {
    const ctx = run({ allowed_payload_size: 10, size_unit: 'bytes' }, { headers: ['Transfer-Encoding', 'chunked'], body: [Buffer.from('0123456'), Buffer.from('789ab')] });
    await assert.rejects(ctx.request.getRawBody(), { name: 'BodyLimitError', status: 413, message: ERR_SIZE_LIMIT });
    const small = run({ allowed_payload_size: 10, size_unit: 'bytes' }, { headers: ['Transfer-Encoding', 'chunked'], body: [Buffer.from('0123456789')] });
    assert.equal(await small.request.getRawBody(), '0123456789');
  });
});
