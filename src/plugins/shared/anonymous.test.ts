import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PluginContext } from '../../pdk/index.ts';
import { configData, pluginContext, TEST_ENV } from '../../../test/support/plugin-context.ts';
import { anonymousConf, authenticatedByAnother, useAnonymous } from './anonymous.ts';

const DATA = configData({
  consumers: [
    { id: 'c-anon', username: 'guest', custom_id: null },
    { id: 'c-ann', username: 'ann', custom_id: 'ann-1' },
  ],
});

/** A request whose client forged the consumer headers, and the error log lines it writes. */
function context(): { ctx: PluginContext; errors: string[] } {
  const errors: string[] = [];
  const env = { ...TEST_ENV, log: (level: string, message: string) => void (level === 'error' && errors.push(message)) };
  const ctx = pluginContext({ headers: ['X-Consumer-ID', 'forged', 'X-Credential-Identifier', 'forged'], data: DATA, env });
  return { ctx, errors };
}

describe('anonymousConf', () => {
  test('unset or empty: no anonymous consumer (logical AND)', () => {
    for (const configured of [null, undefined, '']) assert.deepEqual(anonymousConf(configured, DATA), { anonymous: null, anonymousConsumer: null });
  });

  test('resolved by id or by username; a missing one is kept by name with no consumer', () => {
    assert.equal(anonymousConf('c-anon', DATA).anonymousConsumer?.id, 'c-anon');
    assert.equal(anonymousConf('guest', DATA).anonymousConsumer?.id, 'c-anon');
    assert.deepEqual(anonymousConf('nobody', DATA), { anonymous: 'nobody', anonymousConsumer: null });
  });
});

describe('authenticatedByAnother', () => {
  test('only with anonymous set and a credential already proven', () => {
    const { ctx } = context();
    const ann = DATA.consumer('ann')!;
    assert.equal(authenticatedByAnother(ctx, anonymousConf('guest', DATA)), false);
    ctx.client.authenticate(ann, { id: 'cred-1', consumer: { id: ann.id } });
    assert.equal(authenticatedByAnother(ctx, anonymousConf('guest', DATA)), true);
    assert.equal(authenticatedByAnother(ctx, anonymousConf(null, DATA)), false);
  });

  test('an earlier anonymous consumer has no credential, so the next plugin still tries', () => {
    const { ctx } = context();
    assert.equal(useAnonymous(ctx, anonymousConf('guest', DATA)), true);
    assert.equal(authenticatedByAnother(ctx, anonymousConf('guest', DATA)), false);
  });
});

describe('useAnonymous', () => {
  test('authenticates the anonymous consumer and marks the request anonymous upstream', () => {
    const { ctx } = context();
    assert.equal(useAnonymous(ctx, anonymousConf('guest', DATA)), true);
    assert.equal(ctx.exited, null);
    assert.equal(ctx.consumer?.id, 'c-anon');
    assert.equal(ctx.credential, null);
    assert.deepEqual(ctx.upstreamHeaders.slice(2), ['X-Consumer-ID', 'c-anon', 'X-Consumer-Username', 'guest', 'X-Anonymous-Consumer', 'true']);
  });

  test("a configured consumer that does not exist: Kong's 500, logged", () => {
    const { ctx, errors } = context();
    assert.equal(useAnonymous(ctx, anonymousConf('nobody', DATA)), false);
    const message = "anonymous consumer nobody is configured but doesn't exist";
    assert.deepEqual(ctx.exited, { status: 500, kind: 'error', body: message, headers: [] });
    assert.equal(ctx.consumer, null);
    assert.ok(errors.some((line) => line.includes(message)), errors.join('\n'));
  });
});
